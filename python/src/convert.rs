//! Conversions between Python objects and engine values, and the vector blob encoding.
//!
//! | Python parameter                      | engine value                                        |
//! |---------------------------------------|-----------------------------------------------------|
//! | `None`                                | `Null`                                              |
//! | `int` (and `bool`, numpy integers)    | `Integer` (outside 64 bits: `OverflowError`)        |
//! | `float` (and numpy floats)            | `Real`                                              |
//! | `str`                                 | `Text`                                              |
//! | `bytes`, `bytearray`, `memoryview`    | `Blob`                                              |
//! | 1-D numpy `float32` array             | `Blob`: `F32_BLOB`, `4n` bytes of little-endian f32  |
//! | 1-D numpy `float16` array             | `Blob`: `2n` bytes of binary16, then `0x05`          |
//! | 1-D numpy `float64` array             | `Blob`: `8n` bytes of f64, then `0x02`               |
//! | `list` of numbers                     | `Blob`: an `F32_BLOB`, as a `float32` array would be |
//!
//! The blob layouts are libSQL's (`vector/src/types/blob.rs` has the full table), so a vector
//! bound here is what `vector32('[...]')` would store. `sqlite3` rejects lists and arrays as
//! parameters, so giving them a meaning breaks no code written for it.
//!
//! Results come back as `sqlite3` returns them: `int`, `float`, `str` (or what `text_factory`
//! makes of the UTF-8 bytes), `bytes`, `None`.

use embedlite::Value;
use numpy::ndarray::{ArrayView1, ArrayView2};
use numpy::{
    dtype, Element, PyArray1, PyArray2, PyArrayDescrMethods, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyByteArray, PyBytes, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple, PyType,
};

use crate::errors::programming;

/// What the connection's `text_factory` asks TEXT values to become.
#[derive(Debug)]
pub enum TextMode<'py> {
    /// `str` (the default).
    Str,
    /// `bytes`: the raw UTF-8.
    Bytes,
    /// Any other callable, called with the UTF-8 `bytes`.
    Call(Bound<'py, PyAny>),
}

impl<'py> TextMode<'py> {
    /// The mode for a `text_factory` object.
    pub fn of(factory: Bound<'py, PyAny>) -> Self {
        let py = factory.py();
        if factory.is(py.get_type::<PyString>()) {
            TextMode::Str
        } else if factory.is(py.get_type::<PyBytes>()) {
            TextMode::Bytes
        } else {
            TextMode::Call(factory)
        }
    }
}

/// One engine value as a Python object.
pub fn to_py<'py>(py: Python<'py>, v: &Value, text: &TextMode<'py>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Integer(i) => i.into_pyobject(py)?.into_any(),
        Value::Real(f) => PyFloat::new(py, *f).into_any(),
        Value::Text(s) => match text {
            TextMode::Str => PyString::new(py, s).into_any(),
            TextMode::Bytes => PyBytes::new(py, s.as_bytes()).into_any(),
            TextMode::Call(f) => f.call1((PyBytes::new(py, s.as_bytes()),))?,
        },
        Value::Blob(b) => PyBytes::new(py, b).into_any(),
    })
}

/// A row as a tuple.
pub fn row_tuple<'py>(
    py: Python<'py>,
    row: &[Value],
    text: &TextMode<'py>,
) -> PyResult<Bound<'py, PyTuple>> {
    if matches!(text, TextMode::Call(_)) {
        let items = row.iter().map(|v| to_py(py, v, text)).collect::<PyResult<Vec<_>>>()?;
        return PyTuple::new(py, items);
    }
    // Str and Bytes cannot fail: no Python code runs.
    PyTuple::new(
        py,
        row.iter().map(|v| {
            to_py(py, v, text).expect("converting without a text_factory call cannot fail")
        }),
    )
}

/// `numpy.integer` and `numpy.floating`, once numpy is imported by the program.
fn numpy_scalar_types(py: Python<'_>) -> Option<&(Py<PyType>, Py<PyType>)> {
    static TYPES: PyOnceLock<Option<(Py<PyType>, Py<PyType>)>> = PyOnceLock::new();
    let loaded = || -> PyResult<bool> { py.import("sys")?.getattr("modules")?.contains("numpy") };
    if let Some(t) = TYPES.get(py) {
        return t.as_ref();
    }
    // Never import numpy ourselves: an object can only be a numpy one if numpy is loaded, and
    // the check stays cheap for programs that do not use it.
    if !loaded().unwrap_or(false) {
        return None;
    }
    TYPES
        .get_or_init(py, || {
            let np = py.import("numpy").ok()?;
            let int = np.getattr("integer").ok()?.cast_into::<PyType>().ok()?;
            let float = np.getattr("floating").ok()?.cast_into::<PyType>().ok()?;
            Some((int.unbind(), float.unbind()))
        })
        .as_ref()
}

