//! `VectorIndex`: embedlite's in-memory graph index (`embedlite_vector::GraphIndex`) without SQL.
//!
//! The same HNSW / DiskANN graph that backs `CREATE INDEX ... libsql_vector_idx(...)`, held only in
//! memory and keyed by `int` ids: for programs that keep their rows elsewhere, and for the ANN
//! harness. Every call that touches the graph releases the GIL; the graph sits behind a
//! readers-writer lock, so searches from several Python threads run in parallel while an `add` or
//! `remove` waits for them (and they for it).
//!
//! | Python                                        | Rust                                        |
//! |-----------------------------------------------|---------------------------------------------|
//! | `VectorIndex(dim, metric, kind, **options)`   | `IndexParams::parse_options` + `try_new`    |
//! | `add(ids, vectors)`                           | `GraphIndex::insert_batch` (rayon)          |
//! | `search(query, k, search_l)` (1-D query)      | `GraphIndex::search`                        |
//! | `search(queries, k, search_l)` (2-D queries)  | `GraphIndex::search` per row, rayon         |
//! | `remove(ids)`                                 | `GraphIndex::remove_batch`                  |

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use embedlite_vector::{GraphIndex, GraphKind, IndexParams, VectorError};
use numpy::ndarray::Array2;
use numpy::{
    IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use rayon::prelude::*;

/// A `ValueError` carrying the vector crate's message (wrong dimension, NaN, bad option).
fn value_error(e: &VectorError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// An in-memory approximate nearest-neighbour index over float32 vectors keyed by int ids.
#[pyclass(module = "embedlite", name = "VectorIndex", frozen)]
#[derive(Debug)]
pub struct VectorIndex {
    index: RwLock<GraphIndex>,
}

impl VectorIndex {
    // A panic inside the graph code cannot leave it half-updated in a way a later call would
    // misread more than the panic itself already signalled: ignore poisoning, as the pool does.
    fn read(&self) -> RwLockReadGuard<'_, GraphIndex> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, GraphIndex> {
        self.index.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn dims(&self) -> usize {
        self.read().params().dims
    }
}

/// `numpy.ascontiguousarray(obj, numpy.float32)`: arrays of any float dtype, lists, lists of lists.
fn float32_array<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let np = obj.py().import("numpy")?;
    np.call_method1("ascontiguousarray", (obj, np.getattr("float32")?))
}

/// Ids from an int64 numpy array (fast path) or any iterable of ints.
fn extract_ids(ids: &Bound<'_, PyAny>) -> PyResult<Vec<i64>> {
    if let Ok(array) = ids.extract::<PyReadonlyArray1<'_, i64>>() {
        return Ok(array.as_array().to_vec());
    }
    ids.try_iter()?.map(|x| x?.extract::<i64>()).collect()
}

