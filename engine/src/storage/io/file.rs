//! The `Io` and `File` traits and SQLite's lock levels.

use std::fmt;

use crate::error::Result;

/// SQLite's five file-lock levels, in increasing strength.
///
/// ```text
/// None ─► Shared ─► Reserved ─► Pending ─► Exclusive
/// ```
/// Many connections may hold `Shared`; one may hold `Reserved` (it intends to write) while others
/// keep reading; `Pending` stops new readers while a writer waits for the old ones to leave;
/// `Exclusive` is needed to write the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockLevel {
    /// No lock.
    None,
    /// Reading.
    Shared,
    /// Intending to write; readers may continue.
    Reserved,
    /// Waiting for readers to finish; no new readers.
    Pending,
    /// Writing the database file.
    Exclusive,
}

/// How a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Read-only; the file must exist.
    ReadOnly,
    /// Read-write; the file must exist.
    ReadWrite,
    /// Read-write, created if missing.
    ReadWriteCreate,
}

/// A file system: opens, tests for and deletes files by path.
pub trait Io: Send + Sync + fmt::Debug {
    /// Opens `path`. Each call returns an independent handle with its own locks: two handles on
    /// the same file exclude each other as two processes would.
    fn open(&self, path: &str, mode: OpenMode) -> Result<Box<dyn File>>;
    /// Whether `path` exists.
    fn exists(&self, path: &str) -> Result<bool>;
    /// Deletes `path` durably (the directory entry is synced before this returns). Deleting a
    /// missing file is not an error.
    fn delete(&self, path: &str) -> Result<()>;
}

/// An open file.
pub trait File: Send + Sync + fmt::Debug {
    /// Reads into `buf` from `offset`; returns the number of bytes read, which is less than
    /// `buf.len()` only at end of file. Bytes past the end are left untouched.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<usize>;
    /// Writes all of `buf` at `offset`, extending the file if needed.
    fn write_at(&self, buf: &[u8], offset: u64) -> Result<()>;
    /// Makes every write so far durable.
    fn sync(&self) -> Result<()>;
    /// Sets the file's size.
    fn truncate(&self, size: u64) -> Result<()>;
    /// The file's size in bytes.
    fn size(&self) -> Result<u64>;
    /// Raises this handle's lock to `level` (from a weaker one). Returns `Error::Busy` without
    /// waiting if another handle holds a conflicting lock; callers retry under a busy timeout.
    /// Raising to `Exclusive` from `Reserved` passes through `Pending` as SQLite does.
    fn lock(&self, level: LockLevel) -> Result<()>;
    /// Lowers this handle's lock to `level`, which must be `Shared` or `None`.
    fn unlock(&self, level: LockLevel) -> Result<()>;
    /// Whether any handle (this one or another, in any process) holds `Reserved` or stronger.
    fn check_reserved_lock(&self) -> Result<bool>;
    /// The lock level this handle holds.
    fn lock_level(&self) -> LockLevel;
}
