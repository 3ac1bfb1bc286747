//! `embedlite.Connection`: one engine connection, its statement cache and `sqlite3`'s
//! transaction rules.
//!
//! Locking. The engine connection sits in `db: Mutex<..>`, which is only ever locked with the GIL
//! released (`Python::detach`), so a thread waiting for it never holds the GIL that the thread
//! inside the engine may need afterwards. `config: Mutex<Config>` holds the Python-side settings
//! and the statement cache; it is only locked with the GIL held, briefly, and never across a call
//! into Python code or the engine. Objects taken out of `config` are dropped after unlocking, so
//! a finaliser that runs on their last reference cannot re-enter the lock.
//!
//! Transactions follow `sqlite3`'s legacy mode (Python ≤ 3.11's only mode): with
//! `isolation_level` a string, an `INSERT`/`UPDATE`/`DELETE`/`REPLACE` (by first keyword) outside a
//! transaction first runs `BEGIN <isolation_level>`; `commit()`/`rollback()` end it; with
//! `isolation_level=None` every statement commits on its own. DDL and `SELECT` never open one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::Duration;

use embedlite::storage::OpenOptions;
use embedlite::{Error as DbError, Statement, Value};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple, PyType};

use crate::convert::{Matrix, TextMode};
use crate::cursor::Cursor;
use crate::errors::{self, db_error, programming, Phase};
use crate::sqltext;

/// How many parameter rows `executemany` and `insert_vectors` convert (with the GIL) before
/// running them (without it).
pub const CHUNK_ROWS: usize = 1024;

/// A compiled statement as the binding caches it: the engine statement plus what Python needs
/// on every run, built once.
#[derive(Debug)]
pub struct Cached {
    /// The engine statement; `None` for SQL that is only comments and whitespace.
    pub stmt: Option<Arc<Statement>>,
    /// `cursor.description` (`None` for statements without result columns).
    pub description: Option<Py<PyTuple>>,
    /// The result column names (for `embedlite.Row`).
    pub columns: Py<PyTuple>,
    /// `INSERT`/`UPDATE`/`DELETE`/`REPLACE` by first keyword.
    pub is_dml: bool,
    /// Whether the statement changes the schema (the cache is cleared after it runs).
    pub is_ddl: bool,
    /// Parameter names with their prefix (`:a`), `None` for `?`.
    pub params: Vec<Option<String>>,
}

/// The Python-side state of a connection.
#[derive(Debug)]
struct Config {
    opened: bool,
    closed: bool,
    check_same_thread: bool,
    thread: Option<ThreadId>,
    /// `None`: autocommit; `Some(level)`: legacy implicit transactions with `BEGIN level`.
    isolation_level: Option<String>,
    row_factory: Option<Py<PyAny>>,
    text_factory: Option<Py<PyAny>>,
    cache: HashMap<String, Arc<Cached>>,
    cache_capacity: usize,
}

/// Why an engine call made without the GIL failed; turned into a Python exception after it.
#[derive(Debug)]
pub enum Fail {
    /// The connection was closed (by another thread, while this one waited).
    Closed,
    /// A panic inside the engine poisoned the lock.
    Poisoned,
    /// The engine's error.
    Db(DbError, Phase),
}

impl From<DbError> for Fail {
    fn from(e: DbError) -> Self {
        Fail::Db(e, Phase::Run)
    }
}

impl Fail {
    /// The Python exception.
    pub fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Fail::Closed => programming("Cannot operate on a closed database."),
            Fail::Poisoned => poisoned(),
            Fail::Db(e, phase) => db_error(py, &e, phase),
        }
    }
}

/// What running a statement (once or many times) produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The rows of the last run.
    pub rows: Vec<Vec<Value>>,
    /// Rows changed, summed over the runs.
    pub changes: i64,
    /// `last_insert_rowid()` afterwards.
    pub lastrowid: i64,
}

/// A connection to an embedlite database (see `embedlite.connect`).
#[pyclass(module = "embedlite", subclass, weakref, frozen)]
#[derive(Debug)]
pub struct Connection {
    db: Mutex<Option<embedlite::Connection>>,
    config: Mutex<Config>,
}

