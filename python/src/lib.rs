//! `cohortdb._native`: the compiled half of the `cohortdb` Python package (docs/python.md).
//!
//! It calls the same library as the CLI — no subprocess — and returns plain Python data
//! (dicts, lists, str, int) that the pure-Python half (`python/cohortdb/`) turns into report
//! classes. Library errors become the exception classes of `cohortdb.errors`, with the fields
//! of the error (file, line, column, YAML path, detail lines). Every call that reads files or
//! the store releases the GIL while it works.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use cohortdb::catalog::import::NoProgress;
use cohortdb::catalog::{self, CatalogKind, ImportReport};
use cohortdb::cohort;
use cohortdb::export::{self, ExportOptions, NoExportProgress};
use cohortdb::ids::CohortId;
use cohortdb::seed::Seed;
use cohortdb::verify::{self, VerifyOptions};
use cohortdb::{Error, Store, UsageError};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::{IntoPyObjectExt, create_exception};
use rusqlite::types::{Value, ValueRef};

/// The statement behind `Store.membership()`.
const MEMBERSHIP_SELECT: &str = include_str!("../../sql/python_membership_select.sql");

create_exception!(
    _native,
    NativeError,
    pyo3::exceptions::PyException,
    "Raised only when `cohortdb.errors` cannot be imported to build the typed exception."
);

/// Builds an exception of class `class` from `cohortdb.errors`: `class(message, **fields)`.
fn typed_error(
    py: Python<'_>,
    class: &str,
    message: String,
    fields: &[(&str, Py<PyAny>)],
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let module = py.import("cohortdb.errors")?;
        let kwargs = PyDict::new(py);
        for (name, value) in fields {
            kwargs.set_item(*name, value)?;
        }
        let exc = module
            .getattr(class)?
            .call((message.clone(),), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| NativeError::new_err(format!("{message} ({e})")))
}

/// The exception class of `cohortdb.errors` for an error kind ([`Error::kind_name`]).
fn class_of(err: &Error) -> &'static str {
    match err.kind_name() {
        "spec" => "SpecError",
        "catalog" => "CatalogError",
        "usage" => "UsageError",
        "build" | "export_refused" | "migrate_refused" => "RefusedError",
        "read_only" => "QueryError",
        "db" if matches!(err, Error::Db { query, .. } if *query == "query") => "QueryError",
        "db" | "migration" | "bad_store" => "StoreError",
        "no_store" => "NoStoreError",
        "io" => "CohortdbIOError",
        // Data files (membership.csv, metadata.json) are read only by `migrate`, which the
        // package does not offer; internal errors are bugs.
        _ => "CohortdbError",
    }
}

/// Turns a library error into the typed Python exception (see `cohortdb/errors.py`): the
/// CLI's message, its detail and hint lines, and the error's fields.
fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    let message = err.to_string();
    let hints = err.hints();
    let mut detail = err.detail();
    detail.extend(hints.iter().map(|h| format!("hint: {h}")));
    let mut fields: Vec<(&str, PyResult<Py<PyAny>>)> = vec![
        ("kind", err.kind_name().into_py_any(py)),
        ("detail", detail.into_py_any(py)),
        ("hints", hints.into_py_any(py)),
        ("value", err.value().into_py_any(py)),
    ];
    if let Some(loc) = err.location() {
        fields.push(("file", loc.path.clone().into_py_any(py)));
        fields.push(("line", loc.line.into_py_any(py)));
        fields.push(("column", loc.column.into_py_any(py)));
        fields.push(("yaml_path", loc.yaml_path.clone().into_py_any(py)));
    }
    match &err {
        Error::Db { query, .. } if *query != "query" => {
            fields.push(("query", query.into_py_any(py)));
        }
        Error::Io { source, .. } => fields.push(("errno", source.raw_os_error().into_py_any(py))),
        _ => {}
    }
    let fields: Vec<(&str, Py<PyAny>)> = fields
        .into_iter()
        .filter_map(|(name, value)| value.ok().map(|v| (name, v)))
        .collect();
    typed_error(py, class_of(&err), message, &fields)
}

