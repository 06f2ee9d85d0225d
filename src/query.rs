//! Read-only SQL for `cohortdb query`.
//!
//! Three independent guards, so a statement that slips past one is stopped by the next:
//! 1. the connection has `PRAGMA query_only` on (see `Store::open_read_only`; it is also opened
//!    `SQLITE_OPEN_READ_ONLY` where the store is not writable), so SQLite itself refuses to
//!    change the store file;
//! 2. [`prepare_read_only`] accepts exactly one statement and only when SQLite reports it
//!    read-only (`sqlite3_stmt_readonly`), which refuses `CREATE`, `VACUUM INTO`, writes and
//!    pragma assignments before anything runs;
//! 3. an authorizer denies `ATTACH`/`DETACH`, pragmas other than a read-only allow-list, and
//!    calls of `load_extension` (extension loading is also never enabled): `store::guard`,
//!    installed by `Store::open_read_only`.

use rusqlite::types::Value;
use rusqlite::{Connection, Statement};

use crate::error::{DbContext, Error, ReadOnlyError, Result, UsageError};

#[cfg(feature = "parquet")]
pub mod columnar;

/// Prepares `sql` for `query`: exactly one statement, and one that does not write. The
/// connection should come from `Store::open_read_only`, which also installs the authorizer
/// (`store::guard`).
pub fn prepare_read_only<'c>(conn: &'c Connection, sql: &str) -> Result<Statement<'c>> {
    let trimmed = sql.trim();
    if only_comments(trimmed) {
        return Err(ReadOnlyError::Empty.into());
    }
    let stmt = conn.prepare(trimmed).map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, Some(msg))
            if f.code == rusqlite::ErrorCode::AuthorizationForStatementDenied
                || msg.starts_with("not authorized") =>
        {
            // A denied function (load_extension) reports a plain error with this text.
            let msg = msg.split(" in ").next().unwrap_or(&msg).to_string();
            Error::from(ReadOnlyError::NotAuthorized {
                reason: msg,
                statement: first_words(trimmed),
            })
        }
        rusqlite::Error::SqlInputError { msg, .. } if msg.starts_with("not authorized") => {
            let msg = msg.split(" in ").next().unwrap_or(&msg).to_string();
            Error::from(ReadOnlyError::NotAuthorized {
                reason: msg,
                statement: first_words(trimmed),
            })
        }
        rusqlite::Error::MultipleStatement => Error::from(ReadOnlyError::MultipleStatements),
        other => Error::Db {
            query: "query",
            source: other,
        },
    })?;
    if !stmt.readonly() {
        return Err(ReadOnlyError::Writes {
            statement: first_words(trimmed),
        }
        .into());
    }
    Ok(stmt)
}

/// True when `sql` holds nothing but whitespace, `-- …` line comments and `/* … */` blocks
/// (SQLite prepares such text into no statement at all).
fn only_comments(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(after) = rest.strip_prefix("--") {
            rest = after
                .split_once('\n')
                .map_or("", |(_, tail)| tail)
                .trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after
                .split_once("*/")
                .map_or("", |(_, tail)| tail)
                .trim_start();
        } else {
            return false;
        }
    }
}

fn first_words(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().take(4).collect();
    let mut text = words.join(" ");
    if sql.split_whitespace().count() > 4 {
        text.push_str(" …");
    }
    text
}

/// Why a running `query` statement was stopped by [`install_limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The `--timeout` passed.
    Timeout,
    /// The user pressed Ctrl-C (the flag given to [`install_limits`] was set).
    Interrupted,
}

