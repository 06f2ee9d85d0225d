//! A PostgreSQL database per test (docs/postgres.md, "Tests"): `PgDb::create` makes a fresh
//! database on the test server (`CREATE DATABASE … TEMPLATE template0`) and drops it `WITH
//! (FORCE)` when dropped, so runs and tests never see each other.
//!
//! The server is `$COHORTDB_TEST_PG` (a `postgres://` URL naming a database the test role may
//! connect to and a role that may create databases), by default
//! `postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable`. With no server reachable a
//! test is skipped with one line on stderr — unless `CI=true`, where it fails.

use std::sync::atomic::{AtomicU32, Ordering};

/// The server the tests use.
pub fn server_url() -> String {
    std::env::var("COHORTDB_TEST_PG")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into())
}

fn admin() -> Result<postgres::Client, postgres::Error> {
    // The tests' own connection: the library's URL handling is what they test.
    postgres::Client::connect(
        &server_url().replacen("postgres://", "postgresql://", 1),
        postgres::NoTls,
    )
}

/// A database of its own for one test, dropped afterwards.
pub struct PgDb {
    name: String,
    /// The database's URL (`sslmode=disable`, the test server's credentials).
    pub url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl PgDb {
    /// A fresh, empty database; `None` (after one line on stderr) when no server is reachable
    /// outside CI.
    pub fn create(tag: &str) -> Option<PgDb> {
        let mut client = match admin() {
            Ok(c) => c,
            Err(e) => {
                let line = format!(
                    "no PostgreSQL server at {} ({e}); set COHORTDB_TEST_PG to point the tests at one",
                    redact(&server_url())
                );
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("CI=true requires the PostgreSQL tests: {line}");
                }
                eprintln!("skipped {tag}: {line}");
                return None;
            }
        };
        let name = format!(
            "cohortdb_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            tag.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(24)
                .collect::<String>()
        );
        client
            .batch_execute(&format!("create database {name} template template0"))
            .expect("the test role may create databases");
        let base = server_url();
        let (head, query) = match base.split_once('?') {
            Some((h, q)) => (h.to_string(), format!("?{q}")),
            None => (base.clone(), String::new()),
        };
        let head = match head.rfind('/') {
            Some(i) if i > "postgres://".len() => head[..i].to_string(),
            _ => head,
        };
        Some(PgDb {
            url: format!("{head}/{name}{query}"),
            name,
        })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A plain connection to the database (as the test server's role).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(
            &self.url.replacen("postgres://", "postgresql://", 1),
            postgres::NoTls,
        )
        .expect("the test database accepts connections")
    }

    /// Runs `sql` through `psql` against the database; returns (success, stdout + stderr).
    pub fn psql(&self, sql: &str) -> (bool, String) {
        let out = std::process::Command::new("psql")
            .arg(&self.url)
            .args(["-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-c", sql])
            .output()
            .expect("psql runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut client) = admin() {
            let _ = client.batch_execute(&format!(
                "drop database if exists {} with (force)",
                self.name
            ));
        }
    }
}

/// A URL with its password replaced, for the skip line.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if url[s + 3..at].contains(':') => {
            let colon = s + 3 + url[s + 3..at].find(':').unwrap_or(0);
            format!("{}:***{}", &url[..colon], &url[at..])
        }
        _ => url.to_string(),
    }
}
