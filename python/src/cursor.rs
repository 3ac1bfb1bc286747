//! `embedlite.Cursor`: runs statements through its connection and hands out their rows.
//!
//! The engine returns a statement's rows all at once; the cursor keeps them as engine values and
//! converts each row to Python objects only when it is fetched. The cursor's state sits behind a
//! mutex that is taken with `try_lock` for short moments with the GIL held (never across a call
//! into the engine or into Python code such as a `row_factory`), so two threads using one cursor
//! at once get `ProgrammingError("Recursive use of cursors not allowed.")` instead of a deadlock.

use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use embedlite::Value;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySequence, PyString, PyTuple};

use crate::connection::{Cached, Connection, CHUNK_ROWS};
use crate::convert::{row_tuple, to_value, TextMode};
use crate::errors::programming;
use crate::row::Row;

#[derive(Debug)]
struct State {
    connection: Option<Py<Connection>>,
    closed: bool,
    rows: std::vec::IntoIter<Vec<Value>>,
    cached: Option<Arc<Cached>>,
    rowcount: i64,
    lastrowid: Option<i64>,
    arraysize: usize,
    row_factory: Option<Py<PyAny>>,
}

/// A database cursor (PEP 249).
#[pyclass(module = "embedlite", subclass, weakref, frozen)]
#[derive(Debug)]
pub struct Cursor {
    state: Mutex<State>,
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map_or_else(|_| "?".to_string(), |n| n.to_string())
}

/// Binds `parameters` (a sequence, a dict or `None`) to a statement's parameters.
fn bind(cached: &Cached, parameters: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Value>> {
    let want = cached.params.len();
    let count_error = |got: usize| {
        programming(format!("Incorrect number of bindings supplied. The current statement uses {want}, and there are {got} supplied."))
    };
    let Some(p) = parameters.filter(|p| !p.is_none()) else {
        return if want == 0 { Ok(Vec::new()) } else { Err(count_error(0)) };
    };
    if let Ok(t) = p.cast::<PyTuple>() {
        if t.len() != want {
            return Err(count_error(t.len()));
        }
        return t.iter().enumerate().map(|(i, v)| to_value(&v, i)).collect();
    }
    if let Ok(l) = p.cast::<PyList>() {
        if l.len() != want {
            return Err(count_error(l.len()));
        }
        return l.iter().enumerate().map(|(i, v)| to_value(&v, i)).collect();
    }
    if let Ok(d) = p.cast::<PyDict>() {
        let exact = p.is_exact_instance_of::<PyDict>();
        return cached
            .params
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let Some(name) = name else {
                    return Err(programming(format!(
                        "Binding {} has no name, but you supplied a dictionary (which has only names).",
                        i + 1
                    )));
                };
                let key = name.get(1..).unwrap_or_default();
                let missing = || programming(format!("You did not supply a value for binding parameter {name}."));
                let v = if exact {
                    d.get_item(key)?.ok_or_else(missing)?
                } else {
                    // A dict subclass may define __missing__: go through __getitem__.
                    p.get_item(key).map_err(|_| missing())?
                };
                to_value(&v, i)
            })
            .collect();
    }
    if let Ok(s) = p.cast::<PySequence>() {
        let n = s.len()?;
        if n != want {
            return Err(count_error(n));
        }
        return (0..n).map(|i| to_value(&s.get_item(i)?, i)).collect();
    }
    Err(programming("parameters are of unsupported type"))
}

fn sql_str<'a, 'py>(
    sql: &'a Bound<'py, PyAny>,
    method: &str,
) -> PyResult<&'a Bound<'py, PyString>> {
    sql.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!("{method}() argument 1 must be str, not {}", type_name(sql)))
    })
}