/// Limits the statements run on `conn`: SQLite's progress handler (every 10,000 virtual machine
/// steps) interrupts the statement once `timeout` has passed since this call or once `stop` is
/// set (the CLI sets it on Ctrl-C). The returned cell says which happened, for the message.
pub fn install_limits(
    conn: &mut Connection,
    timeout: Option<std::time::Duration>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<std::sync::Arc<std::sync::Mutex<Option<Stop>>>> {
    use std::sync::atomic::Ordering;
    let reason = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = reason.clone();
    // A timeout too long to add to the clock (`9223372036854775807s`) is no deadline at all.
    let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
    conn.progress_handler(
        10_000,
        Some(move || {
            let why = if stop.load(Ordering::Relaxed) {
                Some(Stop::Interrupted)
            } else if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                Some(Stop::Timeout)
            } else {
                None
            };
            if let (Some(why), Ok(mut slot)) = (why, seen.lock()) {
                slot.get_or_insert(why);
            }
            why.is_some()
        }),
    )
    .db("install progress handler")?;
    Ok(reason)
}

/// Runs `PRAGMA integrity_check` and returns its first line (`ok` for a sound store).
pub fn integrity_check(conn: &Connection) -> Result<String> {
    conn.query_row("pragma integrity_check", [], |r| r.get(0))
        .db("pragma integrity_check")
}

/// The values a statement's parameters are bound to. Values are bound, never spliced into the
/// SQL text.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Params {
    /// No values: the statement must have no parameters.
    #[default]
    None,
    /// One value per parameter, in order (`?`, `?N`, or any parameter by its index).
    Positional(Vec<Value>),
    /// Values by name (`:name`, `@name` or `$name`; the name may be given with or without its
    /// prefix).
    Named(Vec<(String, Value)>),
}

impl Params {
    /// `--param NAME=VALUE` pairs as the CLI reads them: a canonical integer (`42`, `-7`, not
    /// `007`) is an integer, anything else text (SQLite then applies the compared column's
    /// affinity).
    pub fn from_text(pairs: &[(String, String)]) -> Params {
        Params::Named(
            pairs
                .iter()
                .map(|(name, value)| {
                    let value = match value.parse::<i64>() {
                        Ok(i) if i.to_string() == *value => Value::Integer(i),
                        _ => Value::Text(value.clone()),
                    };
                    (name.clone(), value)
                })
                .collect(),
        )
    }
}

/// The number of a positional parameter named `N` or `?N` (`--param 1=x` fills `?1`, or the
/// first `?`), when `name` is one.
pub fn positional_number(name: &str) -> Option<usize> {
    let digits = name.strip_prefix('?').unwrap_or(name);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<usize>().ok().filter(|n| *n > 0)
}

/// The index of the parameter `name` of `stmt`: a named one given with or without its prefix,
/// or a positional one by its number (`N` or `?N`: SQLite numbers a bare `?` one above the
/// largest number before it).
fn named_index(stmt: &Statement<'_>, name: &str) -> Result<Option<usize>> {
    if let Some(n) = positional_number(name) {
        // `?N` by its name; a bare `?` has none, only its index (named ones have their own).
        if let Some(index) = stmt
            .parameter_index(&format!("?{n}"))
            .db("query parameter")?
        {
            return Ok(Some(index));
        }
        let bare = n <= stmt.parameter_count() && stmt.parameter_name(n).is_none();
        return Ok(bare.then_some(n));
    }
    if name.starts_with([':', '@', '$']) {
        return stmt.parameter_index(name).db("query parameter");
    }
    Ok([':', '@', '$'].iter().find_map(|prefix| {
        stmt.parameter_index(&format!("{prefix}{name}"))
            .ok()
            .flatten()
    }))
}

