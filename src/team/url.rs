//! A team store's address: `postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME?PARAM=VALUE&…`
//! (docs/postgres.md, "Pointing cohortdb at a server").
//!
//! Parsing follows libpq's URI form: `postgres://` or `postgresql://`, percent-encoded user,
//! password, host and database, an IPv6 host in brackets, and the query parameters libpq names
//! for what cohortdb supports (`sslmode`, `sslrootcert`, `connect_timeout`, `application_name`,
//! `host`, `port`, `user`, `password`, `dbname`). An unknown parameter is refused, naming it, so
//! a typo never silently weakens TLS. What the URL leaves out comes from libpq's environment
//! variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`), the
//! password from `PGPASSWORD` or the password file (`PGPASSFILE`, else `~/.pgpass`).
//!
//! A [`PgUrl`] never shows its password: `Display` and `Debug` render `***` in its place, and
//! errors carry the redacted text only.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{TeamError, TeamErrorKind, UrlProblem};
use crate::textfmt::capped;

/// Whether `db` names a team store (a `postgres://` or `postgresql://` URL) rather than an
/// SQLite file.
pub fn is_url(db: &str) -> bool {
    scheme_len(db).is_some()
}

fn scheme_len(s: &str) -> Option<usize> {
    ["postgres://", "postgresql://"].iter().find_map(|p| {
        s.get(..p.len())
            .filter(|head| head.eq_ignore_ascii_case(p))
            .map(|_| p.len())
    })
}

/// How the connection uses TLS, with libpq's names and meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, without verifying its certificate (libpq's default).
    Prefer,
    /// TLS always, without verifying the certificate (libpq without a root certificate).
    Require,
    /// TLS, the certificate chain verified against the root certificates.
    VerifyCa,
    /// TLS, the chain verified and the certificate naming the host.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Option<SslMode> {
        Some(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    /// libpq's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether the server's certificate is verified.
    pub fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// Where the password came from (never the password itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    /// None was found: the server must not ask for one (trust, peer, certificates).
    None,
    /// The URL.
    Url,
    /// `PGPASSWORD`.
    Environment,
    /// The password file, at its line.
    PassFile,
}

/// A parsed team-store address. Its password is never displayed.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    /// The server's host name, IP address, or a Unix socket folder (starts with `/`).
    pub host: String,
    /// The TCP port (also names the Unix socket file).
    pub port: u16,
    /// The role to connect as.
    pub user: String,
    /// The database.
    pub dbname: String,
    /// TLS use.
    pub sslmode: SslMode,
    /// The root certificates for `verify-ca`/`verify-full` (a PEM file, or `system` for the
    /// bundled Mozilla roots); `None`: `~/.postgresql/root.crt`.
    pub sslrootcert: Option<String>,
    /// How long to wait for the server to answer.
    pub connect_timeout: Option<Duration>,
    /// Shown in `pg_stat_activity`.
    pub application_name: String,
    password: Option<String>,
    password_source: PasswordSource,
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgUrl")
            .field("url", &self.to_string())
            .field("password_source", &self.password_source)
            .finish()
    }
}

impl fmt::Display for PgUrl {
    /// `postgres://user[:***]@host:port/dbname?sslmode=…`: the password, wherever it came
    /// from, is never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("postgres://")?;
        f.write_str(&encode(&self.user))?;
        if self.password_source == PasswordSource::Url {
            f.write_str(":***")?;
        }
        f.write_str("@")?;
        if self.host.starts_with('/') {
            write!(
                f,
                ":{}/{}?host={}",
                self.port,
                encode(&self.dbname),
                encode(&self.host)
            )?;
        } else if self.host.contains(':') {
            write!(f, "[{}]:{}/{}", self.host, self.port, encode(&self.dbname))?;
        } else {
            write!(
                f,
                "{}:{}/{}",
                encode(&self.host),
                self.port,
                encode(&self.dbname)
            )?;
        }
        let sep = if self.host.starts_with('/') { '&' } else { '?' };
        write!(f, "{sep}sslmode={}", self.sslmode.as_str())
    }
}

/// Percent-encodes everything but unreserved characters (for display).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What the environment supplies: libpq's variables, the home folder (for `~/.pgpass` and
/// `~/.postgresql/root.crt`), and the operating-system user. A trait so tests pass their own.
pub trait Env {
    /// An environment variable.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl PgUrl {
    /// Parses `text` with the process environment for what it leaves out.
    pub fn parse(text: &str) -> Result<PgUrl, TeamError> {
        PgUrl::parse_with(text, &ProcessEnv)
    }

