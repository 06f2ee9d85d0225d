//! `cohortdb._native`: the compiled half of the `cohortdb` Python package (docs/python.md).
//!
//! A thin shell over the library's front door, `cohortdb::app::Workspace`: every method builds
//! the same request the CLI builds, runs it, and returns the same report document the CLI prints
//! with `--format json` (plain dicts and lists), which the pure-Python half
//! (`python/cohortdb/`) wraps in typed classes. Nothing here decides a path, a default or a
//! policy.
//!
//! Long calls run on a worker thread while the calling thread waits without the GIL and lets
//! Python run its signal handlers every [`POLL`]: Ctrl-C (`KeyboardInterrupt`) stops the work
//! through the library's stop token — a build is rolled back unless it had committed, which the
//! raised `KeyboardInterrupt` then says. Progress events go to the user's callbacks.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use cohortdb::Error;
use cohortdb::app::{
    self, BuildRequest, Cancel, Context, CopyRequest, DiffRequest, Event, Events, ExplainRequest,
    ExportRequest, ImportGensRequest, ImportRequest, Params, ProgressRequest, QueryRequest,
    RowSink, ScoresRequest, StatusRequest, VerifyRequest, VerifyTarget, Workspace,
};
use cohortdb::query::RealText;
use cohortdb::seed::Seed;
use pyo3::exceptions::{PyKeyboardInterrupt, PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::{IntoPyObjectExt, create_exception};
use rusqlite::types::{Value, ValueRef};

/// The statement behind `Store.membership()`.
const MEMBERSHIP_SELECT: &str = include_str!("../../sql/python_membership_select.sql");

/// How often a waiting call lets Python run its signal handlers (Ctrl-C).
const POLL: Duration = Duration::from_millis(100);

/// Progress events reach the callbacks at most this often (a task's start and finish always).
const EVENT_EVERY: Duration = Duration::from_millis(200);

/// Rows per query batch unless `batch_size` says otherwise.
const DEFAULT_BATCH_ROWS: usize = 10_000;

/// The most rows a query batch may hold (`batch_size`).
const MAX_BATCH_ROWS: usize = 1_000_000;

/// A batch is sent once its values hold this many bytes, whatever `batch_size` says, so a
/// result of wide rows streams in bounded memory too.
const DEFAULT_BATCH_BYTES: usize = 16 << 20;

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
        "data" => "DataError",
        "usage" => "UsageError",
        "build" | "export_refused" | "migrate_refused" | "results_refused" => "RefusedError",
        "read_only" => "QueryError",
        "db" if matches!(err, Error::Db { query, .. } if *query == "query") => "QueryError",
        "db" | "migration" | "bad_store" | "team" => "StoreError",
        "no_store" => "NoStoreError",
        "io" => "CohortdbIOError",
        _ => "CohortdbError",
    }
}

/// Turns a library error into the typed Python exception (see `cohortdb/errors.py`): the
/// CLI's message, its detail and hint lines, and every field (`None` when it does not apply).
fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    let message = err.to_string();
    let hints = err.hints();
    let mut detail = err.detail();
    detail.extend(hints.iter().map(|h| format!("hint: {h}")));
    let loc = err.location();
    let errno = match &err {
        Error::Io { source, .. } => source.raw_os_error(),
        _ => None,
    };
    let query = match &err {
        Error::Db { query, .. } if *query != "query" => Some(*query),
        _ => None,
    };
    let fields: Vec<(&str, PyResult<Py<PyAny>>)> = vec![
        ("kind", err.kind_name().into_py_any(py)),
        ("detail", detail.into_py_any(py)),
        ("hints", hints.into_py_any(py)),
        ("value", err.value().into_py_any(py)),
        ("file", loc.as_ref().map(|l| l.path.clone()).into_py_any(py)),
        ("line", loc.as_ref().and_then(|l| l.line).into_py_any(py)),
        (
            "column",
            loc.as_ref().and_then(|l| l.column).into_py_any(py),
        ),
        (
            "yaml_path",
            loc.as_ref()
                .and_then(|l| l.yaml_path.clone())
                .into_py_any(py),
        ),
        ("errno", errno.into_py_any(py)),
        ("query", query.into_py_any(py)),
    ];
    let fields: Vec<(&str, Py<PyAny>)> = fields
        .into_iter()
        .filter_map(|(name, value)| value.ok().map(|v| (name, v)))
        .collect();
    typed_error(py, class_of(&err), message, &fields)
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

/// A report as the same document `--format json` prints (reports derive `serde::Serialize`).
fn report_to_py<'py>(
    py: Python<'py>,
    report: &impl serde::Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(report)
        .map_err(|e| PyValueError::new_err(format!("report could not be serialised: {e}")))?;
    json_to_py(py, &value)
}

/// The user's progress callbacks, called with each event as a dict (the same document as
/// [`Event`] serialises to). A callback that raises stops the work; its exception is raised.
struct PyEvents<'a> {
    callbacks: &'a [Py<PyAny>],
    cancel: &'a Cancel,
    failed: Mutex<Option<PyErr>>,
    last: Mutex<Option<Instant>>,
}