/// Binds `params` to `stmt`. Every parameter of the statement needs a value and every value a
/// parameter: a missing one is an error (never a silent NULL), as is a name the statement does
/// not have or a wrong number of positional values.
pub fn bind(stmt: &mut Statement<'_>, params: &Params) -> Result<()> {
    let count = stmt.parameter_count();
    let mut bound = vec![false; count + 1];
    match params {
        Params::None => {}
        Params::Positional(values) => {
            if values.len() != count {
                return Err(UsageError::ParameterCount {
                    expected: count,
                    given: values.len(),
                }
                .into());
            }
            for (i, value) in values.iter().enumerate() {
                stmt.raw_bind_parameter(i + 1, value)
                    .db("query parameter")?;
                bound[i + 1] = true;
            }
        }
        Params::Named(values) => {
            for (name, value) in values {
                let Some(index) = named_index(stmt, name)? else {
                    return Err(UsageError::NoSuchParameter { name: name.clone() }.into());
                };
                stmt.raw_bind_parameter(index, value)
                    .db("query parameter")?;
                bound[index] = true;
            }
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|i| !bound[*i])
        .map(|i| {
            stmt.parameter_name(i)
                .map_or_else(|| format!("?{i}"), str::to_string)
        })
        .collect();
    if !missing.is_empty() {
        return Err(UsageError::MissingParameters { missing }.into());
    }
    Ok(())
}

/// Formats floating-point values exactly as SQLite does (`CAST(x AS TEXT)`: `1.0`, not `1`;
/// `1.0e+20`), with one prepared statement reused for every value.
pub struct RealText<'c> {
    stmt: Statement<'c>,
}

impl<'c> RealText<'c> {
    /// Prepares the formatter on `conn`.
    pub fn new(conn: &'c Connection) -> Result<Self> {
        Ok(RealText {
            stmt: conn
                .prepare(crate::store::queries::QUERY_REAL_TEXT)
                .db("query_real_text")?,
        })
    }

    /// `value` as SQLite prints it.
    pub fn format(&mut self, value: f64) -> Result<String> {
        self.stmt
            .query_row([value], |r| r.get("text"))
            .db("query_real_text")
    }
}

/// A result column's type as the engine declares it, before any row is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// An integer type.
    Integer,
    /// A floating-point type.
    Real,
    /// A text type.
    Text,
    /// A byte-string type.
    Blob,
    /// No declared type, or one that does not decide (`NUMERIC`, an expression): the values
    /// decide.
    Unknown,
}

impl ColumnType {
    /// A SQLite declared type (`sqlite3_column_decltype`) by SQLite's affinity rules; `BLOB`
    /// and no type at all differ here: a column declared `BLOB` is binary, an untyped one is
    /// typed by its values.
    pub fn from_declared(declared: Option<&str>) -> ColumnType {
        let Some(declared) = declared else {
            return ColumnType::Unknown;
        };
        let upper = declared.to_ascii_uppercase();
        let has = |part: &str| upper.contains(part);
        if has("INT") {
            ColumnType::Integer
        } else if has("CHAR") || has("CLOB") || has("TEXT") {
            ColumnType::Text
        } else if has("BLOB") {
            ColumnType::Blob
        } else if has("REAL") || has("FLOA") || has("DOUB") {
            ColumnType::Real
        } else {
            ColumnType::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_follow_sqlite_affinity() {
        use ColumnType::*;
        for (decl, want) in [
            ("INTEGER", Integer),
            ("bigint", Integer),
            ("VARCHAR(10)", Text),
            ("TEXT", Text),
            ("BLOB", Blob),
            ("DOUBLE PRECISION", Real),
            ("NUMERIC", Unknown),
            ("", Unknown),
        ] {
            assert_eq!(ColumnType::from_declared(Some(decl)), want, "{decl}");
        }
        assert_eq!(ColumnType::from_declared(None), Unknown);
    }

    #[test]
    fn comment_only_text_is_no_statement() {
        assert!(only_comments("-- a\n  /* b */\n-- c"));
        assert!(only_comments("/* unterminated"));
        assert!(!only_comments("-- a\nselect 1"));
        assert!(!only_comments("/* a */ select 1 -- b"));
    }
    use crate::store::Store;

    fn store_file() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(Store::open(&path).unwrap());
        (dir, path)
    }

    /// `--param N=…` (or `?N=…`) fills `?N` or the N-th bare `?`; a number the statement does
    /// not have is refused by name.
    #[test]
    fn positional_parameters_are_filled_by_number() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let run = |sql: &str, params: &[(&str, &str)]| -> Result<String> {
            let mut stmt = conn.prepare(sql).db("prepare")?;
            let pairs: Vec<(String, String)> = params
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            bind(&mut stmt, &Params::from_text(&pairs))?;
            let mut rows = stmt.raw_query();
            let row = rows.next().db("step")?.expect("one row");
            row.get::<_, String>(0).db("get")
        };
        assert_eq!(
            run("select ? || '-' || ?", &[("2", "b"), ("1", "a")]).unwrap(),
            "a-b"
        );
        assert_eq!(
            run("select ?2 || '-' || ?1 || ?2", &[("?1", "a"), ("?2", "b")]).unwrap(),
            "b-ab"
        );
        assert_eq!(
            run("select :x || ?", &[("x", "a"), ("2", "b")]).unwrap(),
            "ab"
        );
        let err = run("select ?", &[("1", "a"), ("2", "b")]).unwrap_err();
        assert!(err.to_string().contains("no parameter ?2"), "{err}");
        let err = run("select ? || ?", &[("1", "a")]).unwrap_err();
        assert!(err.to_string().contains("?2"), "{err}");
        assert_eq!(positional_number("?07"), Some(7));
        assert_eq!(positional_number("0"), None);
        assert_eq!(positional_number("x1"), None);
    }