/// Runs `f` without the GIL and maps its error to the typed exception.
fn detached<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> cohortdb::Result<T> + Send,
) -> PyResult<T> {
    py.detach(f).map_err(|e| to_py_err(py, e))
}

/// Converts a JSON value (a serialised report) into Python objects.
fn json_to_py<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value as J;
    Ok(match value {
        J::Null => py.None().into_bound(py),
        J::Bool(b) => b.into_bound_py_any(py)?,
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_bound_py_any(py)?,
            (None, Some(u)) => u.into_bound_py_any(py)?,
            _ => n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?,
        },
        J::String(s) => PyString::new(py, s).into_any(),
        J::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        J::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// Serialises a report and converts it (reports derive `serde::Serialize`).
fn report_to_py<'py>(
    py: Python<'py>,
    report: &impl serde::Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(report)
        .map_err(|e| PyValueError::new_err(format!("report could not be serialised: {e}")))?;
    json_to_py(py, &value)
}

fn import_report_to_py<'py>(py: Python<'py>, report: &ImportReport) -> PyResult<Bound<'py, PyAny>> {
    let files = PyList::empty(py);
    for f in &report.files {
        let d = PyDict::new(py);
        d.set_item("kind", f.kind.name())?;
        d.set_item("label", f.kind.label())?;
        d.set_item("path", &f.path)?;
        d.set_item("present", f.present)?;
        d.set_item("added", f.added)?;
        d.set_item("unchanged", f.unchanged)?;
        d.set_item("batch_id", f.batch_id)?;
        d.set_item("warnings", f.warnings.clone())?;
        files.append(d)?;
    }
    let d = PyDict::new(py);
    d.set_item("files", files)?;
    d.set_item("added", report.added())?;
    Ok(d.into_any())
}

/// Refuses an import of the data layout that would find no catalog file at all (a missing or
/// mistyped data root), before the store is opened or created — as `cohortdb import` does.
fn require_some_catalog(root: &Path) -> cohortdb::Result<()> {
    if CatalogKind::ALL
        .iter()
        .any(|k| k.layout_path(root).exists())
    {
        return Ok(());
    }
    Err(UsageError::NothingToImport {
        root: root.display().to_string(),
        is_dir: root.is_dir(),
        expected: CatalogKind::ALL
            .iter()
            .map(|k| k.layout_path(root).display().to_string())
            .collect(),
    }
    .into())
}

/// Opens the store for a writing call and runs `f`. When the call fails and the store file did
/// not exist before it, the file is removed again, as the CLI does: a refused first command
/// leaves nothing behind.
fn with_new_or_existing_store<T>(
    db: &Path,
    f: impl FnOnce(&mut Store) -> cohortdb::Result<T>,
) -> cohortdb::Result<T> {
    let existed = db.exists();
    let result = Store::open(db).and_then(|mut store| f(&mut store));
    if result.is_err() && !existed {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = db.as_os_str().to_owned();
            path.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(path));
        }
    }
    result
}

/// A handle on a store file and a data root. Every call opens the store for its own work (one
/// transaction per call, like one CLI command), so a handle may be shared between threads.
#[pyclass(frozen, module = "cohortdb._native")]
struct NativeStore {
    db: PathBuf,
    data_root: PathBuf,
}

#[pymethods]
impl NativeStore {
    /// `NativeStore(db, data_root)`.
    #[new]
    fn new(db: PathBuf, data_root: PathBuf) -> Self {
        NativeStore { db, data_root }
    }

    /// The store file.
    #[getter]
    fn db(&self) -> PathBuf {
        self.db.clone()
    }

    /// The data root.
    #[getter]
    fn data_root(&self) -> PathBuf {
        self.data_root.clone()
    }

