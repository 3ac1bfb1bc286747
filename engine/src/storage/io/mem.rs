//! `MemIo`: an in-memory file system for `:memory:` databases and tests.
//!
//! Files are byte vectors in a map from path to file; every `open` returns an independent handle
//! on the same bytes with its own place in the file's [`LockTable`], so two connections on one
//! `MemIo` lock each other out exactly as two processes on a real disk would. Nothing here is
//! ever lost: `sync` is a no-op. Deleting a path unlinks it like `unlink(2)`: handles already open
//! keep the old file, and a new file under the same path starts empty with fresh locks.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::error::{Error, Result};
use crate::storage::io::lock_table::{LockHandle, LockTable};
use crate::storage::io::{File, Io, LockLevel, OpenMode};

/// An in-memory file system. Clones share the same files.
///
/// ```
/// use embedlite::storage::io::{Io, MemIo, OpenMode};
///
/// let io = MemIo::new();
/// let f = io.open("a.db", OpenMode::ReadWriteCreate)?;
/// f.write_at(b"hello", 0)?;
/// let g = io.open("a.db", OpenMode::ReadOnly)?;
/// let mut buf = [0u8; 5];
/// assert_eq!(g.read_at(&mut buf, 0)?, 5);
/// assert_eq!(&buf, b"hello");
/// # Ok::<(), embedlite::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemIo {
    files: Arc<Mutex<HashMap<String, Arc<MemInode>>>>,
}

/// One file: its bytes and its locks.
#[derive(Default)]
struct MemInode {
    bytes: RwLock<Vec<u8>>,
    locks: Arc<LockTable>,
}

impl fmt::Debug for MemInode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.bytes.read().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("MemInode").field("len", &len).finish_non_exhaustive()
    }
}

impl MemIo {
    /// An empty file system.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn files(&self) -> MutexGuard<'_, HashMap<String, Arc<MemInode>>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Io for MemIo {
    fn open(&self, path: &str, mode: OpenMode) -> Result<Box<dyn File>> {
        let mut files = self.files();
        let inode = match (files.get(path), mode) {
            (Some(inode), _) => Arc::clone(inode),
            (None, OpenMode::ReadWriteCreate) => {
                let inode = Arc::new(MemInode::default());
                files.insert(path.to_owned(), Arc::clone(&inode));
                inode
            }
            (None, OpenMode::ReadOnly | OpenMode::ReadWrite) => {
                return Err(Error::CantOpen {
                    path: path.to_owned(),
                    reason: "no such file".into(),
                })
            }
        };
        let lock = inode.locks.register();
        Ok(Box::new(MemFile { inode, lock, writable: mode != OpenMode::ReadOnly }))
    }

    fn exists(&self, path: &str) -> Result<bool> {
        Ok(self.files().contains_key(path))
    }

    fn delete(&self, path: &str) -> Result<()> {
        self.files().remove(path);
        Ok(())
    }
}

/// A handle on a [`MemIo`] file.
#[derive(Debug)]
struct MemFile {
    inode: Arc<MemInode>,
    lock: LockHandle,
    writable: bool,
}

/// `offset + len` as a `usize` index, or `Error::Full` if it does not fit in memory's address
/// space.
pub(super) fn end_index(offset: u64, len: usize) -> Result<(usize, usize)> {
    let start = usize::try_from(offset).map_err(|_| Error::Full)?;
    let end = start.checked_add(len).ok_or(Error::Full)?;
    Ok((start, end))
}

/// Writes `data` at `offset` into `bytes`, zero-filling any gap past the old end.
pub(super) fn write_into(bytes: &mut Vec<u8>, data: &[u8], offset: u64) -> Result<()> {
    let (start, end) = end_index(offset, data.len())?;
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[start..end].copy_from_slice(data);
    Ok(())
}

/// Reads from `bytes` at `offset` into `buf`; returns the number of bytes read.
pub(super) fn read_from(bytes: &[u8], buf: &mut [u8], offset: u64) -> usize {
    let Ok(start) = usize::try_from(offset) else { return 0 };
    if start >= bytes.len() {
        return 0;
    }
    let n = buf.len().min(bytes.len() - start);
    buf[..n].copy_from_slice(&bytes[start..start + n]);
    n
}

impl MemFile {
    fn check_writable(&self) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(Error::ReadOnly)
        }
    }
}