/// The error for a parameter of a type that cannot be bound (`sqlite3`'s wording).
fn unsupported(obj: &Bound<'_, PyAny>, index: usize) -> PyErr {
    let name = obj.get_type().name().map_or_else(|_| "?".to_string(), |n| n.to_string());
    programming(format!("Error binding parameter {}: type '{name}' is not supported", index + 1))
}

/// Converts parameter number `index` (0-based) to an engine value.
pub fn to_value(obj: &Bound<'_, PyAny>, index: usize) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        return i.extract::<i64>().map(Value::Integer).map_err(|_| {
            PyOverflowError::new_err("Python int too large to convert to SQLite INTEGER")
        });
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Real(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Text(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Blob(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Value::Blob(b.to_vec()));
    }
    if obj.cast::<PyMemoryView>().is_ok() {
        let bytes = obj.call_method0("tobytes")?;
        return Ok(Value::Blob(bytes.cast::<PyBytes>()?.as_bytes().to_vec()));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list_blob(list, index).map(Value::Blob);
    }
    let py = obj.py();
    if let Some((int, float)) = numpy_scalar_types(py) {
        if let Ok(arr) = obj.cast::<PyUntypedArray>() {
            return array_blob(arr, index).map(Value::Blob);
        }
        if obj.is_instance(int.bind(py))? {
            return obj.extract::<i64>().map(Value::Integer).map_err(|_| {
                PyOverflowError::new_err("Python int too large to convert to SQLite INTEGER")
            });
        }
        if obj.is_instance(float.bind(py))? {
            return Ok(Value::Real(obj.extract::<f64>()?));
        }
    }
    Err(unsupported(obj, index))
}

/// A list of numbers as an `F32_BLOB`.
fn list_blob(list: &Bound<'_, PyList>, index: usize) -> PyResult<Vec<u8>> {
    if list.is_empty() {
        return Err(programming(format!(
            "Error binding parameter {}: a vector needs at least one dimension",
            index + 1
        )));
    }
    let mut out = Vec::with_capacity(4 * list.len());
    for item in list.iter() {
        let x: f64 = item.extract().map_err(|_| {
            let name = item.get_type().name().map_or_else(|_| "?".to_string(), |n| n.to_string());
            programming(format!(
                "Error binding parameter {}: a list is bound as a float32 vector, and it holds a '{name}'",
                index + 1
            ))
        })?;
        out.extend_from_slice(&(x as f32).to_le_bytes());
    }
    Ok(out)
}

/// An element type that has a libSQL vector blob encoding.
trait VectorElement: Element + Copy {
    /// The trailing type byte (`None` for `F32`, whose blob has none).
    const TAG: Option<u8>;
    /// Appends the element's little-endian bytes.
    fn put(self, out: &mut Vec<u8>);
}