    /// Creates or migrates the store; returns its schema version.
    fn init(&self, py: Python<'_>) -> PyResult<u32> {
        detached(py, || {
            Store::open(&self.db).map(|store| store.schema_version())
        })
    }

    /// Imports every catalog of the data layout, or one `kind` from `file`.
    #[pyo3(signature = (kind=None, file=None))]
    fn import_catalogs<'py>(
        &self,
        py: Python<'py>,
        kind: Option<String>,
        file: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let report = detached(py, || match (kind, file) {
            (Some(kind), Some(file)) => {
                let Some(kind) = CatalogKind::parse(&kind) else {
                    return Err(UsageError::UnknownCatalogKind {
                        kind,
                        expected: CatalogKind::ALL
                            .iter()
                            .map(|k| k.name().to_string())
                            .collect(),
                    }
                    .into());
                };
                with_new_or_existing_store(&self.db, |store| {
                    catalog::import_file(store, kind, &file, &NoProgress)
                })
            }
            _ => {
                // `cohortdb.Store.import_catalogs` passes both or neither.
                require_some_catalog(&self.data_root)?;
                with_new_or_existing_store(&self.db, |store| {
                    catalog::import_all(store, &self.data_root, &NoProgress)
                })
            }
        })?;
        import_report_to_py(py, &report)
    }

    /// Builds cohort `cohort_id` and stores its record.
    #[pyo3(signature = (cohort_id, spec=None, seed=None, max_rows=None))]
    fn build<'py>(
        &self,
        py: Python<'py>,
        cohort_id: String,
        spec: Option<PathBuf>,
        seed: Option<&Bound<'py, PyAny>>,
        max_rows: Option<u128>,
    ) -> PyResult<Bound<'py, PyAny>> {
        // Any Python int (D23: seeds of any size), read through its decimal text;
        // `cohortdb.Store.build` passes only ints.
        let seed: Option<Seed> = match seed {
            Some(s) if !s.is_none() => Some(
                s.str()?
                    .to_string()
                    .parse()
                    .map_err(|e| typed_error(py, "UsageError", format!("seed: {e}"), &[]))?,
            ),
            _ => None,
        };
        let report = detached(py, || {
            // D11: the id is checked before anything is read or written.
            let id = CohortId::parse(&cohort_id)?;
            let spec_path = spec.unwrap_or_else(|| {
                self.data_root
                    .join("cohorts")
                    .join(id.as_str())
                    .join("spec")
                    .join("config.yaml")
            });
            let spec = cohortdb::spec::load_path(&spec_path)?;
            let plan = cohortdb::spec::resolve(&spec)?;
            cohortdb::compile::check_axes(&plan)?;
            let max_rows = max_rows.unwrap_or(cohortdb::compile::DEFAULT_MAX_ROWS);
            let rows = plan.row_count();
            if rows > max_rows {
                return Err(UsageError::TooManyRows { rows, max_rows }.into());
            }
            let seed = spec.effective_seed(seed);
            with_new_or_existing_store(&self.db, |store| {
                cohort::build(store, &id, &spec, &plan, seed.as_ref())
            })
        })?;
        report_to_py(py, &report)
    }

    /// Exports a stored cohort's files.
    ///
    /// `repair=True` rewrites a member's `metadata.json` that is not valid JSON from the
    /// record (the report's `repaired` list shows what each held); a valid file that disagrees
    /// is still refused.
    #[pyo3(signature = (cohort_id, out=None, gens_root=None, force=false, repair=false))]
    fn export<'py>(
        &self,
        py: Python<'py>,
        cohort_id: String,
        out: Option<PathBuf>,
        gens_root: Option<PathBuf>,
        force: bool,
        repair: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let report = detached(py, || {
            let id = CohortId::parse(&cohort_id)?;
            let options = ExportOptions {
                out: out.unwrap_or_else(|| self.data_root.join("cohorts").join(id.as_str())),
                gens_root: gens_root.unwrap_or_else(|| self.data_root.join("gens")),
                force,
                repair,
            };
            let store = Store::open_read_only(&self.db)?;
            export::export(store.conn(), &id, &options, &NoExportProgress)
        })?;
        report_to_py(py, &report)
    }

    /// Verifies a stored cohort (and its exported files unless `store_only`).
    #[pyo3(signature = (cohort_id, store_only=false, dir=None, gens_root=None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        cohort_id: String,
        store_only: bool,
        dir: Option<PathBuf>,
        gens_root: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (report, lines) = detached(py, || {
            let id = CohortId::parse(&cohort_id)?;
            let options = VerifyOptions {
                dir_named: dir.is_some(),
                gens_root_named: gens_root.is_some(),
                dir: dir.unwrap_or_else(|| self.data_root.join("cohorts").join(id.as_str())),
                gens_root: gens_root.unwrap_or_else(|| self.data_root.join("gens")),
                store_only,
            };
            // Recomputing needs scratch tables, so the store opens read-write; nothing is
            // committed.
            let store = Store::open_existing(&self.db)?;
            let report = verify::verify(store.conn(), &id, &options)?;
            let lines: Vec<(String, Vec<String>)> = report
                .findings
                .iter()
                .map(|f| (f.to_string(), f.detail().to_vec()))
                .collect();
            Ok((report, lines))
        })?;
        let value = report_to_py(py, &report)?;
        let dict = value.cast::<PyDict>()?;
        dict.set_item("matches", report.matches())?;
        let findings = dict
            .get_item("findings")?
            .ok_or_else(|| PyValueError::new_err("verify report without findings"))?;
        for (i, (finding, (message, detail))) in report.findings.iter().zip(lines).enumerate() {
            let entry = findings.get_item(i)?;
            let entry = entry.cast::<PyDict>()?;
            entry.set_item("message", message)?;
            entry.set_item("detail", detail)?;
            let severity = serde_json::to_value(finding.severity())
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            entry.set_item("severity", severity)?;
        }
        Ok(value)
    }

    /// `cohortdb status [COHORT_ID…]`: which cohorts (and, with no id, which catalog files)
    /// are no longer current.
    #[pyo3(signature = (cohort_ids=Vec::new()))]
    fn status<'py>(&self, py: Python<'py>, cohort_ids: Vec<String>) -> PyResult<Bound<'py, PyAny>> {
        let report = detached(py, || {
            let ids = cohort_ids
                .iter()
                .map(|id| CohortId::parse(id))
                .collect::<cohortdb::Result<Vec<_>>>()?;
            let store = Store::open_read_only(&self.db)?;
            let options = cohortdb::status::StatusOptions {
                data_root: self.data_root.clone(),
            };
            cohortdb::status::status(store.conn(), &self.db, &ids, &options)
        })?;
        report_to_py(py, &report)
    }

    /// `cohortdb show COHORT_ID`: the record and its balance table.
    fn show<'py>(&self, py: Python<'py>, cohort_id: String) -> PyResult<Bound<'py, PyAny>> {
        let report = detached(py, || {
            let id = CohortId::parse(&cohort_id)?;
            let store = Store::open_read_only(&self.db)?;
            cohortdb::show::show(store.conn(), &id)
        })?;
        report_to_py(py, &report)
    }

    /// The stored cohorts.
    fn cohorts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let list = detached(py, || {
            let store = Store::open_read_only(&self.db)?;
            cohortdb::record::list(store.conn())
        })?;
        let out = PyList::empty(py);
        for c in &list {
            let d = PyDict::new(py);
            d.set_item("cohort_id", &c.cohort_id)?;
            d.set_item("content_hash", &c.content_hash)?;
            d.set_item("drafts", c.counts[0])?;
            d.set_item("essays", c.counts[1])?;
            d.set_item("evaluations", c.counts[2])?;
            d.set_item("created_at", &c.created_at)?;
            out.append(d)?;
        }
        Ok(out.into_any())
    }

    /// Runs one read-only statement; returns an iterator of batches (see [`Batches`]).
    #[pyo3(signature = (sql, params=None, batch_size=10_000, shape="dicts"))]
    fn query_batches(
        &self,
        py: Python<'_>,
        sql: String,
        params: Option<&Bound<'_, PyAny>>,
        batch_size: usize,
        shape: &str,
    ) -> PyResult<Batches> {
        let shape = match shape {
            "dicts" => Shape::Dicts,
            "tuples" => Shape::Tuples,
            "columns" => Shape::Columns,
            other => {
                return Err(PyValueError::new_err(format!(
                    "shape must be 'dicts', 'tuples' or 'columns', found {other:?}"
                )));
            }
        };
        let params = match params {
            None => Params::None,
            Some(p) if p.is_none() => Params::None,
            Some(p) => match p.cast::<PyDict>() {
                Ok(d) => {
                    let mut named = Vec::new();
                    for (k, v) in d.iter() {
                        let name: String = k.extract()?;
                        let name = if name.starts_with([':', '@', '$']) {
                            name
                        } else {
                            format!(":{name}")
                        };
                        named.push((name, py_to_value(&v)?));
                    }
                    Params::Named(named)
                }
                Err(_) => {
                    let mut positional = Vec::new();
                    for v in p.try_iter()? {
                        positional.push(py_to_value(&v?)?);
                    }
                    Params::Positional(positional)
                }
            },
        };
        Batches::start(py, self.db.clone(), sql, params, batch_size.max(1), shape)
    }

    /// The SQL text of `Store.membership()`.
    #[classattr]
    fn membership_sql() -> &'static str {
        MEMBERSHIP_SELECT
    }
}