impl Cursor {
    /// A cursor on `conn` (what `conn.cursor()` returns).
    pub fn create<'py>(conn: &Bound<'py, Connection>) -> PyResult<Bound<'py, Cursor>> {
        let py = conn.py();
        let cur = Bound::new(py, Cursor { state: Mutex::new(State::new()) })?;
        cur.get().attach(conn)?;
        Ok(cur)
    }

    fn attach(&self, conn: &Bound<'_, Connection>) -> PyResult<()> {
        let row_factory = conn.get().row_factory_obj(conn.py())?;
        let old = {
            let mut st = self.lock()?;
            st.row_factory = row_factory;
            st.connection.replace(conn.clone().unbind())
        };
        drop(old);
        Ok(())
    }

    fn lock(&self) -> PyResult<MutexGuard<'_, State>> {
        match self.state.try_lock() {
            Ok(g) => Ok(g),
            Err(TryLockError::WouldBlock) => {
                Err(programming("Recursive use of cursors not allowed."))
            }
            Err(TryLockError::Poisoned(_)) => {
                Err(programming("the cursor is unusable: an earlier call panicked"))
            }
        }
    }

    /// The connection, after checking that it and the cursor may be used.
    fn checked<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, Connection>> {
        let (conn, closed) = {
            let st = self.lock()?;
            (st.connection.as_ref().map(|c| c.clone_ref(py)), st.closed)
        };
        let conn =
            conn.ok_or_else(|| programming("Base Cursor.__init__ not called."))?.into_bound(py);
        conn.get().guard()?;
        if closed {
            return Err(programming("Cannot operate on a closed cursor."));
        }
        Ok(conn)
    }

    /// Forgets the previous statement's results (dropped after unlocking).
    fn reset(&self) -> PyResult<()> {
        let old = {
            let mut st = self.lock()?;
            st.rowcount = -1;
            (std::mem::take(&mut st.rows), st.cached.take())
        };
        drop(old);
        Ok(())
    }

    /// Takes up to `n` rows and what converting them needs.
    #[allow(clippy::type_complexity)]
    fn take_rows(
        &self,
        py: Python<'_>,
        n: usize,
    ) -> PyResult<(Vec<Vec<Value>>, Option<Py<PyAny>>, Option<Arc<Cached>>)> {
        let mut st = self.lock()?;
        let rows: Vec<Vec<Value>> = st.rows.by_ref().take(n).collect();
        Ok((rows, st.row_factory.as_ref().map(|f| f.clone_ref(py)), st.cached.clone()))
    }

    /// Converts fetched rows with the text and row factories.
    fn convert<'py>(
        slf: &Bound<'py, Self>,
        rows: Vec<Vec<Value>>,
        factory: Option<Py<PyAny>>,
        cached: Option<&Arc<Cached>>,
        text: &TextMode<'py>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let py = slf.py();
        let factory = factory.map(|f| f.into_bound(py));
        let row_type = py.get_type::<Row>();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let t = row_tuple(py, &r, text)?;
            drop(r);
            out.push(match &factory {
                None => t.into_any(),
                Some(f) if f.is(&row_type) => {
                    let columns = cached
                        .map_or_else(|| PyTuple::empty(py).unbind(), |c| c.columns.clone_ref(py));
                    Bound::new(py, Row::new_unchecked(columns, t.unbind()))?.into_any()
                }
                Some(f) => f.call1((slf, t))?,
            });
        }
        Ok(out)
    }

    fn fetch<'py>(slf: &Bound<'py, Self>, n: usize) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let py = slf.py();
        let conn = slf.get().checked(py)?;
        let (rows, factory, cached) = slf.get().take_rows(py, n)?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let text = conn.get().text_mode(py)?;
        Self::convert(slf, rows, factory, cached.as_ref(), &text)
    }
}

impl State {
    fn new() -> Self {
        State {
            connection: None,
            closed: false,
            rows: Vec::new().into_iter(),
            cached: None,
            rowcount: -1,
            lastrowid: None,
            arraysize: 1,
            row_factory: None,
        }
    }
}

