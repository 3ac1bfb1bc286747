//! `embedlite.Row`: a result row that is a tuple and a case-insensitive mapping at once, like
//! `sqlite3.Row` (use it as `connection.row_factory = embedlite.Row`).
//!
//! The cursor builds rows directly (no Python call per row) when its `row_factory` is this class;
//! all rows of one statement share one tuple of column names.

use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyList, PySlice, PyString, PyTuple};

use crate::cursor::Cursor;

/// A row with access by index, by column name (ASCII case-insensitive) and by slice.
#[pyclass(module = "embedlite", frozen, subclass)]
#[derive(Debug)]
pub struct Row {
    columns: Py<PyTuple>,
    values: Py<PyTuple>,
}

impl Row {
    /// A row from column names and values of the same length.
    pub fn new_unchecked(columns: Py<PyTuple>, values: Py<PyTuple>) -> Self {
        Row { columns, values }
    }
}

#[pymethods]
impl Row {
    /// `Row(cursor, values)`: the column names come from `cursor.description`.
    #[new]
    fn py_new(cursor: &Bound<'_, Cursor>, data: &Bound<'_, PyTuple>) -> PyResult<Self> {
        let py = cursor.py();
        let description = cursor.getattr("description")?;
        let names: Vec<Bound<'_, PyAny>> = if description.is_none() {
            Vec::new()
        } else {
            description.try_iter()?.map(|d| d?.get_item(0)).collect::<PyResult<_>>()?
        };
        if names.len() != data.len() {
            return Err(PyTypeError::new_err(format!(
                "Row: {} values for {} columns",
                data.len(),
                names.len()
            )));
        }
        Ok(Row { columns: PyTuple::new(py, names)?.unbind(), values: data.clone().unbind() })
    }

    /// The column names.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.columns.bind(py).iter())
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.values.bind(py).len()
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let values = self.values.bind(py);
        if let Ok(i) = key.cast::<PyInt>() {
            let i: isize = i.extract().map_err(|_| PyIndexError::new_err("Index out of range"))?;
            let n = values.len() as isize;
            let j = if i < 0 { i + n } else { i };
            if j < 0 || j >= n {
                return Err(PyIndexError::new_err("tuple index out of range"));
            }
            return values.get_item(j as usize);
        }
        if let Ok(name) = key.cast::<PyString>() {
            let name = name.to_cow()?;
            for (i, col) in self.columns.bind(py).iter().enumerate() {
                if col.cast::<PyString>()?.to_cow()?.eq_ignore_ascii_case(&name) {
                    return values.get_item(i);
                }
            }
            return Err(PyIndexError::new_err("No item with that key"));
        }
        if key.cast::<PySlice>().is_ok() {
            return values.as_any().get_item(key);
        }
        Err(PyIndexError::new_err("Index must be int or string"))
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.values.bind(py).as_any().try_iter()?.into_any())
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let Ok(other) = other.cast::<Row>() else {
            return Ok(py.NotImplemented());
        };
        let other = other.get();
        let same = || -> PyResult<bool> {
            Ok(self.columns.bind(py).eq(other.columns.bind(py))?
                && self.values.bind(py).eq(other.values.bind(py))?)
        };
        match op {
            CompareOp::Eq => Ok(same()?.into_pyobject(py)?.to_owned().into_any().unbind()),
            CompareOp::Ne => Ok((!same()?).into_pyobject(py)?.to_owned().into_any().unbind()),
            _ => Ok(py.NotImplemented()),
        }
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        Ok(self.columns.bind(py).hash()? ^ self.values.bind(py).hash()?)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut parts = Vec::new();
        for (k, v) in self.columns.bind(py).iter().zip(self.values.bind(py).iter()) {
            parts.push(format!("{}={}", k.str()?, v.repr()?));
        }
        Ok(format!("<embedlite.Row ({})>", parts.join(", ")))
    }
}
