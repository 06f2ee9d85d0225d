//! The team store (docs/postgres.md): PostgreSQL as the shared, transactional home of catalogs,
//! records and the gen_id registry, with the embedded SQLite engine as the compute engine
//! (docs/decisions.md D28).
//!
//! cohortdb's records are immutable and content-addressed and its catalogs append-only, so a
//! team store is **mirrored** like a git clone: a full SQLite store on the client
//! ([`mirror`]) is synced from the server before a command runs (every record re-hashed on
//! arrival), read commands run on it unchanged, and writes are staged in the mirror and
//! published to the server in one transaction under one advisory lock ([`publish`]). `query`
//! runs on the server ([`query`]); `push`/`pull` carry cohorts between any two stores
//! ([`copy`]).
//!
//! - [`url`]: the address, its redaction, the password file (always built);
//! - `tls`: rustls for `sslmode`;
//! - [`schema`]: the migrations under `migrations/postgres/` and the opening checks;
//! - `tables`: the tables a copy carries, described once;
//! - `queries`: every PostgreSQL statement, one file each under `sql/postgres/`.

pub mod url;

#[cfg(feature = "postgres")]
pub mod copy;
#[cfg(feature = "postgres")]
pub mod mirror;
#[cfg(feature = "postgres")]
pub mod publish;
#[cfg(feature = "postgres")]
mod queries;
#[cfg(feature = "postgres")]
pub mod query;
#[cfg(feature = "postgres")]
pub mod schema;
#[cfg(feature = "postgres")]
mod streaming;
#[cfg(feature = "postgres")]
mod tables;
#[cfg(feature = "postgres")]
mod tls;
#[cfg(feature = "postgres")]
mod transfer;

pub use url::{PgUrl, SslMode, is_url};

use crate::error::{Error, TeamError, TeamErrorKind};

/// A team-store error for `store` (a redacted URL or a store path).
pub(crate) fn team_error(store: &str, kind: TeamErrorKind) -> Error {
    TeamError {
        store: store.to_string(),
        kind,
    }
    .into()
}

/// Parses a team-store URL (a `postgres://` `--db`), or says this build has no PostgreSQL.
pub fn parse_url(text: &str) -> crate::Result<PgUrl> {
    let url = PgUrl::parse(text).map_err(Error::from)?;
    if cfg!(feature = "postgres") {
        Ok(url)
    } else {
        Err(team_error(&url.to_string(), TeamErrorKind::Disabled))
    }
}

#[cfg(feature = "postgres")]
pub use store::TeamStore;

#[cfg(feature = "postgres")]
pub(crate) use store::{MIGRATE_LOCK_KEY, Pg, WRITE_LOCK_KEY};

#[cfg(feature = "postgres")]
pub(crate) mod store {
    use postgres::Client;

    use super::url::{PgUrl, SslMode};
    use super::{queries, schema, team_error};
    use crate::error::{Result, TeamErrorKind};

    /// The advisory lock every write to a team store takes, once, first, for the length of its
    /// transaction (`cohortdb` in ASCII).
    pub(crate) const WRITE_LOCK_KEY: i64 = 0x636f_686f_7274_6462;
    /// The advisory lock a migration holds (session level).
    pub(crate) const MIGRATE_LOCK_KEY: i64 = WRITE_LOCK_KEY + 1;

    /// Maps the client's errors to [`TeamErrorKind::Query`] naming the statement.
    pub(crate) trait Pg<T> {
        /// The error for `store` and statement `query`.
        fn pg(self, store: &str, query: &'static str) -> Result<T>;
    }

    impl<T> Pg<T> for std::result::Result<T, postgres::Error> {
        fn pg(self, store: &str, query: &'static str) -> Result<T> {
            self.map_err(|source| team_error(store, TeamErrorKind::Query { query, source }))
        }
    }

    /// An open connection to a team store whose schema has been checked (and, for a writer,
    /// created or migrated).
    pub struct TeamStore {
        /// The URL as shown (no password).
        pub(crate) shown: String,
        pub(crate) client: Client,
        uuid: String,
        version: u32,
        cancel: Canceller,
    }

    /// Sends the server a cancel request for the statement this connection is running.
    pub type Canceller = std::sync::Arc<dyn Fn() + Send + Sync>;

    impl std::fmt::Debug for TeamStore {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("TeamStore")
                .field("url", &self.shown)
                .field("uuid", &self.uuid)
                .field("version", &self.version)
                .finish()
        }
    }

    /// Connects to the server `url` names (TLS as its `sslmode` says).
    pub(crate) fn connect(url: &PgUrl) -> Result<Client> {
        Ok(connect_cancellable(url)?.0)
    }

    /// [`connect`], and a [`Canceller`] for the connection: the cancel request goes to the same
    /// server the same way (TLS as `sslmode` says). Best effort: a request that cannot be
    /// sent changes nothing (the statement then ends at its timeout or when the connection
    /// drops).
    pub(crate) fn connect_cancellable(url: &PgUrl) -> Result<(Client, Canceller)> {
        let shown = url.to_string();
        let mut config = postgres::Config::new();
        config
            .host(&url.host)
            .port(url.port)
            .user(&url.user)
            .dbname(&url.dbname)
            .application_name(&url.application_name);
        if let Some(password) = url.password() {
            config.password(password);
        }
        if let Some(timeout) = url.connect_timeout {
            config.connect_timeout(timeout);
        }
        config.ssl_mode(match url.sslmode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        });
        let tls = super::tls::client_config(url).map_err(|kind| team_error(&shown, kind))?;
        let connected = match tls.clone() {
            None => config.connect(postgres::NoTls),
            Some(tls) => config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls)),
        };
        let client =
            connected.map_err(|source| team_error(&shown, TeamErrorKind::Connect { source }))?;
        let token = client.cancel_token();
        let cancel: Canceller = std::sync::Arc::new(move || {
            let _ = match tls.clone() {
                None => token.cancel_query(postgres::NoTls),
                Some(tls) => token.cancel_query(tokio_postgres_rustls::MakeRustlsConnect::new(tls)),
            };
        });
        Ok((client, cancel))
    }

    impl TeamStore {
        /// Connects, checks the database, and creates or migrates the schema (writers: every
        /// command that writes opens through here).
        pub fn open(url: &PgUrl) -> Result<TeamStore> {
            TeamStore::open_as(url, true)
        }

        /// Connects and checks the database without changing it: a database with no store, an
        /// older schema, a newer one or a foreign database is refused (readers never migrate).
        pub fn open_existing(url: &PgUrl) -> Result<TeamStore> {
            TeamStore::open_as(url, false)
        }

        fn open_as(url: &PgUrl, writer: bool) -> Result<TeamStore> {
            let shown = url.to_string();
            let (mut client, cancel) = connect_cancellable(url)?;
            let version = schema::prepare(&mut client, &shown, writer)?;
            let uuid: String = client
                .query_one(queries::STORE_UUID, &[])
                .pg(&shown, "store_uuid")?
                .get("store_uuid");
            Ok(TeamStore {
                shown,
                client,
                uuid,
                version,
                cancel,
            })
        }

        /// What sends the server a cancel request for this connection's running statement
        /// (a stop: `app::Cancel::on_cancel`).
        pub fn canceller(&self) -> Canceller {
            self.cancel.clone()
        }

        /// The store's UUID (made when it was created; the mirror's file name).
        pub fn uuid(&self) -> &str {
            &self.uuid
        }

        /// The schema version.
        pub fn schema_version(&self) -> u32 {
            self.version
        }

        /// The URL as shown: never with its password.
        pub fn shown(&self) -> &str {
            &self.shown
        }
    }
}