impl File for MemFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<usize> {
        let bytes = self.inode.bytes.read().unwrap_or_else(PoisonError::into_inner);
        Ok(read_from(&bytes, buf, offset))
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> Result<()> {
        self.check_writable()?;
        let mut bytes = self.inode.bytes.write().unwrap_or_else(PoisonError::into_inner);
        write_into(&mut bytes, buf, offset)
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn truncate(&self, size: u64) -> Result<()> {
        self.check_writable()?;
        let (_, size) = end_index(size, 0)?;
        self.inode.bytes.write().unwrap_or_else(PoisonError::into_inner).resize(size, 0);
        Ok(())
    }

    fn size(&self) -> Result<u64> {
        Ok(self.inode.bytes.read().unwrap_or_else(PoisonError::into_inner).len() as u64)
    }

    fn lock(&self, level: LockLevel) -> Result<()> {
        if level > LockLevel::Shared && !self.writable {
            return Err(Error::ReadOnly);
        }
        self.lock.lock(level)
    }

    fn unlock(&self, level: LockLevel) -> Result<()> {
        self.lock.unlock(level)
    }

    fn check_reserved_lock(&self) -> Result<bool> {
        Ok(self.lock.check_reserved())
    }

    fn lock_level(&self) -> LockLevel {
        self.lock.level()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_truncate_size() {
        let io = MemIo::new();
        let f = io.open("f", OpenMode::ReadWriteCreate).expect("open");
        assert_eq!(f.size().expect("size"), 0);
        f.write_at(b"abc", 4).expect("write");
        assert_eq!(f.size().expect("size"), 7);
        let mut buf = [9u8; 10];
        assert_eq!(f.read_at(&mut buf, 0).expect("read"), 7);
        assert_eq!(&buf, &[0, 0, 0, 0, b'a', b'b', b'c', 9, 9, 9]);
        assert_eq!(f.read_at(&mut buf, 100).expect("read past end"), 0);
        f.truncate(5).expect("truncate");
        assert_eq!(f.size().expect("size"), 5);
        f.truncate(8).expect("extend");
        let mut buf = [9u8; 8];
        assert_eq!(f.read_at(&mut buf, 0).expect("read"), 8);
        assert_eq!(&buf, &[0, 0, 0, 0, b'a', 0, 0, 0]);
        f.sync().expect("sync");
    }

    #[test]
    fn handles_and_clones_share_bytes() {
        let io = MemIo::new();
        let io2 = io.clone();
        let a = io.open("db", OpenMode::ReadWriteCreate).expect("open");
        a.write_at(b"xyz", 0).expect("write");
        let b = io2.open("db", OpenMode::ReadWrite).expect("open existing");
        let mut buf = [0u8; 3];
        b.read_at(&mut buf, 0).expect("read");
        assert_eq!(&buf, b"xyz");
        assert!(io2.exists("db").expect("exists"));
        assert!(!io2.exists("other").expect("exists"));
    }

    #[test]
    fn missing_file_and_read_only() {
        let io = MemIo::new();
        for mode in [OpenMode::ReadOnly, OpenMode::ReadWrite] {
            assert!(matches!(io.open("nope", mode), Err(Error::CantOpen { .. })));
        }
        io.open("f", OpenMode::ReadWriteCreate).expect("create");
        let r = io.open("f", OpenMode::ReadOnly).expect("open ro");
        assert!(matches!(r.write_at(b"x", 0), Err(Error::ReadOnly)));
        assert!(matches!(r.truncate(0), Err(Error::ReadOnly)));
        r.lock(LockLevel::Shared).expect("readers may lock Shared");
        assert!(matches!(r.lock(LockLevel::Reserved), Err(Error::ReadOnly)));
    }

    #[test]
    fn locks_conflict_between_handles() {
        let io = MemIo::new();
        let a = io.open("db", OpenMode::ReadWriteCreate).expect("open");
        let b = io.open("db", OpenMode::ReadWrite).expect("open");
        a.lock(LockLevel::Shared).expect("a shared");
        b.lock(LockLevel::Shared).expect("b shared");
        a.lock(LockLevel::Reserved).expect("a reserved");
        assert!(matches!(b.lock(LockLevel::Reserved), Err(Error::Busy)));
        assert!(b.check_reserved_lock().expect("check"));
        assert!(matches!(a.lock(LockLevel::Exclusive), Err(Error::Busy)));
        assert_eq!(a.lock_level(), LockLevel::Pending);
        b.unlock(LockLevel::None).expect("unlock");
        a.lock(LockLevel::Exclusive).expect("exclusive");
        assert!(matches!(b.lock(LockLevel::Shared), Err(Error::Busy)));
        drop(a);
        b.lock(LockLevel::Shared).expect("a's locks went with it");
    }

    #[test]
    fn delete_unlinks_but_open_handles_keep_data() {
        let io = MemIo::new();
        let a = io.open("j", OpenMode::ReadWriteCreate).expect("open");
        a.write_at(b"old", 0).expect("write");
        a.lock(LockLevel::Shared).expect("lock");
        a.lock(LockLevel::Exclusive).expect("lock");
        io.delete("j").expect("delete");
        io.delete("j").expect("deleting a missing file is fine");
        assert!(!io.exists("j").expect("exists"));
        let mut buf = [0u8; 3];
        a.read_at(&mut buf, 0).expect("read");
        assert_eq!(&buf, b"old");
        let b = io.open("j", OpenMode::ReadWriteCreate).expect("recreate");
        assert_eq!(b.size().expect("size"), 0);
        b.lock(LockLevel::Shared).expect("a new file has fresh locks");
    }
}
