//! What went wrong with a team store (a PostgreSQL server, docs/postgres.md), its local mirror,
//! or a copy between two stores (`Error::Team`). The store is always named by its redacted URL
//! (`team::PgUrl`'s `Display`): a password never reaches a message.

use crate::textfmt::capped;

/// A team-store failure: the store (redacted URL, or a store file for push/pull) and what
/// happened.
#[derive(Debug, thiserror::Error)]
#[error("team store {store}: {kind}")]
pub struct TeamError {
    /// The store, as shown: a URL without its password, or an SQLite path.
    pub store: String,
    /// What went wrong.
    pub kind: TeamErrorKind,
}

/// Why a team-store URL does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlProblem {
    /// Another scheme.
    #[error("not a postgres:// URL")]
    NotPostgres,
    /// A `%` escape that is not two hex digits, or not UTF-8 text.
    #[error("the {part} is not valid percent-encoded UTF-8")]
    BadEncoding {
        /// Which part.
        part: &'static str,
    },
    /// A port or timeout that is not a number in range.
    #[error("{parameter} {value:?} is not a number in range")]
    BadNumber {
        /// The parameter.
        parameter: &'static str,
        /// The value (capped).
        value: String,
    },
    /// An unknown `sslmode`.
    #[error("sslmode {value:?} is not one of disable, prefer, require, verify-ca, verify-full")]
    BadSslMode {
        /// The value (capped).
        value: String,
    },
    /// A parameter cohortdb does not know (a typo must not weaken TLS silently).
    #[error(
        "unknown parameter {name:?} (known: sslmode, sslrootcert, connect_timeout, \
         application_name, host, port, user, password, dbname)"
    )]
    UnknownParameter {
        /// The parameter's name (capped).
        name: String,
    },
    /// `host1,host2`: libpq's multi-host lists are not supported.
    #[error("several hosts are not supported; name one server")]
    SeveralHosts,
    /// A malformed `[…]` host.
    #[error("the host {value:?} is malformed")]
    BadHost {
        /// The text (capped).
        value: String,
    },
    /// No user in the URL, `PGUSER` or `USER`.
    #[error("no user: name one in the URL (postgres://USER@HOST/DB) or in PGUSER")]
    NoUser,
}