    /// Parses `text`, taking defaults, the password and the password file from `env`.
    pub fn parse_with(text: &str, env: &dyn Env) -> Result<PgUrl, TeamError> {
        let bad = |problem: UrlProblem| TeamError {
            store: redact(text),
            kind: TeamErrorKind::BadUrl { problem },
        };
        let Some(start) = scheme_len(text) else {
            return Err(bad(UrlProblem::NotPostgres));
        };
        let rest = &text[start..];
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let mut user = None;
        let mut password = None;
        if let Some(info) = userinfo {
            let (u, p) = match info.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (info, None),
            };
            user = Some(decode(u).map_err(|_| bad(UrlProblem::BadEncoding { part: "user" }))?);
            if let Some(p) = p {
                password =
                    Some(decode(p).map_err(|_| bad(UrlProblem::BadEncoding { part: "password" }))?);
            }
        }
        let (mut host, mut port) = split_host_port(hostport).map_err(bad)?;
        if let Some(h) = &host {
            host = Some(decode(h).map_err(|_| bad(UrlProblem::BadEncoding { part: "host" }))?);
        }
        let mut dbname = if path.is_empty() {
            None
        } else {
            Some(decode(path).map_err(|_| bad(UrlProblem::BadEncoding { part: "dbname" }))?)
        };
        let mut sslmode = None;
        let mut sslrootcert = None;
        let mut connect_timeout = None;
        let mut application_name = None;
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key =
                decode(key).map_err(|_| bad(UrlProblem::BadEncoding { part: "parameter" }))?;
            let value =
                decode(value).map_err(|_| bad(UrlProblem::BadEncoding { part: "parameter" }))?;
            match key.as_str() {
                "sslmode" => {
                    sslmode = Some(SslMode::parse(&value).ok_or_else(|| {
                        bad(UrlProblem::BadSslMode {
                            value: capped(&value),
                        })
                    })?)
                }
                "sslrootcert" => sslrootcert = Some(value),
                "connect_timeout" => {
                    connect_timeout = Some(parse_timeout(&value).ok_or_else(|| {
                        bad(UrlProblem::BadNumber {
                            parameter: "connect_timeout",
                            value: capped(&value),
                        })
                    })?)
                }
                "application_name" => application_name = Some(value),
                "host" => host = Some(value),
                "port" => {
                    port = Some(value.parse().map_err(|_| {
                        bad(UrlProblem::BadNumber {
                            parameter: "port",
                            value: capped(&value),
                        })
                    })?)
                }
                "user" => user = Some(value),
                "password" => password = Some(value),
                "dbname" => dbname = Some(value),
                _ => {
                    return Err(bad(UrlProblem::UnknownParameter { name: capped(&key) }));
                }
            }
        }
        let host = host
            .or_else(|| env.var("PGHOST"))
            .unwrap_or_else(|| "localhost".to_string());
        let port = match port {
            Some(p) => p,
            None => match env.var("PGPORT") {
                Some(p) => p.parse().map_err(|_| {
                    bad(UrlProblem::BadNumber {
                        parameter: "PGPORT",
                        value: capped(&p),
                    })
                })?,
                None => 5432,
            },
        };
        let user = user
            .filter(|u| !u.is_empty())
            .or_else(|| env.var("PGUSER"))
            .or_else(|| env.var("USER"))
            .ok_or_else(|| bad(UrlProblem::NoUser))?;
        let dbname = dbname
            .filter(|d| !d.is_empty())
            .or_else(|| env.var("PGDATABASE"))
            .unwrap_or_else(|| user.clone());
        let sslmode = match sslmode {
            Some(m) => m,
            None => match env.var("PGSSLMODE") {
                Some(v) => SslMode::parse(&v)
                    .ok_or_else(|| bad(UrlProblem::BadSslMode { value: capped(&v) }))?,
                None => SslMode::Prefer,
            },
        };
        let sslrootcert = sslrootcert.or_else(|| env.var("PGSSLROOTCERT"));
        let mut url = PgUrl {
            host,
            port,
            user,
            dbname,
            sslmode,
            sslrootcert,
            connect_timeout,
            application_name: application_name.unwrap_or_else(|| "cohortdb".to_string()),
            password_source: if password.is_some() {
                PasswordSource::Url
            } else {
                PasswordSource::None
            },
            password,
        };
        if url.password.is_none() {
            url.find_password(env);
        }
        Ok(url)
    }

    /// libpq's order after the URL: `PGPASSWORD`, then the password file.
    fn find_password(&mut self, env: &dyn Env) {
        if let Some(p) = env.var("PGPASSWORD") {
            self.password = Some(p);
            self.password_source = PasswordSource::Environment;
            return;
        }
        let file = env
            .var("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| env.var("HOME").map(|h| Path::new(&h).join(".pgpass")));
        if let Some(file) = file
            && let Some(p) = pgpass_lookup(&file, self)
        {
            self.password = Some(p);
            self.password_source = PasswordSource::PassFile;
        }
    }

    /// The password to send, if any (never displayed).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Where the password came from.
    pub fn password_source(&self) -> PasswordSource {
        self.password_source
    }

    /// The same server and credentials, another database (tests and the administrator's
    /// `CREATE DATABASE` run against `postgres`).
    pub fn with_dbname(&self, dbname: &str) -> PgUrl {
        PgUrl {
            dbname: dbname.to_string(),
            ..self.clone()
        }
    }
}