/// Query parameters, converted from Python before the query thread starts.
enum Params {
    None,
    Positional(Vec<Value>),
    Named(Vec<(String, Value)>),
}

/// How a batch is handed to Python.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A list of dicts keyed by column name.
    Dicts,
    /// A list of tuples.
    Tuples,
    /// A list with one list of values per column.
    Columns,
}

/// What the query thread sends: the column names once, then batches (column-major), or an
/// error.
enum Message {
    Columns(Vec<String>),
    Batch(Batch),
    Failed(Error),
    /// The parameters do not match the statement (raised as `QueryError`).
    BadParams(String),
}

fn py_to_value(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if v.is_none() {
        Ok(Value::Null)
    } else if let Ok(b) = v.cast::<pyo3::types::PyBool>() {
        Ok(Value::Integer(i64::from(b.is_true())))
    } else if let Ok(i) = v.cast::<pyo3::types::PyInt>() {
        Ok(Value::Integer(i.extract::<i64>().map_err(|_| {
            PyValueError::new_err(format!("integer {i} does not fit SQLite's 64 bits"))
        })?))
    } else if let Ok(f) = v.cast::<pyo3::types::PyFloat>() {
        Ok(Value::Real(f.value()))
    } else if let Ok(s) = v.cast::<PyString>() {
        Ok(Value::Text(s.extract::<String>()?))
    } else if let Ok(b) = v.cast::<PyBytes>() {
        Ok(Value::Blob(b.as_bytes().to_vec()))
    } else {
        Err(PyValueError::new_err(format!(
            "unsupported SQL value of type {}",
            v.get_type().name()?
        )))
    }
}