impl VectorElement for f32 {
    const TAG: Option<u8> = None;
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl VectorElement for half::f16 {
    const TAG: Option<u8> = Some(5);
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl VectorElement for f64 {
    const TAG: Option<u8> = Some(2);
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

/// The numpy element types a vector can have.
#[derive(Debug, Clone, Copy)]
enum VectorDtype {
    F32,
    F16,
    F64,
}

fn vector_dtype(arr: &Bound<'_, PyUntypedArray>) -> PyResult<VectorDtype> {
    let py = arr.py();
    let dt = arr.dtype();
    if dt.is_equiv_to(&dtype::<f32>(py)) {
        Ok(VectorDtype::F32)
    } else if dt.is_equiv_to(&dtype::<half::f16>(py)) {
        Ok(VectorDtype::F16)
    } else if dt.is_equiv_to(&dtype::<f64>(py)) {
        Ok(VectorDtype::F64)
    } else {
        Err(PyTypeError::new_err(format!(
            "a vector must be a float32, float16 or float64 numpy array (native byte order), got dtype {}; \
             convert it with .astype(numpy.float32)",
            dt.str().map_or_else(|_| "?".to_string(), |s| s.to_string())
        )))
    }
}

/// Appends the blob of one vector.
fn encode<T: VectorElement>(v: &ArrayView1<'_, T>, out: &mut Vec<u8>) {
    if let Some(s) = v.as_slice() {
        for &x in s {
            x.put(out);
        }
    } else {
        for &x in v {
            x.put(out);
        }
    }
    if let Some(tag) = T::TAG {
        out.push(tag);
    }
}

fn blob_capacity(dt: VectorDtype, dims: usize) -> usize {
    match dt {
        VectorDtype::F32 => 4 * dims,
        VectorDtype::F16 => 2 * dims + 1,
        VectorDtype::F64 => 8 * dims + 1,
    }
}

/// A 1-D numpy array as a vector blob: the element bytes are read straight from the array's
/// buffer (no Python-level copy; one copy into the engine's value).
fn array_blob(arr: &Bound<'_, PyUntypedArray>, index: usize) -> PyResult<Vec<u8>> {
    if arr.ndim() != 1 {
        return Err(programming(format!(
            "Error binding parameter {}: a vector must be a 1-dimensional array, got shape {:?}",
            index + 1,
            arr.shape()
        )));
    }
    let dims = arr.shape()[0];
    if dims == 0 {
        return Err(programming(format!(
            "Error binding parameter {}: a vector needs at least one dimension",
            index + 1
        )));
    }
    let dt = vector_dtype(arr)?;
    let mut out = Vec::with_capacity(blob_capacity(dt, dims));
    match dt {
        VectorDtype::F32 => {
            encode(&arr.cast::<PyArray1<f32>>()?.try_readonly()?.as_array(), &mut out);
        }
        VectorDtype::F16 => {
            encode(&arr.cast::<PyArray1<half::f16>>()?.try_readonly()?.as_array(), &mut out);
        }
        VectorDtype::F64 => {
            encode(&arr.cast::<PyArray1<f64>>()?.try_readonly()?.as_array(), &mut out);
        }
    }
    Ok(out)
}

/// The vector blob of any 1-D array or list (`embedlite.vector_blob`).
pub fn vector_blob(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(list) = obj.cast::<PyList>() {
        return list_blob(list, 0);
    }
    match obj.cast::<PyUntypedArray>() {
        Ok(arr) => array_blob(arr, 0),
        Err(_) => {
            Err(PyTypeError::new_err("a vector must be a 1-D numpy array or a list of numbers"))
        }
    }
}

/// The rows of a 2-D numpy array, as vector blobs, a chunk at a time.
#[derive(Debug)]
pub struct Matrix<'py> {
    arr: Bound<'py, PyUntypedArray>,
    dtype: VectorDtype,
    rows: usize,
    dims: usize,
}

impl<'py> Matrix<'py> {
    /// Checks that `obj` is an `(n, d)` float32/float16/float64 array with `d >= 1`.
    pub fn new(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let arr = obj.cast::<PyUntypedArray>().map_err(|_| {
            PyTypeError::new_err("vectors must be a 2-D numpy array of shape (n, d)")
        })?;
        if arr.ndim() != 2 {
            return Err(programming(format!(
                "vectors must be a 2-D array of shape (n, d), got shape {:?}",
                arr.shape()
            )));
        }
        let (rows, dims) = (arr.shape()[0], arr.shape()[1]);
        if dims == 0 {
            return Err(programming("a vector needs at least one dimension; got shape (n, 0)"));
        }
        let dtype = vector_dtype(arr)?;
        Ok(Matrix { arr: arr.clone(), dtype, rows, dims })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The blobs of rows `start..end`.
    pub fn blobs(&self, start: usize, end: usize) -> PyResult<Vec<Vec<u8>>> {
        fn rows<T: VectorElement>(
            m: &ArrayView2<'_, T>,
            start: usize,
            end: usize,
            cap: usize,
        ) -> Vec<Vec<u8>> {
            (start..end)
                .map(|i| {
                    let mut out = Vec::with_capacity(cap);
                    encode(&m.row(i), &mut out);
                    out
                })
                .collect()
        }
        let cap = blob_capacity(self.dtype, self.dims);
        Ok(match self.dtype {
            VectorDtype::F32 => {
                rows(&self.arr.cast::<PyArray2<f32>>()?.try_readonly()?.as_array(), start, end, cap)
            }
            VectorDtype::F16 => rows(
                &self.arr.cast::<PyArray2<half::f16>>()?.try_readonly()?.as_array(),
                start,
                end,
                cap,
            ),
            VectorDtype::F64 => {
                rows(&self.arr.cast::<PyArray2<f64>>()?.try_readonly()?.as_array(), start, end, cap)
            }
        })
    }
}