    #[test]
    fn writes_are_refused_before_they_run() {
        let (dir, path) = store_file();
        let store = Store::open_read_only(&path).unwrap();
        let attach_target = dir.path().join("new.db");
        let vacuum_target = dir.path().join("copy.db");
        let attempts = [
            "create table scratch(x)".to_string(),
            "insert into import_batches values (1,'a','b','c','d','e',1)".to_string(),
            "delete from catalog_llm_models".to_string(),
            "drop view templates".to_string(),
            format!("attach database '{}' as x", attach_target.display()),
            format!("vacuum into '{}'", vacuum_target.display()),
            "pragma journal_mode = delete".to_string(),
            "pragma user_version = 7".to_string(),
            "select load_extension('x')".to_string(),
            "select 1; select 2".to_string(),
            "create temp table t(x)".to_string(),
        ];
        for sql in attempts {
            let result = prepare_read_only(store.conn(), &sql).and_then(|mut s| {
                let mut rows = s.query([]).db("run")?;
                while rows.next().db("step")?.is_some() {}
                Ok(())
            });
            assert!(result.is_err(), "{sql} should be refused");
        }
        assert!(!attach_target.exists());
        assert!(!vacuum_target.exists());
    }

    #[test]
    fn reads_are_allowed() {
        let (_dir, path) = store_file();
        let store = Store::open_read_only(&path).unwrap();
        for sql in [
            "select count(*) from templates",
            "pragma table_info(templates)",
            "with x(a) as (select 1) select a from x",
        ] {
            let mut stmt = prepare_read_only(store.conn(), sql).unwrap();
            let mut rows = stmt.query([]).unwrap();
            while rows.next().unwrap().is_some() {}
        }
        assert_eq!(integrity_check(store.conn()).unwrap(), "ok");
    }

    #[test]
    fn a_set_stop_flag_interrupts_an_endless_statement() {
        let (_dir, path) = store_file();
        let mut store = Store::open_read_only(&path).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let reason = install_limits(store.conn_mut(), None, stop).unwrap();
        let mut stmt = prepare_read_only(
            store.conn(),
            "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n",
        )
        .unwrap();
        let err = stmt.query_row([], |r| r.get::<_, i64>(0)).unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::OperationInterrupted)
        );
        assert_eq!(*reason.lock().unwrap(), Some(Stop::Interrupted));
    }
}