/// One cell of a batch; texts and blobs are ranges of the batch's byte buffer.
#[derive(Clone, Copy)]
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(usize, usize),
    Blob(usize, usize),
}

/// Rows of a result, column-major, with every text and blob in one buffer (no allocation per
/// cell while SQLite steps).
struct Batch {
    columns: Vec<Vec<Cell>>,
    bytes: Vec<u8>,
    rows: usize,
}

impl Batch {
    fn new(width: usize, rows: usize) -> Batch {
        Batch {
            columns: (0..width).map(|_| Vec::with_capacity(rows)).collect(),
            bytes: Vec::with_capacity(rows * width * 16),
            rows: 0,
        }
    }

    fn push(&mut self, column: usize, value: ValueRef<'_>) {
        let cell = match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Integer(i),
            ValueRef::Real(f) => Cell::Real(f),
            ValueRef::Text(t) => {
                let start = self.bytes.len();
                // SQLite text is not guaranteed UTF-8: invalid bytes become U+FFFD here, once.
                match std::str::from_utf8(t) {
                    Ok(_) => self.bytes.extend_from_slice(t),
                    Err(_) => self
                        .bytes
                        .extend_from_slice(String::from_utf8_lossy(t).as_bytes()),
                }
                Cell::Text(start, self.bytes.len() - start)
            }
            ValueRef::Blob(b) => {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(b);
                Cell::Blob(start, b.len())
            }
        };
        self.columns[column].push(cell);
    }

    fn text(&self, start: usize, len: usize) -> &str {
        // Valid UTF-8 by construction (`push`).
        std::str::from_utf8(&self.bytes[start..start + len]).unwrap_or_default()
    }

    fn to_py<'py>(
        &self,
        py: Python<'py>,
        cache: &mut StringCache,
        column: usize,
        cell: Cell,
    ) -> PyResult<Bound<'py, PyAny>> {
        Ok(match cell {
            Cell::Null => py.None().into_bound(py),
            Cell::Integer(i) => i.into_bound_py_any(py)?,
            Cell::Real(f) => f.into_bound_py_any(py)?,
            Cell::Text(start, len) => cache.text(py, column, self.text(start, len)),
            Cell::Blob(start, len) => PyBytes::new(py, &self.bytes[start..start + len]).into_any(),
        })
    }
}