#[pymethods]
impl Cursor {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn py_new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        Cursor { state: Mutex::new(State::new()) }
    }

    fn __init__(&self, connection: &Bound<'_, Connection>) -> PyResult<()> {
        self.attach(connection)
    }

    /// Runs one statement with `parameters` (a sequence for `?`, a dict for `:name`).
    #[pyo3(signature = (sql, parameters = None))]
    pub fn execute<'py>(
        slf: &Bound<'py, Self>,
        sql: &Bound<'py, PyAny>,
        parameters: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        let sql = sql_str(sql, "execute")?;
        let this = slf.get();
        let conn = this.checked(py)?;
        let c = conn.get();
        this.reset()?;
        let cached = c.prepare_cached(py, sql)?;
        let Some(stmt) = &cached.stmt else { return Ok(slf.clone()) };
        let params = bind(&cached, parameters)?;
        let begin = c.implicit_begin(cached.is_dml)?;
        let out = c.run(py, stmt, begin.as_deref(), &[params])?;
        if cached.is_ddl {
            c.clear_cache()?;
        }
        let mut st = this.lock()?;
        st.rows = out.rows.into_iter();
        st.rowcount = if cached.is_dml { out.changes } else { -1 };
        st.lastrowid = Some(out.lastrowid);
        st.cached = Some(cached);
        drop(st);
        Ok(slf.clone())
    }

    /// Runs one DML statement once per parameter set. The parameter sets are converted a chunk
    /// at a time with the GIL held and run with it released.
    pub fn executemany<'py>(
        slf: &Bound<'py, Self>,
        sql: &Bound<'py, PyAny>,
        seq_of_parameters: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        let sql = sql_str(sql, "executemany")?;
        let this = slf.get();
        let conn = this.checked(py)?;
        let c = conn.get();
        this.reset()?;
        let cached = c.prepare_cached(py, sql)?;
        let Some(stmt) = &cached.stmt else { return Ok(slf.clone()) };
        if !stmt.is_write() {
            return Err(programming("executemany() can only execute DML statements."));
        }
        let begin = c.implicit_begin(cached.is_dml)?;
        let mut iter = seq_of_parameters.try_iter()?;
        let mut changes = 0;
        let mut chunk: Vec<Vec<Value>> = Vec::with_capacity(CHUNK_ROWS);
        loop {
            let mut pending_err = None;
            for item in iter.by_ref() {
                match item.and_then(|p| bind(&cached, Some(&p))) {
                    Ok(values) => chunk.push(values),
                    Err(e) => {
                        pending_err = Some(e);
                        break;
                    }
                }
                if chunk.len() == CHUNK_ROWS {
                    break;
                }
            }
            let last = pending_err.is_some() || chunk.len() < CHUNK_ROWS;
            if !chunk.is_empty() {
                changes += c.run(py, stmt, begin.as_deref(), &chunk)?.changes;
                chunk.clear();
            }
            if let Some(e) = pending_err {
                return Err(e);
            }
            if last {
                break;
            }
        }
        let mut st = this.lock()?;
        st.rowcount = if cached.is_dml { changes } else { -1 };
        drop(st);
        Ok(slf.clone())
    }

    /// Commits an open transaction, then runs every statement of `sql_script`, each committing
    /// on its own unless the script opens a transaction itself.
    pub fn executescript<'py>(
        slf: &Bound<'py, Self>,
        sql_script: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        let script = sql_script
            .cast::<PyString>()
            .map_err(|_| {
                PyValueError::new_err(format!(
                    "script argument must be unicode, not {}",
                    type_name(sql_script)
                ))
            })?
            .to_cow()?
            .into_owned();
        let this = slf.get();
        let conn = this.checked(py)?;
        let c = conn.get();
        this.reset()?;
        let r = c.call(py, |db| {
            if db.in_transaction() {
                db.execute_batch("COMMIT")?;
            }
            for part in crate::sqltext::statements(&script) {
                db.execute(part, &[])?;
            }
            Ok(())
        });
        // Whatever ran may have changed the schema.
        c.clear_cache()?;
        r?;
        Ok(slf.clone())
    }

    /// The next row, or `None`.
    fn fetchone<'py>(slf: &Bound<'py, Self>) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(Self::fetch(slf, 1)?.pop())
    }

    /// The next `size` rows (default `arraysize`).
    #[pyo3(signature = (size = None))]
    fn fetchmany<'py>(slf: &Bound<'py, Self>, size: Option<i64>) -> PyResult<Bound<'py, PyList>> {
        let n = match size {
            Some(s) => usize::try_from(s).unwrap_or(0),
            None => slf.get().lock()?.arraysize,
        };
        PyList::new(slf.py(), Self::fetch(slf, n)?)
    }

    /// The remaining rows.
    fn fetchall<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(slf.py(), Self::fetch(slf, usize::MAX)?)
    }

    fn __iter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().checked(slf.py())?;
        Ok(slf)
    }

    fn __next__<'py>(slf: &Bound<'py, Self>) -> PyResult<Option<Bound<'py, PyAny>>> {
        Self::fetchone(slf)
    }

    /// Closes the cursor; later use raises `ProgrammingError`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let conn = self.lock()?.connection.as_ref().map(|c| c.clone_ref(py));
        let conn = conn.ok_or_else(|| programming("Base Cursor.__init__ not called."))?;
        // Closing a cursor of a closed connection is allowed; using it from another thread is not.
        if let Err(e) = conn.get().guard() {
            if !e.to_string().contains("closed database") {
                return Err(e);
            }
        }
        let old = {
            let mut st = self.lock()?;
            st.closed = true;
            (std::mem::take(&mut st.rows), st.cached.take())
        };
        drop(old);
        Ok(())
    }

    /// Does nothing (PEP 249).
    #[allow(clippy::unused_self)]
    fn setinputsizes(&self, sizes: &Bound<'_, PyAny>) {
        let _ = sizes;
    }

    /// Does nothing (PEP 249).
    #[allow(clippy::unused_self)]
    #[pyo3(signature = (size, column = None))]
    fn setoutputsize(&self, size: &Bound<'_, PyAny>, column: Option<&Bound<'_, PyAny>>) {
        let _ = (size, column);
    }

    /// The connection this cursor belongs to.
    #[getter]
    fn connection(&self, py: Python<'_>) -> PyResult<Option<Py<Connection>>> {
        Ok(self.lock()?.connection.as_ref().map(|c| c.clone_ref(py)))
    }

    /// One 7-tuple `(name, None, None, None, None, None, None)` per result column, or `None`.
    #[getter]
    fn description(&self, py: Python<'_>) -> PyResult<Option<Py<PyTuple>>> {
        Ok(self
            .lock()?
            .cached
            .as_ref()
            .and_then(|c| c.description.as_ref().map(|d| d.clone_ref(py))))
    }

    /// Rows changed by the last `INSERT`/`UPDATE`/`DELETE`/`REPLACE` (summed over `executemany`),
    /// `-1` for other statements.
    #[getter]
    fn rowcount(&self) -> PyResult<i64> {
        Ok(self.lock()?.rowcount)
    }

    /// `last_insert_rowid()` after the last `execute` (`None` before the first).
    #[getter]
    fn lastrowid(&self) -> PyResult<Option<i64>> {
        Ok(self.lock()?.lastrowid)
    }

    /// Rows `fetchmany()` returns by default.
    #[getter]
    fn get_arraysize(&self) -> PyResult<usize> {
        Ok(self.lock()?.arraysize)
    }

    #[setter]
    fn set_arraysize(&self, value: i64) -> PyResult<()> {
        let v = usize::try_from(value)
            .map_err(|_| PyValueError::new_err("arraysize may not be negative"))?;
        self.lock()?.arraysize = v;
        Ok(())
    }

    /// Called as `row_factory(cursor, row_tuple)` per row; starts as the connection's.
    #[getter]
    fn get_row_factory(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        Ok(self.lock()?.row_factory.as_ref().map(|f| f.clone_ref(py)))
    }

    #[setter]
    fn set_row_factory(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = (!value.is_none()).then(|| value.clone().unbind());
        let old = std::mem::replace(&mut self.lock()?.row_factory, value);
        drop(old);
        Ok(())
    }
}