fn validate_isolation_level(level: Option<&str>) -> PyResult<Option<String>> {
    match level {
        None => Ok(None),
        Some(l)
            if ["", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"]
                .iter()
                .any(|k| l.eq_ignore_ascii_case(k)) =>
        {
            Ok(Some(l.to_string()))
        }
        Some(_) => Err(PyValueError::new_err(
            "isolation_level string must be '', 'DEFERRED', 'IMMEDIATE', or 'EXCLUSIVE'",
        )),
    }
}

/// Splits a `file:` URI into a path and whether `mode=ro` was asked for; `mode=memory` gives
/// `:memory:`. Other query parameters are ignored.
fn parse_uri(uri: &str) -> PyResult<(String, bool)> {
    let Some(rest) = uri.strip_prefix("file:") else {
        return Err(errors::OperationalError::new_err(format!("not a file: URI: {uri}")));
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.strip_prefix("//localhost").or_else(|| path.strip_prefix("//")).unwrap_or(path);
    let mut read_only = false;
    let mut memory = false;
    for kv in query.split('&') {
        match kv.split_once('=') {
            Some(("mode", "ro")) => read_only = true,
            Some(("mode", "memory")) => memory = true,
            _ => {}
        }
    }
    Ok((if memory { ":memory:".to_string() } else { path.to_string() }, read_only))
}

/// The path of a `database` argument: `str`, `bytes` or an `os.PathLike`.
fn database_path(database: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = database.py();
    let p = py.import("os")?.call_method1("fspath", (database,)).map_err(|_| {
        let name = database.get_type().name().map_or_else(|_| "?".to_string(), |n| n.to_string());
        PyTypeError::new_err(format!("database must be str, bytes or os.PathLike, not {name}"))
    })?;
    if let Ok(b) = p.cast::<PyBytes>() {
        return std::str::from_utf8(b.as_bytes())
            .map(str::to_string)
            .map_err(|_| PyValueError::new_err("database path is not valid UTF-8"));
    }
    Ok(p.cast::<PyString>()?.to_cow()?.into_owned())
}

impl Connection {
    fn config(&self) -> PyResult<MutexGuard<'_, Config>> {
        self.config.lock().map_err(|_| poisoned())
    }

    /// Raises unless the connection is open and may be used from this thread.
    pub fn guard(&self) -> PyResult<()> {
        let c = self.config()?;
        if !c.opened {
            return Err(programming("Base Connection.__init__ not called."));
        }
        if c.closed {
            return Err(programming("Cannot operate on a closed database."));
        }
        let here = std::thread::current().id();
        if c.check_same_thread && c.thread.is_some_and(|t| t != here) {
            return Err(programming(format!(
                "SQLite objects created in a thread can only be used in that same thread. \
                 The object was created in thread {:?} and this is thread {here:?}.",
                c.thread.expect("checked just above")
            )));
        }
        Ok(())
    }

    /// Locks the engine connection (call without the GIL) and runs `f` on it.
    pub fn with_db<T>(
        &self,
        f: impl FnOnce(&mut embedlite::Connection) -> Result<T, Fail>,
    ) -> Result<T, Fail> {
        let mut g = self.db.lock().map_err(|_| Fail::Poisoned)?;
        let conn = g.as_mut().ok_or(Fail::Closed)?;
        f(conn)
    }

    /// Runs `f` on the engine connection with the GIL released.
    pub fn call<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut embedlite::Connection) -> Result<T, Fail> + Send,
    ) -> PyResult<T> {
        py.detach(|| self.with_db(f)).map_err(|e| e.into_py(py))
    }

    /// `BEGIN ...` to run first when `sqlite3`'s rules want an implicit transaction.
    pub fn implicit_begin(&self, is_dml: bool) -> PyResult<Option<String>> {
        if !is_dml {
            return Ok(None);
        }
        Ok(self.config()?.isolation_level.as_ref().map(|l| format!("BEGIN {l}")))
    }

    /// The statement for `sql`, from the cache or compiled now.
    pub fn prepare_cached(
        &self,
        py: Python<'_>,
        sql: &Bound<'_, PyString>,
    ) -> PyResult<Arc<Cached>> {
        let key = sql.to_cow()?;
        if let Some(c) = self.config()?.cache.get(key.as_ref()) {
            return Ok(c.clone());
        }
        let parts = sqltext::statements(&key);
        let cached = match parts.as_slice() {
            [] => Cached {
                stmt: None,
                description: None,
                columns: PyTuple::empty(py).unbind(),
                is_dml: false,
                is_ddl: false,
                params: Vec::new(),
            },
            [one] => {
                let text = (*one).to_string();
                let stmt =
                    self.call(py, |c| c.prepare(&text).map_err(|e| Fail::Db(e, Phase::Prepare)))?;
                let names: Vec<&str> = stmt.columns().iter().map(String::as_str).collect();
                let columns = PyTuple::new(py, &names)?;
                let description = if names.is_empty() {
                    None
                } else {
                    let none = py.None();
                    let items = names
                        .iter()
                        .map(|n| {
                            PyTuple::new(
                                py,
                                [
                                    PyString::new(py, n).into_any().unbind(),
                                    none.clone_ref(py),
                                    none.clone_ref(py),
                                    none.clone_ref(py),
                                    none.clone_ref(py),
                                    none.clone_ref(py),
                                    none.clone_ref(py),
                                ],
                            )
                        })
                        .collect::<PyResult<Vec<_>>>()?;
                    Some(PyTuple::new(py, items)?.unbind())
                };
                Cached {
                    params: (0..stmt.parameter_count())
                        .map(|i| stmt.parameter_name(i).map(str::to_string))
                        .collect(),
                    is_dml: sqltext::is_dml(&text),
                    is_ddl: sqltext::is_ddl(&text),
                    stmt: Some(Arc::new(stmt)),
                    description,
                    columns: columns.unbind(),
                }
            }
            _ => return Err(programming("You can only execute one statement at a time.")),
        };
        let cached = Arc::new(cached);
        let evicted = {
            let mut c = self.config()?;
            if c.cache_capacity == 0 {
                None
            } else {
                // Full: drop one entry. Which one matters little: the engine keeps its own cache
                // of parsed statements, so a re-miss costs a bind, not a parse.
                let evicted = if c.cache.len() >= c.cache_capacity {
                    let k = c.cache.keys().next().cloned();
                    k.and_then(|k| c.cache.remove(&k))
                } else {
                    None
                };
                c.cache.insert(key.into_owned(), cached.clone());
                evicted
            }
        };
        drop(evicted);
        Ok(cached)
    }

    /// Forgets every cached statement (after a schema change: the engine would still run them
    /// correctly, but would bind them again on every run).
    pub fn clear_cache(&self) -> PyResult<()> {
        let old = std::mem::take(&mut self.config()?.cache);
        drop(old);
        Ok(())
    }

    /// Runs `stmt` once per parameter row, after `begin` if no transaction is open.
    pub fn run(
        &self,
        py: Python<'_>,
        stmt: &Arc<Statement>,
        begin: Option<&str>,
        params: &[Vec<Value>],
    ) -> PyResult<Outcome> {
        self.call(py, |c| {
            if let Some(b) = begin {
                if !c.in_transaction() {
                    c.execute_batch(b)?;
                }
            }
            let mut out = Outcome::default();
            for p in params {
                let r = c.query_prepared(stmt, p)?;
                out.changes += c.changes();
                out.rows = r.rows;
            }
            out.lastrowid = c.last_insert_rowid();
            Ok(out)
        })
    }

    /// The text mode and row factory to convert results with.
    pub fn text_mode<'py>(&self, py: Python<'py>) -> PyResult<TextMode<'py>> {
        let f = self.config()?.text_factory.as_ref().map(|f| f.clone_ref(py));
        Ok(f.map_or(TextMode::Str, |f| TextMode::of(f.into_bound(py))))
    }

    /// The connection's `row_factory`.
    pub fn row_factory_obj(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        Ok(self.config()?.row_factory.as_ref().map(|f| f.clone_ref(py)))
    }

    fn end_transaction(&self, py: Python<'_>, sql: &'static str) -> PyResult<()> {
        self.guard()?;
        self.call(py, |c| {
            if c.in_transaction() {
                c.execute_batch(sql)?;
            }
            Ok(())
        })
    }
}