#[pymethods]
impl VectorIndex {
    /// `VectorIndex(dim, metric="cosine", kind="hnsw", *, max_neighbors=None, insert_l=None,
    /// search_l=None, alpha=None, seed=None)`; the options are those of `libsql_vector_idx`.
    #[new]
    #[pyo3(signature = (dim, metric = "cosine", kind = "hnsw", *, max_neighbors = None,
        insert_l = None, search_l = None, alpha = None, seed = None))]
    #[allow(clippy::too_many_arguments)] // the Python signature: keyword options
    fn new(
        dim: usize,
        metric: &str,
        kind: &str,
        max_neighbors: Option<usize>,
        insert_l: Option<usize>,
        search_l: Option<usize>,
        alpha: Option<f32>,
        seed: Option<u64>,
    ) -> PyResult<Self> {
        // One parser for the option names, ranges and messages: the one `CREATE INDEX` uses.
        let mut options = vec![format!("type={kind}"), format!("metric={metric}")];
        for (name, value) in [
            ("max_neighbors", max_neighbors.map(|v| v.to_string())),
            ("insert_l", insert_l.map(|v| v.to_string())),
            ("search_l", search_l.map(|v| v.to_string())),
            ("alpha", alpha.map(|v| v.to_string())),
            ("seed", seed.map(|v| v.to_string())),
        ] {
            if let Some(value) = value {
                options.push(format!("{name}={value}"));
            }
        }
        if kind.contains([',', '=']) || metric.contains([',', '=']) {
            return Err(PyValueError::new_err(format!(
                "invalid kind {kind:?} or metric {metric:?}"
            )));
        }
        let params = IndexParams::parse_options(&options.join(","), dim, GraphKind::Hnsw)
            .map_err(|e| value_error(&e))?;
        let index = GraphIndex::try_new(params).map_err(|e| value_error(&e))?;
        Ok(VectorIndex { index: RwLock::new(index) })
    }

    /// Inserts (or replaces) the rows of `vectors`, an `(n, dim)` array (cast to float32), under
    /// `ids` (`n` ints). All or nothing: a wrong shape or a non-finite value inserts nothing.
    fn add(
        &self,
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        vectors: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let ids = extract_ids(ids)?;
        let array = float32_array(vectors)?;
        if array.cast::<PyUntypedArray>()?.ndim() != 2 {
            return Err(PyValueError::new_err("vectors must be a 2-D (n, dim) array"));
        }
        let vectors = array.extract::<PyReadonlyArray2<'_, f32>>()?;
        let view = vectors.as_array();
        let (n, d) = view.dim();
        let dims = self.dims();
        if d != dims {
            return Err(PyValueError::new_err(format!(
                "vectors have {d} dimensions, the index has {dims}"
            )));
        }
        if ids.len() != n {
            return Err(PyValueError::new_err(format!("{} ids for {n} vectors", ids.len())));
        }
        let items: Vec<(i64, Vec<f32>)> =
            ids.into_iter().zip(view.rows()).map(|(id, row)| (id, row.to_vec())).collect();
        py.detach(|| self.write().insert_batch(&items)).map_err(|e| value_error(&e))
    }

    /// The `k` nearest ids of `query` and their distances, nearest first: numpy arrays (int64,
    /// float64) of shape `(m,)` with `m <= k` for a 1-D query; of shape `(n, k)` for an
    /// `(n, dim)` batch of queries (searched in parallel), padded with id `-1` and distance `inf`
    /// where fewer than `k` ids exist. `search_l` is the beam width (default: the index's);
    /// `exact=True` scans every vector instead (the ground truth that recall is measured against).
    #[pyo3(signature = (query, k = 10, search_l = None, *, exact = false))]
    fn search<'py>(
        &self,
        py: Python<'py>,
        query: &Bound<'py, PyAny>,
        k: usize,
        search_l: Option<usize>,
        exact: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let array = float32_array(query)?;
        let ndim = array.cast::<PyUntypedArray>()?.ndim();
        let dims = self.dims();
        let one = |index: &GraphIndex, q: &[f32]| {
            if exact {
                index.search_exact(q, k, None)
            } else {
                index.search(q, k, search_l, None)
            }
        };
        match ndim {
            1 => {
                let q: Vec<f32> = array.extract::<PyReadonlyArray1<'_, f32>>()?.as_array().to_vec();
                let hits = py.detach(|| one(&self.read(), &q)).map_err(|e| value_error(&e))?;
                let (ids, dist): (Vec<i64>, Vec<f64>) = hits.into_iter().unzip();
                PyTuple::new(
                    py,
                    [ids.into_pyarray(py).into_any(), dist.into_pyarray(py).into_any()],
                )
            }
            2 => {
                let qs = array.extract::<PyReadonlyArray2<'_, f32>>()?;
                let view = qs.as_array();
                let (n, d) = view.dim();
                if d != dims {
                    return Err(PyValueError::new_err(format!(
                        "queries have {d} dimensions, the index has {dims}"
                    )));
                }
                let rows: Vec<Vec<f32>> = view.rows().into_iter().map(|r| r.to_vec()).collect();
                let results = py.detach(|| {
                    let index = self.read();
                    rows.par_iter().map(|q| one(&index, q)).collect::<Result<Vec<_>, _>>()
                });
                let results = results.map_err(|e| value_error(&e))?;
                let mut ids = Array2::<i64>::from_elem((n, k), -1);
                let mut dist = Array2::<f64>::from_elem((n, k), f64::INFINITY);
                for (i, hits) in results.into_iter().enumerate() {
                    for (j, (id, d)) in hits.into_iter().enumerate() {
                        ids[[i, j]] = id;
                        dist[[i, j]] = d;
                    }
                }
                PyTuple::new(
                    py,
                    [ids.into_pyarray(py).into_any(), dist.into_pyarray(py).into_any()],
                )
            }
            other => Err(PyValueError::new_err(format!(
                "query must be 1-D (one query) or 2-D (a batch), got {other} dimensions"
            ))),
        }
    }

    /// Removes the ids that are in the index; returns how many were.
    fn remove(&self, py: Python<'_>, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        let ids = extract_ids(ids)?;
        Ok(py.detach(|| self.write().remove_batch(&ids)))
    }

    /// Approximate bytes of memory the graph and its vectors take.
    #[getter]
    fn memory_bytes(&self) -> usize {
        self.read().memory_bytes()
    }

    fn __len__(&self) -> usize {
        self.read().len()
    }

    fn __contains__(&self, id: i64) -> bool {
        self.read().contains(id)
    }

    /// Number of dimensions of every vector.
    #[getter]
    fn dim(&self) -> usize {
        self.dims()
    }

    /// The metric: `cosine`, `l2`, `l2sq` or `dot`.
    #[getter]
    fn metric(&self) -> &'static str {
        self.read().params().metric.name()
    }

    /// The graph: `hnsw` or `diskann`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.read().params().kind.name()
    }

    /// The parameters as `libsql_vector_idx` option text.
    #[getter]
    fn options(&self) -> String {
        self.read().params().to_options()
    }

    fn __repr__(&self) -> String {
        let index = self.read();
        format!("VectorIndex(len={}, {})", index.len(), index.params().to_options())
    }
}
