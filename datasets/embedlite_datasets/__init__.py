"""embedlite_datasets: vector datasets for ANN benchmarks and tests, built offline from packages.

- ``formats``      readers/writers for .fvecs/.ivecs/.bvecs, ann-benchmarks HDF5 and .npy
- ``groundtruth``  exact top-k by brute force (blocked float32 candidates, float64 refine)
- ``split``        the seeded query/base split
- ``checksums``    sha256 of texts, split, vectors and ground-truth ids
- ``debian_text``  description paragraphs from apt's Translation-en files / dpkg status
- ``minilm``       all-MiniLM-L6-v2 forward pass in numpy
- ``registry``     the named datasets (glove-50, glove-50-full, debian-384, random-128)

Command line: ``python -m embedlite_datasets {build,list,verify,export,info}``.
"""

from .formats import (FormatError, read_bvecs, read_fvecs, read_hdf5, read_ivecs, read_npy, read_vecs,
                      read_vectors, write_bvecs, write_fvecs, write_hdf5, write_ivecs, write_npy, write_vecs)
from .groundtruth import exact_knn, naive_knn
from .registry import SPECS, Dataset, build, default_cache_dir, load, verify
from .split import seeded_split

__all__ = [
    "SPECS", "Dataset", "FormatError", "build", "default_cache_dir", "exact_knn", "load", "naive_knn",
    "read_bvecs", "read_fvecs", "read_hdf5", "read_ivecs", "read_npy", "read_vecs", "read_vectors",
    "seeded_split", "verify", "write_bvecs", "write_fvecs", "write_hdf5", "write_ivecs", "write_npy",
    "write_vecs",
]