fn poisoned() -> PyErr {
    errors::InternalError::new_err("the connection is unusable: an earlier call panicked")
}

#[pymethods]
impl Connection {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn py_new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        Connection {
            db: Mutex::new(None),
            config: Mutex::new(Config {
                opened: false,
                closed: false,
                check_same_thread: true,
                thread: None,
                isolation_level: Some(String::new()),
                row_factory: None,
                text_factory: None,
                cache: HashMap::new(),
                cache_capacity: 128,
            }),
        }
    }

    /// Opens the database; the arguments are `sqlite3.connect`'s.
    #[pyo3(signature = (database, timeout = 5.0, detect_types = 0, isolation_level = Some(""), check_same_thread = true, factory = None, cached_statements = 128, uri = false))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn __init__(
        &self,
        py: Python<'_>,
        database: &Bound<'_, PyAny>,
        timeout: f64,
        detect_types: i64,
        isolation_level: Option<&str>,
        check_same_thread: bool,
        factory: Option<&Bound<'_, PyAny>>,
        cached_statements: i64,
        uri: bool,
    ) -> PyResult<()> {
        let _ = factory;
        if detect_types != 0 {
            return Err(errors::NotSupportedError::new_err(
                "detect_types (converters) is not supported yet; pass 0",
            ));
        }
        let level = validate_isolation_level(isolation_level)?;
        let mut path = database_path(database)?;
        let mut read_only = false;
        if uri {
            (path, read_only) = parse_uri(&path)?;
        }
        let capacity = usize::try_from(cached_statements)
            .map_err(|_| PyValueError::new_err("cached_statements must be >= 0"))?;
        let opts = OpenOptions {
            busy_timeout: Duration::try_from_secs_f64(timeout.max(0.0)).unwrap_or(Duration::MAX),
            read_only,
            ..OpenOptions::default()
        };
        let conn = py
            .detach(|| embedlite::Connection::open_with_options(&path, opts))
            .map_err(|e| db_error(py, &e, Phase::Run))?;
        let old = py
            .detach(|| self.db.lock().map(|mut g| g.replace(conn)).map_err(|_| ()))
            .map_err(|()| poisoned())?;
        drop(old);
        let old_cache = {
            let mut c = self.config()?;
            c.opened = true;
            c.closed = false;
            c.check_same_thread = check_same_thread;
            c.thread = Some(std::thread::current().id());
            c.isolation_level = level;
            c.cache_capacity = capacity;
            std::mem::take(&mut c.cache)
        };
        drop(old_cache);
        Ok(())
    }

    /// A new cursor (of class `factory`, which must take the connection, if given).
    #[pyo3(signature = (factory = None))]
    fn cursor<'py>(
        slf: &Bound<'py, Self>,
        factory: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.get().guard()?;
        match factory {
            None => Ok(Cursor::create(slf)?.into_any()),
            Some(f) => {
                let cur = f.call1((slf,))?;
                if cur.cast::<Cursor>().is_err() {
                    return Err(PyTypeError::new_err(
                        "factory must return a cursor, not a different type",
                    ));
                }
                Ok(cur)
            }
        }
    }

    /// `cursor().execute(sql, parameters)`.
    #[pyo3(signature = (sql, parameters = None))]
    fn execute<'py>(
        slf: &Bound<'py, Self>,
        sql: &Bound<'py, PyAny>,
        parameters: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Cursor>> {
        slf.get().guard()?;
        let cur = Cursor::create(slf)?;
        Cursor::execute(&cur, sql, parameters)
    }

    /// `cursor().executemany(sql, seq_of_parameters)`.
    fn executemany<'py>(
        slf: &Bound<'py, Self>,
        sql: &Bound<'py, PyAny>,
        seq_of_parameters: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Cursor>> {
        slf.get().guard()?;
        let cur = Cursor::create(slf)?;
        Cursor::executemany(&cur, sql, seq_of_parameters)
    }

    /// `cursor().executescript(sql_script)`.
    fn executescript<'py>(
        slf: &Bound<'py, Self>,
        sql_script: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Cursor>> {
        slf.get().guard()?;
        let cur = Cursor::create(slf)?;
        Cursor::executescript(&cur, sql_script)
    }

    /// Commits the open transaction (no-op without one).
    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        self.end_transaction(py, "COMMIT")
    }

    /// Rolls back the open transaction (no-op without one).
    fn rollback(&self, py: Python<'_>) -> PyResult<()> {
        self.end_transaction(py, "ROLLBACK")
    }

    /// Closes the connection; an open transaction is rolled back (not committed), as in `sqlite3`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        {
            let c = self.config()?;
            if !c.opened || c.closed {
                return Ok(());
            }
        }
        self.guard()?;
        let conn = py
            .detach(|| self.db.lock().map(|mut g| g.take()).map_err(|_| ()))
            .map_err(|()| poisoned())?;
        let (old_cache, row_factory) = {
            let mut c = self.config()?;
            c.closed = true;
            (std::mem::take(&mut c.cache), c.row_factory.take())
        };
        drop((old_cache, row_factory));
        if let Some(mut conn) = conn {
            py.detach(move || {
                if conn.in_transaction() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                drop(conn);
            });
        }
        Ok(())
    }

    /// Inserts the rows of an `(n, d)` float32/float16/float64 numpy array into `column` of
    /// `table`, one vector per row, with rowids (or `id_column` values) from `ids` if given.
    /// Follows the connection's transaction rules like an `INSERT` does. Returns `n`.
    #[pyo3(signature = (table, column, vectors, ids = None, *, id_column = "rowid"))]
    fn insert_vectors(
        slf: &Bound<'_, Self>,
        table: &str,
        column: &str,
        vectors: &Bound<'_, PyAny>,
        ids: Option<&Bound<'_, PyAny>>,
        id_column: &str,
    ) -> PyResult<usize> {
        let py = slf.py();
        let this = slf.get();
        this.guard()?;
        let matrix = Matrix::new(vectors)?;
        let n = matrix.rows();
        let ids: Option<Vec<i64>> = match ids {
            None => None,
            Some(obj) => {
                let v =
                    obj.try_iter()?.map(|x| x?.extract::<i64>()).collect::<PyResult<Vec<i64>>>()?;
                if v.len() != n {
                    return Err(PyValueError::new_err(format!("{} ids for {n} vectors", v.len())));
                }
                Some(v)
            }
        };
        let table_q = sqltext::quote_ident(table);
        let column_q = sqltext::quote_ident(column);
        let sql = if ids.is_some() {
            format!(
                "INSERT INTO {table_q} ({}, {column_q}) VALUES (?, ?)",
                sqltext::quote_ident(id_column)
            )
        } else {
            format!("INSERT INTO {table_q} ({column_q}) VALUES (?)")
        };
        let cached = this.prepare_cached(py, &PyString::new(py, &sql))?;
        let stmt = cached.stmt.as_ref().expect("an INSERT statement is not blank");
        let begin = this.implicit_begin(true)?;
        let mut start = 0;
        while start < n {
            let end = (start + CHUNK_ROWS).min(n);
            let blobs = matrix.blobs(start, end)?;
            let params: Vec<Vec<Value>> = match &ids {
                Some(ids) => blobs
                    .into_iter()
                    .zip(&ids[start..end])
                    .map(|(b, &id)| vec![Value::Integer(id), Value::Blob(b)])
                    .collect(),
                None => blobs.into_iter().map(|b| vec![Value::Blob(b)]).collect(),
            };
            this.run(py, stmt, begin.as_deref(), &params)?;
            start = end;
        }
        Ok(n)
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Commits if the block succeeded, rolls back if it raised; never closes, never swallows.
    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        exc_value: Option<&Bound<'_, PyAny>>,
        traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let _ = (exc_value, traceback);
        if exc_type.is_some_and(|t| !t.is_none()) {
            self.rollback(py)?;
        } else if let Err(e) = self.commit(py) {
            let _ = self.rollback(py);
            return Err(e);
        }
        Ok(false)
    }

    /// Whether a transaction is open.
    #[getter]
    fn in_transaction(&self, py: Python<'_>) -> PyResult<bool> {
        self.guard()?;
        self.call(py, |c| Ok(c.in_transaction()))
    }

    /// Rows changed since the connection opened.
    #[getter]
    fn total_changes(&self, py: Python<'_>) -> PyResult<i64> {
        self.guard()?;
        self.call(py, |c| Ok(c.total_changes()))
    }

    /// `None` (autocommit) or `""`/`"DEFERRED"`/`"IMMEDIATE"`/`"EXCLUSIVE"`.
    #[getter]
    fn get_isolation_level(&self) -> PyResult<Option<String>> {
        Ok(self.config()?.isolation_level.clone())
    }

    #[setter]
    fn set_isolation_level(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let level: Option<String> = value
            .extract()
            .map_err(|_| PyTypeError::new_err("isolation_level must be str or None"))?;
        let level = validate_isolation_level(level.as_deref())?;
        self.guard()?;
        if level.is_none() {
            // Switching to autocommit commits what is open, as sqlite3 does.
            self.commit(py)?;
        }
        self.config()?.isolation_level = level;
        Ok(())
    }

    /// Called as `row_factory(cursor, row_tuple)` for each row; `None` gives tuples.
    #[getter]
    fn get_row_factory(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.row_factory_obj(py)
    }

    #[setter]
    fn set_row_factory(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = (!value.is_none()).then(|| value.clone().unbind());
        let old = std::mem::replace(&mut self.config()?.row_factory, value);
        drop(old);
        Ok(())
    }

    /// What TEXT values become: `str` (default), `bytes`, or any callable taking `bytes`.
    #[getter]
    fn get_text_factory(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self
            .config()?
            .text_factory
            .as_ref()
            .map_or_else(|| py.get_type::<PyString>().into_any().unbind(), |f| f.clone_ref(py)))
    }

    #[setter]
    fn set_text_factory(&self, value: Py<PyAny>) -> PyResult<()> {
        let old = self.config()?.text_factory.replace(value);
        drop(old);
        Ok(())
    }

    #[classattr]
    #[pyo3(name = "Warning")]
    fn warning_cls(py: Python<'_>) -> Py<PyType> {
        py.get_type::<errors::Warning>().unbind()
    }
    #[classattr]
    #[pyo3(name = "Error")]
    fn error_cls(py: Python<'_>) -> Py<PyType> {
        py.get_type::<errors::Error>().unbind()
    }
    #[classattr]
    #[pyo3(name = "InterfaceError")]
    fn interface_error_cls(py: Python<'_>) -> Py<PyType> {
        py.get_type::<errors::InterfaceError>().unbind()
    }
    #[classattr]
    #[pyo3(name = "DatabaseError")]
    fn database_error_cls(py: Python<'_>) -> Py<PyType> {
        py.get_type::<errors::DatabaseError>().unbind()
    }
    #[classattr]
    #[pyo3(name = "DataError")]
    fn data_error_cls(py: Python<'_>) -> Py<PyType> {
        py.get_type::<errors::DataError>().unbind()
    }
    #[classattr]
    #[pyo3(name = "OperationalError")]
    fn operational_error_cls(py: Python<'_>) -> Py<PyType> {
        py.get_type::<errors::OperationalError>().unbind()
    }
    #[classattr]
    #[pyo3(name = "IntegrityError")]
    fn integrity_error_cls(py: Python<'_>) -> Py<PyType> {
        py.get_type::<errors::IntegrityError>().unbind()
    }
    #[classattr]
    #[pyo3(name = "InternalError")]
    fn internal_error_cls(py: Python<'_>) -> Py<PyType> {
        py.get_type::<errors::InternalError>().unbind()
    }
    #[classattr]
    #[pyo3(name = "ProgrammingError")]
    fn programming_error_cls(py: Python<'_>) -> Py<PyType> {
        py.get_type::<errors::ProgrammingError>().unbind()
    }
    #[classattr]
    #[pyo3(name = "NotSupportedError")]
    fn not_supported_error_cls(py: Python<'_>) -> Py<PyType> {
        py.get_type::<errors::NotSupportedError>().unbind()
    }
}