impl Events for PyEvents<'_> {
    fn event(&self, event: &Event) {
        if self.callbacks.is_empty() {
            return;
        }
        if let Event::Progress { done, total, .. } = event {
            let Ok(mut last) = self.last.lock() else {
                return;
            };
            let due = last.is_none_or(|t| t.elapsed() >= EVENT_EVERY) || Some(*done) == *total;
            if !due {
                return;
            }
            *last = Some(Instant::now());
        }
        Python::attach(|py| {
            let Ok(value) = report_to_py(py, event) else {
                return;
            };
            for callback in self.callbacks {
                if let Err(err) = callback.call1(py, (value.clone(),)) {
                    if let Ok(mut failed) = self.failed.lock() {
                        failed.get_or_insert(err);
                    }
                    self.cancel.cancel();
                    return;
                }
            }
        });
    }
}

/// Runs `work` on a worker thread with a stop token and the callbacks, while this thread waits
/// without the GIL and lets Python handle signals every [`POLL`]. A `KeyboardInterrupt` stops
/// the work and is raised once the worker has stopped; when the work had already completed (a
/// build that committed), the exception says so with `done(result)`.
fn run<T: Send>(
    py: Python<'_>,
    callbacks: &[Py<PyAny>],
    work: impl FnOnce(Context<'_>) -> cohortdb::Result<T> + Send,
    done: impl FnOnce(&T) -> String,
) -> PyResult<T> {
    let cancel = Cancel::new();
    let events = PyEvents {
        callbacks,
        cancel: &cancel,
        failed: Mutex::new(None),
        last: Mutex::new(None),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let (result, interrupt) = std::thread::scope(|scope| {
        let (events, cancel) = (&events, &cancel);
        scope.spawn(move || {
            let _ = tx.send(work(Context::new(events, cancel)));
        });
        let mut rx = rx;
        let mut interrupt: Option<PyErr> = None;
        loop {
            let (message, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
            rx = back;
            match message {
                Ok(result) => break (result, interrupt),
                Err(RecvTimeoutError::Timeout) => {
                    if interrupt.is_none()
                        && let Err(e) = py.check_signals()
                    {
                        cancel.cancel();
                        interrupt = Some(e);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    break (
                        Err(Error::internal(
                            "the worker thread reports its result",
                            "it stopped",
                        )),
                        interrupt,
                    );
                }
            }
        }
    });
    if let Some(interrupt) = interrupt {
        return Err(match result {
            Ok(value) if interrupt.is_instance_of::<PyKeyboardInterrupt>(py) => {
                PyKeyboardInterrupt::new_err(format!(
                    "interrupted after the work completed: {}",
                    done(&value)
                ))
            }
            _ => interrupt,
        });
    }
    if let Some(err) = events.failed.into_inner().ok().flatten() {
        return Err(err);
    }
    result.map_err(|e| to_py_err(py, e))
}

/// Reads a Python value as a query parameter's SQLite value.
fn py_to_value(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if v.is_none() {
        Ok(Value::Null)
    } else if let Ok(b) = v.cast::<pyo3::types::PyBool>() {
        Ok(Value::Integer(i64::from(b.is_true())))
    } else if let Ok(i) = v.cast::<pyo3::types::PyInt>() {
        Ok(Value::Integer(i.extract::<i64>().map_err(|_| {
            PyOverflowError::new_err(format!("integer {i} does not fit SQLite's 64 bits"))
        })?))
    } else if let Ok(f) = v.cast::<pyo3::types::PyFloat>() {
        Ok(Value::Real(f.value()))
    } else if let Ok(s) = v.cast::<PyString>() {
        Ok(Value::Text(s.extract::<String>()?))
    } else if let Ok(b) = v.cast::<PyBytes>() {
        Ok(Value::Blob(b.as_bytes().to_vec()))
    } else {
        Err(PyTypeError::new_err(format!(
            "unsupported SQL value of type {}",
            v.get_type().name()?
        )))
    }
}

/// Query parameters from Python: a mapping binds by name, any other iterable by position.
fn params_of(params: Option<&Bound<'_, PyAny>>) -> PyResult<Params> {
    let Some(p) = params.filter(|p| !p.is_none()) else {
        return Ok(Params::None);
    };
    if let Ok(d) = p.cast::<pyo3::types::PyMapping>() {
        let mut named = Vec::new();
        for item in d.items()?.iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let name: String = k
                .extract()
                .map_err(|_| PyTypeError::new_err("parameter names must be str"))?;
            named.push((name, py_to_value(&v)?));
        }
        return Ok(Params::Named(named));
    }
    if p.cast::<PyString>().is_ok() || p.cast::<PyBytes>().is_ok() {
        return Err(PyTypeError::new_err(
            "params must be a sequence or a mapping, not str or bytes",
        ));
    }
    let mut positional = Vec::new();
    for v in p.try_iter()? {
        positional.push(py_to_value(&v?)?);
    }
    Ok(Params::Positional(positional))
}

/// A seed: a Python int of any size, or text in any spelling the CLI's `--seed` takes (what
/// Python's `int()` reads: `"7 "`, `"1_000"`; docs/decisions.md D23), parsed by the library's
/// `Seed`, so the binding and the CLI cannot read a seed differently.
fn seed_of(py: Python<'_>, seed: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Seed>> {
    let Some(s) = seed.filter(|s| !s.is_none()) else {
        return Ok(None);
    };
    let usage = |message: String| -> PyResult<Option<Seed>> {
        let fields = [
            ("kind", "usage".into_py_any(py)?),
            ("value", s.repr()?.to_string().into_py_any(py)?),
        ];
        Err(typed_error(py, "UsageError", message, &fields))
    };
    let text = if let Ok(text) = s.cast::<pyo3::types::PyString>() {
        match text.to_cow() {
            Ok(text) => text.into_owned(),
            Err(_) => return usage("seed: text with a lone surrogate is not an integer".into()),
        }
    } else if s.cast::<pyo3::types::PyBool>().is_err() && s.cast::<pyo3::types::PyInt>().is_ok() {
        s.str()?.to_string()
    } else {
        return usage(format!(
            "seed must be an int or its text, found {}",
            s.get_type().name()?
        ));
    };
    match text.parse() {
        Ok(seed) => Ok(Some(seed)),
        Err(e) => usage(format!("seed: {e}")),
    }
}

/// A handle on a store and a data root (paths made absolute when it is created). Every call
/// opens the store for its own work (one transaction per call, like one CLI command), so a
/// handle may be shared between threads.
#[pyclass(frozen, module = "cohortdb._native")]
struct NativeStore {
    ws: Workspace,
    callbacks: Vec<Py<PyAny>>,
}

#[pymethods]
impl NativeStore {
    /// `NativeStore(db, data_root, callbacks=[])`.
    #[new]
    #[pyo3(signature = (db, data_root, callbacks=Vec::new()))]
    fn new(db: PathBuf, data_root: PathBuf, callbacks: Vec<Py<PyAny>>) -> PyResult<Self> {
        let ws = Workspace::anchored(&db, &data_root)
            .map_err(|e| Python::attach(|py| to_py_err(py, e)))?;
        Ok(NativeStore { ws, callbacks })
    }

    /// The store file, or a team store's URL without its password.
    #[getter]
    fn db(&self) -> String {
        self.ws.store_shown()
    }

    /// The data root.
    #[getter]
    fn data_root(&self) -> PathBuf {
        self.ws.data_root().to_path_buf()
    }

    /// Creates or migrates the store.
    #[pyo3(signature = (starter=false))]
    fn init<'py>(&self, py: Python<'py>, starter: bool) -> PyResult<Bound<'py, PyAny>> {
        let request = app::InitRequest {
            project_file: None,
            starter,
        };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.init(&request, ctx),
            |_| "the store is created".into(),
        )?;
        report_to_py(py, &report)
    }

    /// Imports every catalog of the data layout, or one `kind` from `file`.
    #[pyo3(signature = (kind=None, file=None))]
    fn import_catalogs<'py>(
        &self,
        py: Python<'py>,
        kind: Option<String>,
        file: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = ImportRequest {
            file: kind.zip(file),
        };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.import(&request, ctx),
            |r| format!("{} rows were imported", r.added),
        )?;
        report_to_py(py, &report)
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
        let request = BuildRequest {
            cohort_id,
            spec,
            seed: seed_of(py, seed)?,
            max_rows,
        };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.build(&request, ctx),
            |r| {
                format!(
                    "cohort {} is stored ({:?}, content hash {})",
                    r.cohort_id, r.status, r.content_hash
                )
            },
        )?;
        report_to_py(py, &report)
    }

    /// Exports a stored cohort's files.
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
        let request = ExportRequest {
            cohort_id,
            out,
            gens_root,
            force,
            repair,
        };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.export(&request, ctx),
            |r| format!("{} was exported", r.out.display()),
        )?;
        report_to_py(py, &report)
    }

    /// Verifies one stored cohort (`cohort_id`) or every one (`cohort_id=None`).
    #[pyo3(signature = (cohort_id=None, store_only=false, dir=None, gens_root=None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        cohort_id: Option<String>,
        store_only: bool,
        dir: Option<PathBuf>,
        gens_root: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = VerifyRequest {
            target: cohort_id.map_or(VerifyTarget::All, VerifyTarget::One),
            dir,
            gens_root,
            store_only,
        };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.verify(&request, ctx),
            |_| "verified".into(),
        )?;
        report_to_py(py, &report)
    }

    /// Which cohorts (and, with no id, which catalog files) are no longer current.
    #[pyo3(signature = (cohort_ids=Vec::new(), missing=false))]
    fn status<'py>(
        &self,
        py: Python<'py>,
        cohort_ids: Vec<String>,
        missing: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = StatusRequest {
            cohort_ids,
            missing,
        };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.status(&request, ctx),
            |_| "checked".into(),
        )?;
        report_to_py(py, &report)
    }

    /// A stored cohort's record and balance table.
    fn show<'py>(&self, py: Python<'py>, cohort_id: String) -> PyResult<Bound<'py, PyAny>> {
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.show(&cohort_id, ctx),
            |_| "shown".into(),
        )?;
        report_to_py(py, &report)
    }

    /// A stored cohort's spec: its config file as data.
    fn spec<'py>(&self, py: Python<'py>, cohort_id: String) -> PyResult<Bound<'py, PyAny>> {
        let value = run(
            py,
            &self.callbacks,
            |ctx| self.ws.spec_document(&cohort_id, ctx),
            |_| "read".into(),
        )?;
        json_to_py(py, &value)
    }

    /// A stored cohort's spec files: path → bytes (the config first).
    fn spec_files<'py>(&self, py: Python<'py>, cohort_id: String) -> PyResult<Bound<'py, PyAny>> {
        let bundle = run(
            py,
            &self.callbacks,
            |ctx| self.ws.spec_bundle(&cohort_id, ctx),
            |_| "read".into(),
        )?;
        let out = PyDict::new(py);
        if let Some(config) = bundle.files.get(&bundle.config) {
            out.set_item(&bundle.config, PyBytes::new(py, config))?;
        }
        for (path, bytes) in &bundle.files {
            if *path != bundle.config {
                out.set_item(path, PyBytes::new(py, bytes))?;
            }
        }
        Ok(out.into_any())
    }

    /// What differs between two cohorts (stored ids or spec folders).
    #[pyo3(signature = (a, b, stat_only=false))]
    fn diff<'py>(
        &self,
        py: Python<'py>,
        a: String,
        b: String,
        stat_only: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = DiffRequest { a, b, stat_only };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.diff(&request, ctx),
            |_| "compared".into(),
        )?;
        report_to_py(py, &report)
    }

    /// A spec's plan step by step.
    fn explain<'py>(&self, py: Python<'py>, spec: PathBuf) -> PyResult<Bound<'py, PyAny>> {
        let request = ExplainRequest { spec };
        let report = run(
            py,
            &self.callbacks,
            |_| self.ws.explain(&request),
            |_| "explained".into(),
        )?;
        report_to_py(py, &report)
    }

    /// The stored cohorts.
    fn cohorts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.cohorts(ctx),
            |_| "listed".into(),
        )?;
        report_to_py(py, &report)
    }

    /// Records the outputs under the gens root in the results ledger (`import gens`).
    #[pyo3(signature = (gens_root=None))]
    fn import_gens<'py>(
        &self,
        py: Python<'py>,
        gens_root: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = ImportGensRequest { gens_root };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.import_gens(&request, ctx),
            |r| format!("{} generation versions were recorded", r.versions()),
        )?;
        report_to_py(py, &report)
    }

    /// Writes the reference's results files of a cohort (`scores`).
    #[pyo3(signature = (cohort_id, gens_root=None))]
    fn scores<'py>(
        &self,
        py: Python<'py>,
        cohort_id: String,
        gens_root: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = ScoresRequest {
            cohort_id,
            gens_root,
        };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.scores(&request, ctx),
            |r| format!("{} files were written", r.written.len()),
        )?;
        report_to_py(py, &report)
    }

    /// The rows of a cohort's normalised evaluation scores as `{column: [values]}`: every
    /// column text as the CSV writes it, but `score` a float (NaN when empty). Rows are handed
    /// to Python in batches while the library streams them.
    #[pyo3(signature = (cohort_id, gens_root=None))]
    fn score_columns<'py>(
        &self,
        py: Python<'py>,
        cohort_id: String,
        gens_root: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        const BATCH: usize = 8192;
        let request = ScoresRequest {
            cohort_id,
            gens_root,
        };
        let names = cohortdb::results::COLUMNS;
        let columns: Vec<Py<PyList>> = names.iter().map(|_| PyList::empty(py).unbind()).collect();
        let score_at = names
            .iter()
            .position(|c| *c == "score")
            .unwrap_or(usize::MAX);
        let flush = |batch: &mut Vec<[String; 15]>| -> cohortdb::Result<()> {
            Python::attach(|py| -> PyResult<()> {
                for row in batch.drain(..) {
                    for (i, cell) in row.into_iter().enumerate() {
                        let list = columns[i].bind(py);
                        if i == score_at {
                            list.append(cell.parse::<f64>().unwrap_or(f64::NAN))?;
                        } else {
                            list.append(cell)?;
                        }
                    }
                }
                Ok(())
            })
            .map_err(|e| Error::internal("rows reach Python", e.to_string()))
        };
        run(
            py,
            &self.callbacks,
            |ctx| {
                let mut batch = Vec::with_capacity(BATCH);
                self.ws.score_rows(&request, ctx, |row| {
                    batch.push(row.cells().map(str::to_string));
                    if batch.len() >= BATCH {
                        flush(&mut batch)?;
                    }
                    Ok(())
                })?;
                flush(&mut batch)
            },
            |_| "the rows were read".into(),
        )?;
        let dict = PyDict::new(py);
        for (name, column) in names.iter().zip(columns) {
            dict.set_item(name, column)?;
        }
        Ok(dict.into_any())
    }

    /// Per stage, a stored cohort's members with prompt / raw / parsed outputs in the ledger.
    #[pyo3(signature = (cohort_id, missing=false))]
    fn progress<'py>(
        &self,
        py: Python<'py>,
        cohort_id: String,
        missing: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = ProgressRequest { cohort_id, missing };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.progress(&request, ctx),
            |_| "counted".into(),
        )?;
        report_to_py(py, &report)
    }

    /// Re-hashes every output file the ledger holds (`results verify`).
    fn results_verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.results_verify(ctx),
            |_| "verified".into(),
        )?;
        report_to_py(py, &report)
    }

    /// `new`: writes a new cohort's spec folder (a starter spec, or `from_cohort`'s spec files).
    #[pyo3(signature = (cohort_id, from_cohort=None))]
    fn new_spec<'py>(
        &self,
        py: Python<'py>,
        cohort_id: String,
        from_cohort: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = app::NewRequest {
            cohort_id,
            from: from_cohort,
        };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.new_spec(&request, ctx),
            |r| format!("{} was written", r.spec_dir),
        )?;
        report_to_py(py, &report)
    }

    /// A consistent copy of the store in the new file `dest`.
    fn backup<'py>(&self, py: Python<'py>, dest: PathBuf) -> PyResult<Bound<'py, PyAny>> {
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.backup(&dest, ctx),
            |r| format!("{} was written", r.dest.display()),
        )?;
        report_to_py(py, &report)
    }

    /// `push`: copies cohorts (and the catalog rows and registry entries they need) from this
    /// store to `to` (an SQLite path, created when missing, or a `postgres://` URL).
    fn push<'py>(
        &self,
        py: Python<'py>,
        cohort_ids: Vec<String>,
        to: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = CopyRequest {
            cohort_ids,
            other: to,
        };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.push(&request, ctx),
            |r| format!("{} cohorts were copied to {}", r.copied.len(), r.to),
        )?;
        report_to_py(py, &report)
    }

    /// `pull`: copies cohorts (and what they need) from `from_` (an SQLite path or a
    /// `postgres://` URL) into this store.
    fn pull<'py>(
        &self,
        py: Python<'py>,
        cohort_ids: Vec<String>,
        from_: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = CopyRequest {
            cohort_ids,
            other: from_,
        };
        let report = run(
            py,
            &self.callbacks,
            |ctx| self.ws.pull(&request, ctx),
            |r| format!("{} cohorts were copied from {}", r.copied.len(), r.from),
        )?;
        report_to_py(py, &report)
    }

    /// Runs one read-only statement; returns an iterator of batches (see [`Batches`]).
    #[pyo3(signature = (sql, params=None, batch_size=None, shape="dicts", max_bytes=None))]
    fn query_batches(
        &self,
        py: Python<'_>,
        sql: String,
        params: Option<&Bound<'_, PyAny>>,
        batch_size: Option<&Bound<'_, PyAny>>,
        shape: &str,
        max_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Batches> {
        let limits = Limits::of(batch_size, max_bytes)?;
        let shape = Shape::parse(shape)?;
        let request = QueryRequest {
            sql,
            params: params_of(params)?,
            timeout: None,
        };
        Batches::start(py, self.ws.clone(), None, request, limits, shape)
    }

    /// Runs one read-only statement; returns its result as the bytes of a Parquet file
    /// (`Store.query_arrow` reads them with pyarrow). Column types: docs/decisions.md D31.
    #[pyo3(signature = (sql, params=None))]
    fn query_parquet<'py>(
        &self,
        py: Python<'py>,
        sql: String,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let request = QueryRequest {
            sql,
            params: params_of(params)?,
            timeout: None,
        };
        let bytes = run(
            py,
            &self.callbacks,
            |ctx| {
                let mut sink = app::ParquetSink::new(Vec::new(), "query_arrow");
                self.ws.query(&request, ctx, &mut sink)?;
                sink.finish()?.ok_or_else(|| {
                    Error::internal("a Parquet result in memory is written whole", "it stopped")
                })
            },
            |bytes| format!("{} bytes of Parquet were written", bytes.len()),
        )?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A stored cohort's members in `membership.csv` order, as batches; an unknown cohort id
    /// raises.
    #[pyo3(signature = (cohort_id, batch_size=None, shape="dicts", max_bytes=None))]
    fn membership_batches(
        &self,
        py: Python<'_>,
        cohort_id: String,
        batch_size: Option<&Bound<'_, PyAny>>,
        shape: &str,
        max_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Batches> {
        let limits = Limits::of(batch_size, max_bytes)?;
        let shape = Shape::parse(shape)?;
        let request = QueryRequest {
            sql: MEMBERSHIP_SELECT.to_string(),
            params: Params::Positional(vec![Value::Text(cohort_id.clone())]),
            timeout: None,
        };
        Batches::start(py, self.ws.clone(), Some(cohort_id), request, limits, shape)
    }

    /// A cohort's members, built straight from its stored rows (each value text becomes one
    /// Python string, shared by every member that has it): a list of dicts (`shape="dicts"`),
    /// or `(column names, one list per column)` (`"columns"`). `None` when a stored row cannot
    /// be part of a canonical record: the caller reads the `membership` view instead.
    fn membership<'py>(
        &self,
        py: Python<'py>,
        cohort_id: String,
        shape: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let shape = Shape::parse(shape)?;
        let members = run(
            py,
            &self.callbacks,
            |ctx| self.ws.members(&cohort_id, ctx),
            |_| "read".into(),
        )?;
        match members {
            Some(members) => members_to_py(py, &members, shape),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The SQL text of `Store.membership()`.
    #[classattr]
    fn membership_sql() -> &'static str {
        MEMBERSHIP_SELECT
    }
}

/// The column names of `Store.membership()`, in `membership.csv` order.
const MEMBERSHIP_COLUMNS: [&str; 7] = [
    "stage",
    "gen_id",
    "parent_gen_id",
    "combo_id",
    "template_id",
    "llm_model_id",
    "replicate",
];

/// Python objects for a cohort's members (see `NativeStore::membership`): each distinct value
/// text (stage, combo, template, LLM) becomes one Python string, each gen_id one, shared by the
/// members whose parent it is.
fn members_to_py<'py>(
    py: Python<'py>,
    members: &cohortdb::record::Members,
    shape: Shape,
) -> PyResult<Bound<'py, PyAny>> {
    use cohortdb::ids::{Role, Stage};
    let strings = |texts: &[String]| -> Vec<Bound<'py, PyAny>> {
        texts
            .iter()
            .map(|t| PyString::new(py, t).into_any())
            .collect()
    };
    let texts: [Vec<Bound<'py, PyAny>>; 7] = std::array::from_fn(|r| {
        Role::ALL
            .get(r)
            .map_or_else(Vec::new, |&role| strings(members.texts(role)))
    });
    let stages: Vec<Bound<'py, PyAny>> = Stage::ALL
        .iter()
        .map(|s| PyString::new(py, s.as_str()).into_any())
        .collect();
    let none = py.None().into_bound(py);
    let empty = PyString::new(py, "").into_any();
    let text = |role: Role, id: usize| texts[role.index()].get(id).unwrap_or(&empty).clone();
    let mut gen_ids: Vec<Bound<'py, PyAny>> = Vec::with_capacity(members.len());
    let mut row = |i: usize| -> PyResult<[Bound<'py, PyAny>; 7]> {
        let m = members.get(i);
        let ids = members.ids(i);
        let gen_id = PyString::new(py, m.gen_id).into_any();
        gen_ids.push(gen_id.clone());
        Ok([
            stages[m.stage as usize].clone(),
            gen_id,
            ids.parent
                .and_then(|p| gen_ids.get(p))
                .map_or_else(|| none.clone(), Bound::clone),
            text(Role::Combo, ids.combo),
            text(Role::template(m.stage), ids.template),
            text(Role::llm(m.stage), ids.llm),
            // Beyond 64 bits the view gives the BLOB of the digits (docs/decisions.md D23).
            match m.replicate.as_i64() {
                Some(r) => r.into_bound_py_any(py)?,
                None => {
                    PyBytes::new(py, m.replicate.big_text().unwrap_or("").as_bytes()).into_any()
                }
            },
        ])
    };
    if shape == Shape::Columns {
        let mut columns: [Vec<Bound<'py, PyAny>>; 7] =
            std::array::from_fn(|_| Vec::with_capacity(members.len()));
        for i in 0..members.len() {
            for (column, value) in columns.iter_mut().zip(row(i)?) {
                column.push(value);
            }
        }
        let lists = columns
            .into_iter()
            .map(|c| PyList::new(py, c))
            .collect::<PyResult<Vec<_>>>()?;
        return (MEMBERSHIP_COLUMNS, lists).into_bound_py_any(py);
    }
    let keys = MEMBERSHIP_COLUMNS.map(|k| PyString::intern(py, k));
    let mut out = Vec::with_capacity(members.len());
    for i in 0..members.len() {
        let values = row(i)?;
        if shape == Shape::Dicts {
            let d = PyDict::new(py);
            for (k, v) in keys.iter().zip(values) {
                d.set_item(k, v)?;
            }
            out.push(d.into_any());
        } else {
            out.push(PyTuple::new(py, values)?.into_any());
        }
    }
    Ok(PyList::new(py, out)?.into_any())
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

impl Shape {
    fn parse(shape: &str) -> PyResult<Shape> {
        match shape {
            "dicts" => Ok(Shape::Dicts),
            "tuples" => Ok(Shape::Tuples),
            "columns" => Ok(Shape::Columns),
            other => Err(PyValueError::new_err(format!(
                "shape must be 'dicts', 'tuples' or 'columns', found {other:?}"
            ))),
        }
    }
}

/// How big a batch may grow: rows and bytes.
#[derive(Clone, Copy)]
struct Limits {
    rows: usize,
    bytes: usize,
}

impl Limits {
    fn of(
        batch_size: Option<&Bound<'_, PyAny>>,
        max_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Limits> {
        let int = |value: Option<&Bound<'_, PyAny>>, name: &str, max: usize, default: usize| {
            let Some(value) = value.filter(|v| !v.is_none()) else {
                return Ok(default);
            };
            if value.cast::<pyo3::types::PyBool>().is_ok() {
                return Err(PyTypeError::new_err(format!("{name} must be an int")));
            }
            let n: i128 = value
                .extract()
                .map_err(|_| PyTypeError::new_err(format!("{name} must be an int")))?;
            match usize::try_from(n) {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(PyValueError::new_err(format!(
                    "{name} must be between 1 and {max}, found {n}"
                ))),
            }
        };
        Ok(Limits {
            rows: int(batch_size, "batch_size", MAX_BATCH_ROWS, DEFAULT_BATCH_ROWS)?,
            bytes: int(max_bytes, "max_bytes", 1 << 30, DEFAULT_BATCH_BYTES)?,
        })
    }
}

/// What the query thread sends: the column names once, then batches (column-major), or an
/// error.
enum Message {
    Columns(Vec<String>),
    Batch(Batch),
    Failed(Error),
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
            columns: (0..width)
                .map(|_| Vec::with_capacity(rows.min(4096)))
                .collect(),
            bytes: Vec::new(),
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

/// The query thread's [`RowSink`]: fills batches and sends each when it holds `limits.rows`
/// rows or `limits.bytes` bytes; a send nobody receives (the iterator was closed or dropped)
/// stops the statement.
struct BatchSink {
    tx: SyncSender<Message>,
    limits: Limits,
    batch: Batch,
    width: usize,
}

impl BatchSink {
    fn send(&mut self) -> bool {
        let full = std::mem::replace(&mut self.batch, Batch::new(self.width, self.limits.rows));
        self.tx.send(Message::Batch(full)).is_ok()
    }
}

impl RowSink for BatchSink {
    fn columns(&mut self, names: &[String]) -> cohortdb::Result<()> {
        self.width = names.len();
        self.batch = Batch::new(self.width, self.limits.rows);
        // A closed receiver is seen at the first row.
        let _ = self.tx.send(Message::Columns(names.to_vec()));
        Ok(())
    }

    fn row(&mut self, row: &[ValueRef<'_>], _: &mut RealText<'_>) -> cohortdb::Result<bool> {
        for (i, value) in row.iter().enumerate() {
            self.batch.push(i, *value);
        }
        self.batch.rows += 1;
        if self.batch.rows >= self.limits.rows || self.batch.bytes.len() >= self.limits.bytes {
            return Ok(self.send());
        }
        Ok(true)
    }
}

/// Runs the statement (on its own thread and connection), sending batches.
fn run_query(
    ws: Workspace,
    cohort: Option<String>,
    request: QueryRequest,
    cancel: Cancel,
    limits: Limits,
    tx: SyncSender<Message>,
) {
    let mut sink = BatchSink {
        tx: tx.clone(),
        limits,
        batch: Batch::new(0, 0),
        width: 0,
    };
    let ctx = Context::new(&app::Quiet, &cancel);
    let result = cohort
        .map_or(Ok(()), |id| ws.require_cohort(&id, ctx).map(|_| ()))
        .and_then(|()| ws.query(&request, ctx, &mut sink));
    match result {
        Ok(()) => {
            if sink.batch.rows > 0 {
                sink.send();
            }
        }
        Err(e) => {
            let _ = tx.send(Message::Failed(e));
        }
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
/// wait in memory (each at most `batch_size` rows and about `max_bytes` bytes), so any result
/// streams in bounded memory; `close()` (or dropping the iterator) stops the statement at
/// once; Ctrl-C while waiting for a batch stops it and raises `KeyboardInterrupt`.
#[pyclass(weakref, module = "cohortdb._native")]
struct Batches {
    receiver: Mutex<Option<Receiver<Message>>>,
    columns: Vec<String>,
    shape: Shape,
    cache: Mutex<StringCache>,
    cancel: Cancel,
    /// The process that started the query: its thread does not exist after `fork()`.
    pid: u32,
}

/// Waits for the next message without the GIL, letting Python handle signals every [`POLL`].
/// `Ok(None)`: the query thread is done.
fn receive(
    py: Python<'_>,
    mut rx: Receiver<Message>,
) -> (PyResult<Option<Message>>, Receiver<Message>) {
    loop {
        let (message, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
        rx = back;
        match message {
            Ok(message) => return (Ok(Some(message)), rx),
            Err(RecvTimeoutError::Disconnected) => return (Ok(None), rx),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    return (Err(e), rx);
                }
            }
        }
    }
}

impl Batches {
    fn start(
        py: Python<'_>,
        ws: Workspace,
        cohort: Option<String>,
        request: QueryRequest,
        limits: Limits,
        shape: Shape,
    ) -> PyResult<Batches> {
        let (tx, rx) = sync_channel(2);
        let cancel = Cancel::new();
        {
            let cancel = cancel.clone();
            std::thread::Builder::new()
                .name("cohortdb-query".into())
                .spawn(move || run_query(ws, cohort, request, cancel, limits, tx))
                .map_err(|e| {
                    PyValueError::new_err(format!("cannot start the query thread: {e}"))
                })?;
        }
        // The first message says whether the statement was accepted: errors raise here.
        let (first, rx) = receive(py, rx);
        let first = first.inspect_err(|_| cancel.cancel())?;
        match first {
            Some(Message::Columns(columns)) => Ok(Batches {
                receiver: Mutex::new(Some(rx)),
                cache: Mutex::new(StringCache::new(columns.len())),
                columns,
                shape,
                cancel,
                pid: std::process::id(),
            }),
            Some(Message::Failed(e)) => Err(to_py_err(py, e)),
            Some(Message::Batch(_)) | None => Err(PyValueError::new_err(
                "the query thread stopped before naming its columns",
            )),
        }
    }

    fn check_process(&self, py: Python<'_>) -> PyResult<()> {
        if std::process::id() == self.pid {
            return Ok(());
        }
        Err(typed_error(
            py,
            "CohortdbError",
            format!(
                "this query iterator was started in process {} and cannot be used after fork(); \
                 run the query again in this process",
                self.pid
            ),
            &[],
        ))
    }

    fn to_py<'py>(&self, py: Python<'py>, batch: &Batch) -> PyResult<Bound<'py, PyAny>> {
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
        Ok(out.into_any())
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
        self.check_process(py)?;
        let mut guard = self
            .receiver
            .lock()
            .map_err(|_| PyValueError::new_err("query iterator poisoned"))?;
        let Some(rx) = guard.take() else {
            return Ok(None);
        };
        drop(guard);
        // The receiver moves into the wait and back (no lock is held while waiting).
        let (message, rx) = receive(py, rx);
        if let Ok(mut guard) = self.receiver.lock() {
            *guard = Some(rx);
        }
        let batch = match message {
            Ok(Some(Message::Batch(batch))) => batch,
            // Stopped by `close()` (from another thread): the iteration simply ends.
            Ok(Some(Message::Failed(Error::Interrupted))) if self.cancel.is_cancelled() => {
                self.close();
                return Ok(None);
            }
            Ok(Some(Message::Failed(e))) => {
                self.close();
                return Err(to_py_err(py, e));
            }
            Ok(Some(Message::Columns(_)) | None) => {
                self.close();
                return Ok(None);
            }
            Err(interrupt) => {
                self.close();
                return Err(interrupt);
            }
        };
        self.to_py(py, &batch).map(Some)
    }

    /// Stops the query at once (also done when the iterator is exhausted or dropped).
    fn close(&self) {
        self.cancel.cancel();
        if let Ok(mut guard) = self.receiver.lock() {
            guard.take();
        }
    }
}

impl Drop for Batches {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Converts Python arguments of a SQL function call into SQLite values. A Python int beyond
/// 64 bits (a replicate of any size, docs/decisions.md D23) goes in as its decimal text, which
/// the functions read as `int()` does.
fn sql_args(args: &Bound<'_, PyTuple>) -> PyResult<Vec<Value>> {
    args.iter()
        .map(|a| match a.cast::<pyo3::types::PyInt>() {
            Ok(i) if i.extract::<i64>().is_err() => Ok(Value::Text(i.str()?.to_string())),
            _ => py_to_value(&a),
        })
        .collect()
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

/// Runs the `cohortdb` command line (`argv[0]` is the program's name) exactly as the binary
/// does — it is the binary's own entry, `cohortdb::cli_main` — and returns its exit status.
/// The GIL is released while it runs, and the command owns SIGINT like the binary: Ctrl-C stops
/// it (status 130) instead of raising `KeyboardInterrupt` (python/cohortdb/_cli.py).
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> u8 {
    py.detach(move || cohortdb::cli_main(argv))
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeStore>()?;
    m.add_class::<Batches>()?;
    m.add_function(wrap_pyfunction!(gen_signature, m)?)?;
    m.add_function(wrap_pyfunction!(gen_id, m)?)?;
    m.add_function(wrap_pyfunction!(gen_signature_digest, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add("DEFAULT_MAX_ROWS", cohortdb::compile::DEFAULT_MAX_ROWS)?;
    m.add("DEFAULT_BATCH_BYTES", DEFAULT_BATCH_BYTES)?;
    m.add("MAX_BATCH_ROWS", MAX_BATCH_ROWS)?;
    m.add("DEFAULT_BATCH_ROWS", DEFAULT_BATCH_ROWS)?;
    Ok(())
}
