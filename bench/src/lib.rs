//! Benchmarks of embedlite side by side with SQLite.