/// Runs the statement on its own connection, sending column-major batches. Stops when the
/// receiver is gone (the Python iterator was dropped).
fn run_query(db: PathBuf, sql: String, params: Params, batch_size: usize, tx: SyncSender<Message>) {
    let send_error = |e: Error| {
        let _ = tx.send(Message::Failed(e));
    };
    let db_err = |source: rusqlite::Error| Error::Db {
        query: "query",
        source,
    };
    let store = match Store::open_read_only(&db) {
        Ok(store) => store,
        Err(e) => return send_error(e),
    };
    let mut stmt = match cohortdb::query::prepare_read_only(store.conn(), &sql) {
        Ok(stmt) => stmt,
        Err(e) => return send_error(e),
    };
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let expected = stmt.parameter_count();
    let bound = match &params {
        Params::None => (expected == 0)
            .then_some(())
            .ok_or_else(|| format!("the statement has {expected} parameters, none given")),
        Params::Positional(values) => {
            if values.len() != expected {
                Err(format!(
                    "the statement has {expected} parameters, {} given",
                    values.len()
                ))
            } else {
                values
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, v)| stmt.raw_bind_parameter(i + 1, v))
                    .map_err(|e| e.to_string())
            }
        }
        Params::Named(values) => {
            values
                .iter()
                .try_for_each(|(name, v)| match stmt.parameter_index(name) {
                    Ok(Some(i)) => stmt.raw_bind_parameter(i, v).map_err(|e| e.to_string()),
                    Ok(None) => Err(format!("the statement has no parameter {name}")),
                    Err(e) => Err(e.to_string()),
                })
        }
    };
    if let Err(message) = bound {
        let _ = tx.send(Message::BadParams(format!("query parameters: {message}")));
        return;
    }
    if tx.send(Message::Columns(names.clone())).is_err() {
        return;
    }
    let width = names.len();
    let mut batch = Batch::new(width, batch_size);
    let mut rows = stmt.raw_query();
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                for i in 0..width {
                    match row.get_ref(i) {
                        Ok(v) => batch.push(i, v),
                        Err(e) => return send_error(db_err(e)),
                    }
                }
                batch.rows += 1;
                if batch.rows == batch_size {
                    let full = std::mem::replace(&mut batch, Batch::new(width, batch_size));
                    if tx.send(Message::Batch(full)).is_err() {
                        return;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return send_error(db_err(e)),
        }
    }
    if batch.rows > 0 {
        let _ = tx.send(Message::Batch(batch));
    }
}

