//! `embedlite._embedlite`: the native half of the Python package `embedlite`.
//!
//! A thin binding over the `embedlite` crate: it converts values, releases the GIL around every
//! engine call, and maps engine errors to the PEP 249 exceptions. The DB-API objects live here
//! (for speed: binding parameters, `executemany` loops and row conversion run in Rust); the pure
//! Python package (`python/embedlite/__init__.py`) adds `connect`, the module constants and the
//! numpy helpers, and re-exports everything.
//!
//! | module     | what                                                      |
//! |------------|-----------------------------------------------------------|
//! | `connection` | `Connection`, the statement cache, transaction rules    |
//! | `cursor`   | `Cursor`: execute, executemany, fetch                     |
//! | `row`      | `Row`                                                     |
//! | `convert`  | Python ↔ engine values, numpy vectors as blobs            |
//! | `errors`   | the exception hierarchy and the error-code mapping        |
//! | `sqltext`  | first keyword, blank SQL, identifier quoting              |
//! | `vector_index` | `VectorIndex`: the graph index without SQL            |

mod connection;
mod convert;
mod cursor;
mod errors;
mod row;
mod sqltext;
mod vector_index;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The vector blob of a 1-D float32/float16/float64 numpy array or a list of numbers (bound as
/// float32), exactly as a parameter would be stored.
#[pyfunction]
fn vector_blob<'py>(vector: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let blob = convert::vector_blob(vector)?;
    Ok(PyBytes::new(vector.py(), &blob))
}

#[pymodule(name = "_embedlite")]
fn embedlite_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<connection::Connection>()?;
    m.add_class::<cursor::Cursor>()?;
    m.add_class::<row::Row>()?;
    m.add_class::<vector_index::VectorIndex>()?;
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(vector_blob, m)?)?;
    m.add("sqlite_version", embedlite::functions::SQLITE_VERSION)?;
    m.add("version", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