/// What went wrong with a team store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TeamErrorKind {
    /// The URL does not parse.
    #[error("{problem}")]
    BadUrl {
        /// Why.
        problem: UrlProblem,
    },
    /// This cohortdb was built without the `postgres` feature.
    #[error(
        "this cohortdb was built without PostgreSQL support (cargo feature `postgres`); use a \
         build with it, or an SQLite store file"
    )]
    Disabled,
    /// A command a team store does not run yet (`migrate` with legacy metadata to record).
    #[error(
        "{command} does not run on a team store yet (docs/postgres.md); run it on an SQLite store \
         (`cohortdb pull` copies cohorts into one)"
    )]
    NotOnTeamStore {
        /// The command.
        command: &'static str,
    },
    /// The server could not be reached, or refused the connection.
    #[cfg(feature = "postgres")]
    #[error("cannot connect: {}", pg_text(source))]
    Connect {
        /// The client's error.
        source: postgres::Error,
    },
    /// The root certificates for `verify-ca`/`verify-full` could not be read.
    #[error("sslmode {mode} needs root certificates: {path}: {why}")]
    RootCertificates {
        /// The sslmode.
        mode: &'static str,
        /// The PEM file.
        path: String,
        /// Why it could not be used.
        why: String,
    },
    /// A statement failed.
    #[cfg(feature = "postgres")]
    #[error("{query}: {}", pg_text(source))]
    Query {
        /// The statement's name (its file under `sql/postgres/`, or what it does).
        query: &'static str,
        /// The server's error.
        source: postgres::Error,
    },
    /// The database has tables but no cohortdb schema history.
    #[error(
        "the database is not a cohortdb store (it has other tables and no cohortdb schema \
         history); nothing was changed — point the URL at an empty database or an existing store"
    )]
    Foreign,
    /// The schema was written by a newer cohortdb.
    #[error(
        "the store has schema version {version}, newer than this cohortdb knows ({latest}); use \
         a newer cohortdb"
    )]
    Newer {
        /// The store's version.
        version: u32,
        /// The newest this build knows.
        latest: u32,
    },
    /// A reading command met an older schema (readers never migrate).
    #[error(
        "the store has schema version {recorded}, older than this cohortdb's {latest}; run \
         `cohortdb init` (or any writing command) to migrate it"
    )]
    Outdated {
        /// The store's version.
        recorded: u32,
        /// The newest this build knows.
        latest: u32,
    },
    /// The store has no cohortdb schema yet and a reading command was run.
    #[error("the database holds no cohortdb store yet; run `cohortdb init` (or `import`) first")]
    Empty,
    /// Applying the migrations failed; the transaction rolled back.
    #[error("schema migration failed: {source}")]
    Migrate {
        /// refinery's error.
        source: refinery::Error,
    },
    /// The local mirror holds another store's data.
    #[error(
        "the mirror {path} belongs to store {holds}, not to this store ({expected}); remove it \
         or point COHORTDB_MIRROR_DIR elsewhere"
    )]
    MirrorOfAnotherStore {
        /// The mirror file.
        path: String,
        /// The store UUID it records.
        holds: String,
        /// This store's UUID.
        expected: String,
    },
    /// The mirror holds a batch or record the server does not (or another cohort under a
    /// record's number): it is not a copy of this store.
    #[error(
        "the mirror {path} holds {what}, which this store does not: it is not a copy of this \
         store (a server restored from an older backup?); remove the mirror to make a new one"
    )]
    MirrorDiverged {
        /// The mirror file.
        path: String,
        /// What it holds that the server does not.
        what: String,
    },
    /// A record arriving from the server does not re-hash to its digests; nothing of the sync
    /// was kept.
    #[error(
        "cohort {cohort:?} arrived with rows that do not re-hash to its record ({}); nothing was \
         copied — the server's rows were changed behind cohortdb's back",
        diffs.join("; ")
    )]
    Tampered {
        /// The cohort id.
        cohort: String,
        /// What differs.
        diffs: Vec<String>,
    },
    /// A catalog row arriving from the other store differs from the one this store has under
    /// the same key (append-only, D9).
    #[error(
        "{table} row {key} differs from the one this store holds (catalogs are append-only, D9); \
         nothing was copied"
    )]
    CatalogRowDiffers {
        /// The catalog table.
        table: &'static str,
        /// The key, shown.
        key: String,
    },
    /// A cohort arriving under an id this store holds with another content hash (D14).
    #[error(
        "cohort {cohort:?} exists here with content hash {here}, the source has {there} (a \
         cohort id names one content forever, D14); nothing was copied"
    )]
    RecordDiffers {
        /// The cohort id.
        cohort: String,
        /// This store's hash.
        here: String,
        /// The source's hash.
        there: String,
    },
    /// A cohort arriving whose gen_id this store registered for another signature (D1/D2 hold
    /// store-wide).
    #[error(
        "cohort {cohort:?}: gen_id {gen_id} is registered here for another signature (D1, D2 \
         hold store-wide); nothing was copied"
    )]
    RegistryConflict {
        /// The arriving cohort.
        cohort: String,
        /// The gen_id.
        gen_id: String,
    },
    /// A cohort named for push/pull that the source does not hold.
    #[error("no cohort {cohort:?} in the source store")]
    NoSuchCohort {
        /// The id.
        cohort: String,
    },
    /// Writers kept racing this one past the retry limit.
    #[error(
        "other writers changed the store {attempts} times while this command ran; nothing was \
         written — run it again"
    )]
    Contended {
        /// How many attempts were made.
        attempts: u32,
    },
    /// A value the server holds does not fit cohortdb's types (a row written outside cohortdb).
    #[error("{table}: {what}")]
    BadValue {
        /// The table.
        table: &'static str,
        /// What was found (capped).
        what: String,
    },
}

impl TeamErrorKind {
    /// A value the server holds that cohortdb cannot read, capped for display.
    pub fn bad_value(table: &'static str, what: &str) -> TeamErrorKind {
        TeamErrorKind::BadValue {
            table,
            what: capped(what),
        }
    }
}

/// The server's message (its SQLSTATE-bearing `DbError`, else the client's text), capped.
#[cfg(feature = "postgres")]
pub fn pg_text(e: &postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => {
            let mut t = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                t.push_str(": ");
                t.push_str(detail);
            }
            t
        }
        None => {
            let mut t = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                t.push_str(": ");
                t.push_str(&s.to_string());
                source = s.source();
            }
            t
        }
    };
    capped(&text)
}