/// Per-column cache of Python strings: membership columns repeat few values (stage, template,
/// LLM, combo), so each distinct text becomes one Python object. A column stops caching once it
/// has shown many distinct values (gen_ids).
struct StringCache {
    columns: Vec<Option<std::collections::HashMap<String, Py<PyString>>>>,
}

const CACHE_LIMIT: usize = 4096;

impl StringCache {
    fn new(width: usize) -> Self {
        StringCache {
            columns: (0..width)
                .map(|_| Some(std::collections::HashMap::new()))
                .collect(),
        }
    }

    fn text<'py>(&mut self, py: Python<'py>, column: usize, text: &str) -> Bound<'py, PyAny> {
        let Some(Some(cache)) = self.columns.get_mut(column) else {
            return PyString::new(py, text).into_any();
        };
        if let Some(s) = cache.get(text) {
            return s.bind(py).clone().into_any();
        }
        let s = PyString::new(py, text);
        if cache.len() >= CACHE_LIMIT {
            self.columns[column] = None;
        } else {
            cache.insert(text.to_owned(), s.clone().unbind());
        }
        s.into_any()
    }
}

/// An iterator of result batches from a query running on its own thread. At most two batches
/// wait in memory, so any result streams in bounded memory; dropping the iterator stops the
/// query.
#[pyclass(module = "cohortdb._native")]
struct Batches {
    receiver: Mutex<Option<Receiver<Message>>>,
    columns: Vec<String>,
    shape: Shape,
    cache: Mutex<StringCache>,
}

impl Batches {
    fn start(
        py: Python<'_>,
        db: PathBuf,
        sql: String,
        params: Params,
        batch_size: usize,
        shape: Shape,
    ) -> PyResult<Batches> {
        let (tx, rx) = sync_channel(2);
        std::thread::Builder::new()
            .name("cohortdb-query".into())
            .spawn(move || run_query(db, sql, params, batch_size, tx))
            .map_err(|e| PyValueError::new_err(format!("cannot start the query thread: {e}")))?;
        // The first message says whether the statement was accepted: errors raise here.
        let (first, rx) = py.detach(move || (rx.recv(), rx));
        match first {
            Ok(Message::Columns(columns)) => Ok(Batches {
                receiver: Mutex::new(Some(rx)),
                cache: Mutex::new(StringCache::new(columns.len())),
                columns,
                shape,
            }),
            Ok(Message::Failed(e)) => Err(to_py_err(py, e)),
            Ok(Message::BadParams(message)) => Err(typed_error(py, "QueryError", message, &[])),
            Ok(Message::Batch(_)) | Err(_) => Err(PyValueError::new_err(
                "the query thread stopped before naming its columns",
            )),
        }
    }
}