/// `text` with any password in it replaced by `***`, for messages about text that did not
/// parse as a URL (the parsed form is shown by [`PgUrl`]'s `Display`).
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Some(start) = scheme_len(text) {
        let rest = &text[start..];
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@')
            && let Some(colon) = rest[..at].find(':')
        {
            out = format!("{}{}:***{}", &text[..start], &rest[..colon], &rest[at..]);
        }
    }
    // A `password=` parameter.
    let lower = out.to_ascii_lowercase();
    if let Some(i) = lower.find("password=") {
        let value_start = i + "password=".len();
        let value_end = out[value_start..]
            .find('&')
            .map_or(out.len(), |e| value_start + e);
        out.replace_range(value_start..value_end, "***");
    }
    capped(&out)
}

fn split_host_port(hostport: &str) -> Result<(Option<String>, Option<u16>), UrlProblem> {
    if hostport.is_empty() {
        return Ok((None, None));
    }
    if hostport.contains(',') {
        return Err(UrlProblem::SeveralHosts);
    }
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let Some((h, after)) = rest.split_once(']') else {
            return Err(UrlProblem::BadHost {
                value: capped(hostport),
            });
        };
        match after.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if after.is_empty() => (h, None),
            None => {
                return Err(UrlProblem::BadHost {
                    value: capped(hostport),
                });
            }
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().map_err(|_| UrlProblem::BadNumber {
            parameter: "port",
            value: capped(p),
        })?),
    };
    let host = (!host.is_empty()).then(|| host.to_string());
    Ok((host, port))
}

fn parse_timeout(value: &str) -> Option<Duration> {
    let secs: u64 = value.trim().parse().ok()?;
    // libpq: 0 (or none) waits forever; values below 2 s count as 2 s.
    (secs > 0).then(|| Duration::from_secs(secs.max(2)))
}

/// Percent-decoding of a URL component into UTF-8 text.
fn decode(s: &str) -> Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(())?;
            let hex = std::str::from_utf8(hex).map_err(|_| ())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// The password for `url` in a libpq password file: the first line
/// `host:port:database:user:password` whose first four fields match (`*` matches anything;
/// `\:` and `\\` escape). libpq ignores a file that others may read; so does this (on Unix).
fn pgpass_lookup(file: &Path, url: &PgUrl) -> Option<String> {
    let meta = std::fs::metadata(file).ok()?;
    if !meta.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return None;
        }
    }
    let text = std::fs::read_to_string(file).ok()?;
    let host = if url.host.starts_with('/') {
        // libpq matches a socket connection against `localhost`.
        "localhost"
    } else {
        &url.host
    };
    let port = url.port.to_string();
    pgpass_match(&text, [host, &port, &url.dbname, &url.user])
}

fn pgpass_match(text: &str, wanted: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = pgpass_fields(line);
        if fields.len() < 5 {
            continue;
        }
        if fields[..4]
            .iter()
            .zip(wanted)
            .all(|(f, w)| f == "*" || f == w)
        {
            return Some(fields[4..].join(":"));
        }
    }
    None
}

fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Vars(HashMap<&'static str, String>);

    impl Env for Vars {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    fn env(pairs: &[(&'static str, &str)]) -> Vars {
        Vars(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
    }

    #[test]
    fn urls_parse_like_libpq() {
        let none = env(&[]);
        let url = PgUrl::parse_with(
            "postgres://al%40ice:s3cr%3At@db.example:6543/lab%20one?sslmode=verify-full&application_name=x",
            &none,
        )
        .unwrap();
        assert_eq!(url.user, "al@ice");
        assert_eq!(url.password(), Some("s3cr:t"));
        assert_eq!(url.host, "db.example");
        assert_eq!(url.port, 6543);
        assert_eq!(url.dbname, "lab one");
        assert_eq!(url.sslmode, SslMode::VerifyFull);
        assert_eq!(url.application_name, "x");
        let v6 = PgUrl::parse_with("postgresql://u@[::1]:5433/d", &none).unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 5433));
        assert_eq!(v6.sslmode, SslMode::Prefer);
        let socket =
            PgUrl::parse_with("postgres://u@/d?host=%2Fvar%2Frun%2Fpostgresql", &none).unwrap();
        assert_eq!(socket.host, "/var/run/postgresql");
        assert!(is_url("POSTGRES://x") && is_url("postgresql://") && !is_url("cohorts.db"));
        assert!(!is_url("postgres:/x") && !is_url("./postgres://x"));
    }

    #[test]
    fn the_environment_fills_what_the_url_leaves_out() {
        let vars = env(&[
            ("PGHOST", "h"),
            ("PGPORT", "7000"),
            ("PGUSER", "pu"),
            ("PGSSLMODE", "require"),
            ("USER", "os"),
        ]);
        let url = PgUrl::parse_with("postgres://", &vars).unwrap();
        assert_eq!(
            (
                url.host.as_str(),
                url.port,
                url.user.as_str(),
                url.dbname.as_str()
            ),
            ("h", 7000, "pu", "pu")
        );
        assert_eq!(url.sslmode, SslMode::Require);
        assert_eq!(url.password_source(), PasswordSource::None);
        let url = PgUrl::parse_with("postgres://u@x/d", &env(&[("PGPASSWORD", "pw")])).unwrap();
        assert_eq!(url.password(), Some("pw"));
        assert_eq!(url.password_source(), PasswordSource::Environment);
    }

    #[test]
    fn bad_urls_are_refused_naming_the_part() {
        let none = env(&[("USER", "me")]);
        for (text, expected) in [
            ("mysql://u@h/d", "not a postgres:// URL"),
            ("postgres://u@h:99999/d", "port"),
            ("postgres://u@h/d?sslmode=maybe", "sslmode \"maybe\""),
            (
                "postgres://u@h/d?ssl_mode=require",
                "unknown parameter \"ssl_mode\"",
            ),
            ("postgres://u@h/d%zz", "dbname"),
            ("postgres://u@a,b/d", "several hosts"),
            ("postgres://u@h/d?connect_timeout=soon", "connect_timeout"),
        ] {
            let err = PgUrl::parse_with(text, &none).unwrap_err();
            assert!(err.to_string().contains(expected), "{text}: {err}");
        }
        let err = PgUrl::parse_with("postgres://h/d", &env(&[])).unwrap_err();
        assert!(err.to_string().contains("no user"), "{err}");
    }

    #[test]
    fn passwords_are_never_shown() {
        let none = env(&[]);
        let url = PgUrl::parse_with("postgres://u:hunter2@h/d?sslmode=require", &none).unwrap();
        for shown in [url.to_string(), format!("{url:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        assert_eq!(url.to_string(), "postgres://u:***@h:5432/d?sslmode=require");
        let url = PgUrl::parse_with("postgres://u@h/d?password=hunter2", &none).unwrap();
        assert!(!format!("{url} {url:?}").contains("hunter2"));
        let err = PgUrl::parse_with("postgres://u:hunter2@h/d?sslmode=nope", &none).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");
        let err = PgUrl::parse_with("postgres://u@h/d?password=hunter2&x=1", &none).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");
        assert_eq!(
            redact("postgres://u:p@ss@h/d?password=q&a=b"),
            "postgres://u:***@h/d?password=***&a=b"
        );
    }

    #[test]
    fn the_password_file_follows_libpq() {
        let text = "# comment\nother:*:*:*:no\nh:5432:d:u:first\n*:*:*:u:sec\\:ond\n";
        assert_eq!(
            pgpass_match(text, ["h", "5432", "d", "u"]).as_deref(),
            Some("first")
        );
        assert_eq!(
            pgpass_match(text, ["x", "1", "y", "u"]).as_deref(),
            Some("sec:ond")
        );
        assert_eq!(pgpass_match(text, ["x", "1", "y", "v"]), None);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "*:*:*:u:filepw\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            let vars = env(&[("PGPASSFILE", file.to_str().unwrap())]);
            let url = PgUrl::parse_with("postgres://u@h/d", &vars).unwrap();
            assert_eq!(url.password(), None, "a file others may read is ignored");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let vars = env(&[("PGPASSFILE", file.to_str().unwrap())]);
        let url = PgUrl::parse_with("postgres://u@h/d", &vars).unwrap();
        assert_eq!(url.password(), Some("filepw"));
        assert_eq!(url.password_source(), PasswordSource::PassFile);
        assert!(!url.to_string().contains("filepw"));
    }
}