#[pymethods]
impl Batches {
    /// The result's column names.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.columns.clone()
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut guard = self
            .receiver
            .lock()
            .map_err(|_| PyValueError::new_err("query iterator poisoned"))?;
        let Some(rx) = guard.take() else {
            return Ok(None);
        };
        drop(guard);
        // The receiver moves into the GIL-free wait and back (no lock is held while waiting).
        let (message, rx) = py.detach(move || (rx.recv(), rx));
        if let Ok(mut guard) = self.receiver.lock() {
            *guard = Some(rx);
        }
        let batch = match message {
            Ok(Message::Batch(batch)) => batch,
            Ok(Message::Failed(e)) => {
                self.close();
                return Err(to_py_err(py, e));
            }
            Ok(Message::Columns(_) | Message::BadParams(_)) | Err(_) => {
                self.close();
                return Ok(None);
            }
        };
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| PyValueError::new_err("query iterator poisoned"))?;
        let out = match self.shape {
            Shape::Columns => {
                let mut columns = Vec::with_capacity(batch.columns.len());
                for (i, column) in batch.columns.iter().enumerate() {
                    let values = column
                        .iter()
                        .map(|cell| batch.to_py(py, &mut cache, i, *cell))
                        .collect::<PyResult<Vec<_>>>()?;
                    columns.push(PyList::new(py, values)?);
                }
                PyList::new(py, columns)?
            }
            Shape::Dicts | Shape::Tuples => {
                let keys: Vec<Bound<'py, PyString>> =
                    self.columns.iter().map(|c| PyString::new(py, c)).collect();
                let mut out = Vec::with_capacity(batch.rows);
                for r in 0..batch.rows {
                    let mut values = Vec::with_capacity(batch.columns.len());
                    for (i, column) in batch.columns.iter().enumerate() {
                        let cell = column.get(r).copied().unwrap_or(Cell::Null);
                        values.push(batch.to_py(py, &mut cache, i, cell)?);
                    }
                    if self.shape == Shape::Dicts {
                        let d = PyDict::new(py);
                        for (k, v) in keys.iter().zip(values) {
                            d.set_item(k, v)?;
                        }
                        out.push(d.into_any());
                    } else {
                        out.push(PyTuple::new(py, values)?.into_any());
                    }
                }
                PyList::new(py, out)?
            }
        };
        Ok(Some(out.into_any()))
    }

    /// Stops the query (also done when the iterator is dropped or exhausted).
    fn close(&self) {
        if let Ok(mut guard) = self.receiver.lock() {
            guard.take();
        }
    }
}

/// Converts Python arguments of a SQL function call into SQLite values.
fn sql_args(args: &Bound<'_, PyTuple>) -> PyResult<Vec<Value>> {
    args.iter().map(|a| py_to_value(&a)).collect()
}

fn function_error(py: Python<'_>, e: cohortdb_genid::sql::FunctionError) -> PyErr {
    typed_error(py, "GenIdError", e.to_string(), &[])
}

fn refs(values: &[Value]) -> Vec<ValueRef<'_>> {
    values.iter().map(ValueRef::from).collect()
}

/// `gen_signature(part, …, replicate)`, exactly as the SQL function.
#[pyfunction]
#[pyo3(signature = (*args))]
fn gen_signature(py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<String> {
    let values = sql_args(args)?;
    cohortdb_genid::sql::gen_signature(&refs(&values)).map_err(|e| function_error(py, e))
}

/// `gen_id(stage, signature[, collision_index])`, exactly as the SQL function.
#[pyfunction]
#[pyo3(signature = (*args))]
fn gen_id(py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<String> {
    let values = sql_args(args)?;
    cohortdb_genid::sql::gen_id(&refs(&values)).map_err(|e| function_error(py, e))
}

/// `gen_signature_digest(signature)`, exactly as the SQL function.
#[pyfunction]
#[pyo3(signature = (*args))]
fn gen_signature_digest<'py>(
    py: Python<'py>,
    args: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyBytes>> {
    let values = sql_args(args)?;
    let digest = cohortdb_genid::sql::gen_signature_digest(&refs(&values))
        .map_err(|e| function_error(py, e))?;
    Ok(PyBytes::new(py, &digest))
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeStore>()?;
    m.add_class::<Batches>()?;
    m.add_function(wrap_pyfunction!(gen_signature, m)?)?;
    m.add_function(wrap_pyfunction!(gen_id, m)?)?;
    m.add_function(wrap_pyfunction!(gen_signature_digest, m)?)?;
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add("DEFAULT_MAX_ROWS", cohortdb::compile::DEFAULT_MAX_ROWS)?;
    Ok(())
}
