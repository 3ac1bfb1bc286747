//! `OsIo`: real files through `std::fs`, with locks that interoperate with `SQLite`'s.
//!
//! # Locking
//! The five lock levels are byte-range locks on the same bytes `SQLite` uses (`os_unix.c`), so an
//! embedlite process and a `sqlite3` process sharing a file exclude each other correctly:
//!
//! ```text
//!  offset 0x4000_0000  PENDING_BYTE     1 byte
//!  offset 0x4000_0001  RESERVED_BYTE    1 byte
//!  offset 0x4000_0002  SHARED_FIRST   510 bytes (SHARED_SIZE)
//!
//!  None → Shared      read-lock PENDING, read-lock the shared range, unlock PENDING
//!  Shared → Reserved  write-lock RESERVED
//!  → Pending          write-lock PENDING
//!  → Exclusive        (write-lock PENDING if not held, kept if the next step is busy)
//!                     write-lock the shared range
//!  → Shared           read-lock the shared range, unlock PENDING and RESERVED
//!  → None             unlock everything
//! ```
//!
//! The locks are Linux *open-file-description* locks (`F_OFD_SETLK`), not classic POSIX `F_SETLK`
//! locks. They conflict with `SQLite`'s POSIX locks in other processes exactly as POSIX locks do,
//! but they belong to the open file description rather than to the process: two `OsIo` handles
//! in one process exclude each other like two processes, and closing one handle does not drop the
//! locks of another handle on the same file (the POSIX pitfall `SQLite` works around with its
//! process-wide inode table). A request that conflicts fails with `Error::Busy` at once.
//!
//! # Durability
//! `sync` is `fdatasync`, as `SQLite` uses on Linux; the first `sync` of a file this handle created
//! also fsyncs the parent directory so the new directory entry survives a power cut, and `delete`
//! fsyncs the directory after unlinking. `ENOSPC`/`EDQUOT` become `Error::Full`.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::error::{Error, Result};
use crate::storage::io::{File, Io, LockLevel, OpenMode};

/// The byte `SQLite`'s writers lock to stop new readers (the first byte of the 1 GiB boundary).
const PENDING_BYTE: i64 = 0x4000_0000;
/// The byte a connection intending to write locks.
const RESERVED_BYTE: i64 = PENDING_BYTE + 1;
/// The first byte of the range readers read-lock and the exclusive writer write-locks.
const SHARED_FIRST: i64 = PENDING_BYTE + 2;
/// The length of the shared range.
const SHARED_SIZE: i64 = 510;

/// The real file system.
///
/// ```no_run
/// use embedlite::storage::io::{Io, LockLevel, OpenMode, OsIo};
///
/// let f = OsIo::new().open("/tmp/example.db", OpenMode::ReadWriteCreate)?;
/// f.lock(LockLevel::Shared)?;
/// f.write_at(b"data", 0)?;
/// f.sync()?;
/// # Ok::<(), embedlite::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct OsIo;

impl OsIo {
    /// The real file system.
    #[must_use]
    pub fn new() -> Self {
        OsIo
    }
}

/// An OS error from `op`, with a full disk reported as `Error::Full`.
fn os_error(op: &'static str, e: std::io::Error) -> Error {
    match e.raw_os_error() {
        Some(libc::ENOSPC | libc::EDQUOT) => Error::Full,
        _ => Error::io(op, e),
    }
}

/// Fsyncs the directory that holds `path`, so that a created or removed entry is durable.
fn sync_parent_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::File::open(dir)?.sync_all()
}

impl Io for OsIo {
    fn open(&self, path: &str, mode: OpenMode) -> Result<Box<dyn File>> {
        let cant_open =
            |e: std::io::Error| Error::CantOpen { path: path.to_owned(), reason: e.to_string() };
        let p = Path::new(path);
        let mut opts = fs::OpenOptions::new();
        opts.read(true).write(mode != OpenMode::ReadOnly);
        let (file, created) = if mode == OpenMode::ReadWriteCreate {
            // `create_new` first tells us whether this handle created the file (and so owes the
            // directory a sync). Retry a few times if another process races us.
            let mut attempt = 0;
            loop {
                match fs::OpenOptions::new().read(true).write(true).create_new(true).open(p) {
                    Ok(f) => break (f, true),
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(cant_open(e)),
                }
                match opts.open(p) {
                    Ok(f) => break (f, false),
                    Err(e) if e.kind() == ErrorKind::NotFound && attempt < 3 => attempt += 1,
                    Err(e) => return Err(cant_open(e)),
                }
            }
        } else {
            (opts.open(p).map_err(cant_open)?, false)
        };
        if file.metadata().map_err(cant_open)?.is_dir() {
            return Err(Error::CantOpen { path: path.to_owned(), reason: "is a directory".into() });
        }
        Ok(Box::new(OsFile {
            file,
            path: p.to_path_buf(),
            writable: mode != OpenMode::ReadOnly,
            level: Mutex::new(LockLevel::None),
            dir_sync_pending: AtomicBool::new(created),
        }))
    }

    fn exists(&self, path: &str) -> Result<bool> {
        match fs::metadata(path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("checking whether a file exists", e)),
        }
    }

    fn delete(&self, path: &str) -> Result<()> {
        match fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(os_error("deleting a file", e)),
        }
        sync_parent_dir(Path::new(path)).map_err(|e| os_error("syncing a directory", e))
    }
}

/// A handle on a real file: one open file description, owning its OFD locks.
#[derive(Debug)]
struct OsFile {
    file: fs::File,
    path: PathBuf,
    writable: bool,
    /// The lock level held; the mutex also serialises this handle's lock transitions.
    level: Mutex<LockLevel>,
    /// Set while the directory entry of a file this handle created has not been synced.
    dir_sync_pending: AtomicBool,
}

impl OsFile {
    fn check_writable(&self) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(Error::ReadOnly)
        }
    }

    /// Sets an OFD lock of `kind` on `len` bytes from `start`. `Ok(false)` means another
    /// handle or process holds a conflicting lock.
    fn set_lock(&self, kind: LockKind, start: i64, len: i64) -> Result<bool> {
        ofd::set_lock(&self.file, kind, start, len).map_err(|e| Error::io("locking a file", e))
    }

    /// Like [`Self::set_lock`] for a step that cannot conflict (unlocking or downgrading).
    fn must_set_lock(&self, kind: LockKind, start: i64, len: i64) -> Result<()> {
        if self.set_lock(kind, start, len)? {
            Ok(())
        } else {
            Err(Error::io("unlocking a file", std::io::Error::other("lock downgrade refused")))
        }
    }
}

/// The type of an OFD lock request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LockKind {
    Read,
    Write,
    Unlock,
}

#[allow(unsafe_code)]
mod ofd {
    //! The only `unsafe` of the I/O layer: `fcntl` calls for open-file-description locks.

    use std::io;
    use std::os::unix::io::AsRawFd;

    use super::LockKind;

    fn flock(kind: LockKind, start: i64, len: i64) -> libc::flock {
        // SAFETY: `libc::flock` is a C struct of integers (plus padding on some targets), for
        // which all-zero bytes are a valid value; `l_pid` must be 0 for OFD requests.
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = match kind {
            LockKind::Read => libc::F_RDLCK,
            LockKind::Write => libc::F_WRLCK,
            LockKind::Unlock => libc::F_UNLCK,
        } as libc::c_short;
        fl.l_whence = libc::SEEK_SET as libc::c_short;
        fl.l_start = start as libc::off_t;
        fl.l_len = len as libc::off_t;
        fl
    }

    /// `F_OFD_SETLK`: `Ok(true)` if set, `Ok(false)` if a conflicting lock is held elsewhere.
    pub(super) fn set_lock(
        file: &impl AsRawFd,
        kind: LockKind,
        start: i64,
        len: i64,
    ) -> io::Result<bool> {
        let mut fl = flock(kind, start, len);
        loop {
            // SAFETY: the fd is open for the duration of the call (`file` is borrowed), and
            // `fl` is a valid, initialised `flock` that lives across the call; F_OFD_SETLK only
            // reads it.
            let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &mut fl) };
            if rc == 0 {
                return Ok(true);
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => {}
                Some(libc::EAGAIN | libc::EACCES) => return Ok(false),
                _ => return Err(e),
            }
        }
    }

    /// `F_OFD_GETLK`: whether another open file description or process holds a lock that would
    /// conflict with a `kind` lock on the range.
    pub(super) fn is_locked_elsewhere(
        file: &impl AsRawFd,
        kind: LockKind,
        start: i64,
        len: i64,
    ) -> io::Result<bool> {
        let mut fl = flock(kind, start, len);
        loop {
            // SAFETY: as in `set_lock`; F_OFD_GETLK writes the conflicting lock (or F_UNLCK)
            // back into `fl`, which is a valid, exclusively borrowed `flock`.
            let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut fl) };
            if rc == 0 {
                return Ok(fl.l_type != libc::F_UNLCK as libc::c_short);
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                return Err(e);
            }
        }
    }
}

impl File for OsFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.file.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(os_error("reading a file", e)),
            }
        }
        Ok(done)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> Result<()> {
        self.check_writable()?;
        self.file.write_all_at(buf, offset).map_err(|e| os_error("writing a file", e))
    }

    fn sync(&self) -> Result<()> {
        self.file.sync_data().map_err(|e| os_error("syncing a file", e))?;
        if self.dir_sync_pending.swap(false, Ordering::AcqRel) {
            if let Err(e) = sync_parent_dir(&self.path) {
                self.dir_sync_pending.store(true, Ordering::Release);
                return Err(os_error("syncing a directory", e));
            }
        }
        Ok(())
    }

    fn truncate(&self, size: u64) -> Result<()> {
        self.check_writable()?;
        self.file.set_len(size).map_err(|e| os_error("truncating a file", e))
    }

    fn size(&self) -> Result<u64> {
        Ok(self.file.metadata().map_err(|e| os_error("reading a file's size", e))?.len())
    }

    fn lock(&self, want: LockLevel) -> Result<()> {
        let mut level = self.level.lock().unwrap_or_else(PoisonError::into_inner);
        let cur = *level;
        if want <= cur {
            return Ok(());
        }
        if want > LockLevel::Shared {
            if cur == LockLevel::None {
                return Err(Error::Misuse(format!(
                    "lock to {want:?} requires holding Shared first"
                )));
            }
            self.check_writable()?;
        }
        match want {
            LockLevel::None => unreachable!("want > cur >= None"),
            LockLevel::Shared => {
                // The PENDING read lock is a gate: a writer holding PENDING keeps new readers out.
                if !self.set_lock(LockKind::Read, PENDING_BYTE, 1)? {
                    return Err(Error::Busy);
                }
                let got = self.set_lock(LockKind::Read, SHARED_FIRST, SHARED_SIZE);
                let released = self.set_lock(LockKind::Unlock, PENDING_BYTE, 1);
                let got = got?;
                if !released? {
                    return Err(Error::io(
                        "unlocking a file",
                        std::io::Error::other("unlock refused"),
                    ));
                }
                if !got {
                    return Err(Error::Busy);
                }
            }
            LockLevel::Reserved => {
                if !self.set_lock(LockKind::Write, RESERVED_BYTE, 1)? {
                    return Err(Error::Busy);
                }
            }
            LockLevel::Pending => {
                if !self.set_lock(LockKind::Write, PENDING_BYTE, 1)? {
                    return Err(Error::Busy);
                }
            }
            LockLevel::Exclusive => {
                if cur < LockLevel::Pending {
                    if !self.set_lock(LockKind::Write, PENDING_BYTE, 1)? {
                        return Err(Error::Busy);
                    }
                    // Kept even if the next step is busy, so no new readers arrive meanwhile.
                    *level = LockLevel::Pending;
                }
                if !self.set_lock(LockKind::Write, SHARED_FIRST, SHARED_SIZE)? {
                    return Err(Error::Busy);
                }
            }
        }
        *level = want;
        Ok(())
    }

    fn unlock(&self, to: LockLevel) -> Result<()> {
        if to > LockLevel::Shared {
            return Err(Error::Misuse(format!("unlock to {to:?}: only Shared or None allowed")));
        }
        let mut level = self.level.lock().unwrap_or_else(PoisonError::into_inner);
        if *level <= to {
            return Ok(());
        }
        if to == LockLevel::Shared {
            // Downgrade the shared range (a no-op unless Exclusive), then drop PENDING+RESERVED.
            self.must_set_lock(LockKind::Read, SHARED_FIRST, SHARED_SIZE)?;
            self.must_set_lock(LockKind::Unlock, PENDING_BYTE, 2)?;
        } else {
            // l_len = 0: to the end of the file and beyond, i.e. every lock of this handle.
            self.must_set_lock(LockKind::Unlock, 0, 0)?;
        }
        *level = to;
        Ok(())
    }

    fn check_reserved_lock(&self) -> Result<bool> {
        if *self.level.lock().unwrap_or_else(PoisonError::into_inner) >= LockLevel::Reserved {
            return Ok(true);
        }
        ofd::is_locked_elsewhere(&self.file, LockKind::Write, RESERVED_BYTE, 1)
            .map_err(|e| Error::io("checking a file lock", e))
    }

    fn lock_level(&self) -> LockLevel {
        *self.level.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Child, Command, Stdio};

    use super::*;
    use LockLevel::{Exclusive, None as Unlocked, Pending, Reserved, Shared};

    fn is_busy<T: std::fmt::Debug>(r: &Result<T>) -> bool {
        matches!(r, Err(Error::Busy))
    }

    fn temp_db() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("test.db").to_str().expect("utf-8 temp path").to_owned();
        (dir, path)
    }

    fn open(path: &str) -> Box<dyn File> {
        OsIo::new().open(path, OpenMode::ReadWriteCreate).expect("open")
    }

    #[test]
    fn read_write_truncate_size() {
        let (_dir, path) = temp_db();
        let f = open(&path);
        f.write_at(b"hello", 3).expect("write");
        assert_eq!(f.size().expect("size"), 8);
        let mut buf = [7u8; 12];
        assert_eq!(f.read_at(&mut buf, 0).expect("read"), 8, "short read only at EOF");
        assert_eq!(&buf, &[0, 0, 0, b'h', b'e', b'l', b'l', b'o', 7, 7, 7, 7]);
        assert_eq!(f.read_at(&mut buf, 100).expect("read past EOF"), 0);
        f.sync().expect("sync (and the directory, as this handle created the file)");
        f.truncate(4).expect("truncate");
        assert_eq!(f.size().expect("size"), 4);
        f.sync().expect("second sync");
    }

    #[test]
    fn open_missing_and_read_only() {
        let (_dir, path) = temp_db();
        let io = OsIo::new();
        for mode in [OpenMode::ReadOnly, OpenMode::ReadWrite] {
            assert!(matches!(io.open(&path, mode), Err(Error::CantOpen { .. })), "{mode:?}");
        }
        assert!(!io.exists(&path).expect("exists"));
        drop(open(&path));
        assert!(io.exists(&path).expect("exists"));
        let r = io.open(&path, OpenMode::ReadOnly).expect("open ro");
        assert!(matches!(r.write_at(b"x", 0), Err(Error::ReadOnly)));
        r.lock(Shared).expect("read-only handles may read-lock");
        assert!(matches!(r.lock(Reserved), Err(Error::ReadOnly)));
        let dir = path.rsplit_once('/').expect("dir").0;
        assert!(matches!(io.open(dir, OpenMode::ReadOnly), Err(Error::CantOpen { .. })));
    }

    #[test]
    fn delete_is_idempotent() {
        let (_dir, path) = temp_db();
        let io = OsIo::new();
        drop(open(&path));
        io.delete(&path).expect("delete");
        assert!(!io.exists(&path).expect("exists"));
        io.delete(&path).expect("deleting a missing file is not an error");
    }

    #[test]
    fn lock_matrix_between_two_handles() {
        let (_dir, path) = temp_db();
        let a = open(&path);
        let b = open(&path);
        // Shared + Shared.
        a.lock(Shared).expect("a shared");
        b.lock(Shared).expect("b shared");
        assert!(!b.check_reserved_lock().expect("check"));
        // One Reserved; a second is refused; readers stay.
        a.lock(Reserved).expect("a reserved");
        assert!(is_busy(&b.lock(Reserved)));
        assert!(b.check_reserved_lock().expect("check"), "b sees a's RESERVED via F_OFD_GETLK");
        assert!(a.check_reserved_lock().expect("check"));
        // Exclusive waits for b's Shared, keeping Pending.
        assert!(is_busy(&a.lock(Exclusive)));
        assert_eq!(a.lock_level(), Pending);
        // Pending blocks a new reader.
        let c = open(&path);
        assert!(is_busy(&c.lock(Shared)));
        // b leaves; a gets Exclusive, which blocks every reader.
        b.unlock(Unlocked).expect("b unlock");
        a.lock(Exclusive).expect("a exclusive");
        assert_eq!(a.lock_level(), Exclusive);
        assert!(is_busy(&b.lock(Shared)));
        // Down to Shared: readers welcome, RESERVED free.
        a.unlock(Shared).expect("a to shared");
        assert_eq!(a.lock_level(), Shared);
        b.lock(Shared).expect("b shared again");
        c.lock(Shared).expect("c shared");
        assert!(!c.check_reserved_lock().expect("check"));
        b.lock(Reserved).expect("b reserved now");
        // Exclusive straight from Shared (SQLite's hot-journal path) takes PENDING without
        // RESERVED, as os_unix.c does, and keeps it when b's Shared makes the last step busy.
        assert!(is_busy(&c.lock(Exclusive)), "b holds Shared");
        assert_eq!(c.lock_level(), Pending);
        assert!(is_busy(&b.lock(Exclusive)), "c holds PENDING");
        c.unlock(Shared).expect("c back to shared");
        b.unlock(Unlocked).expect("b unlock");
        a.unlock(Unlocked).expect("a unlock");
        c.lock(Exclusive).expect("c exclusive");
        assert!(is_busy(&a.lock(Shared)));
        c.unlock(Unlocked).expect("c unlock");
        a.lock(Shared).expect("a shared after all released");
    }

    #[test]
    fn dropping_one_handle_keeps_another_handles_locks() {
        let (_dir, path) = temp_db();
        let holder = open(&path);
        holder.lock(Shared).expect("shared");
        holder.lock(Reserved).expect("reserved");
        {
            // Another handle on the same file in the same process, closed again: with POSIX
            // locks this close would drop `holder`'s locks too.
            let other = open(&path);
            other.lock(Shared).expect("shared");
            let mut buf = [0u8; 1];
            other.read_at(&mut buf, 0).expect("read");
        }
        let probe = open(&path);
        probe.lock(Shared).expect("shared");
        assert!(probe.check_reserved_lock().expect("check"));
        assert!(is_busy(&probe.lock(Reserved)), "holder's RESERVED must survive the close");
        drop(holder);
        probe.lock(Reserved).expect("released when its own handle closes");
    }

    // ---- Interoperability with a real SQLite in another process ----------------------------

    const CHILD_MODE: &str = "EMBEDLITE_IO_SQLITE_CHILD_MODE";
    const CHILD_DB: &str = "EMBEDLITE_IO_SQLITE_CHILD_DB";

    /// Run by [`spawn_sqlite`] in a child process (ignored in normal runs; without the
    /// environment variables it does nothing). Modes:
    /// `hold_exclusive` — `BEGIN EXCLUSIVE`, print `CHILD:locked`, wait for stdin to close;
    /// `try_immediate` / `try_read` — `BEGIN IMMEDIATE` / a read with `busy_timeout` 0, print
    /// `CHILD:ok` or `CHILD:busy`.
    #[test]
    #[ignore = "helper run in a child process by the SQLite interoperability tests"]
    fn sqlite_lock_child() {
        let (Ok(mode), Ok(db)) = (std::env::var(CHILD_MODE), std::env::var(CHILD_DB)) else {
            return;
        };
        let conn = rusqlite::Connection::open(&db).expect("sqlite open");
        conn.busy_timeout(std::time::Duration::ZERO).expect("busy timeout");
        let report = |r: rusqlite::Result<()>| match r {
            Ok(()) => println!("\nCHILD:ok"),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                println!("\nCHILD:busy");
            }
            Err(e) => println!("\nCHILD:error {e}"),
        };
        match mode.as_str() {
            "hold_exclusive" => {
                conn.execute_batch("BEGIN EXCLUSIVE").expect("begin exclusive");
                println!("\nCHILD:locked");
                std::io::stdout().flush().expect("flush");
                let mut sink = Vec::new();
                std::io::stdin().read_to_end(&mut sink).expect("wait for stdin to close");
                conn.execute_batch("ROLLBACK").expect("rollback");
            }
            "try_immediate" => {
                report(conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK"));
            }
            "try_read" => {
                report(conn.query_row("SELECT count(*) FROM t", [], |_| Ok(())));
            }
            other => panic!("unknown child mode {other}"),
        }
    }

    /// Starts this test binary running [`sqlite_lock_child`] in `mode` on `db`, and reads its
    /// stdout up to the first `CHILD:` line, which is returned.
    fn spawn_sqlite(mode: &str, db: &str) -> (Child, String) {
        let module = module_path!().split_once("::").expect("crate::module").1;
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args([&format!("{module}::sqlite_lock_child"), "--exact", "--ignored", "--nocapture"])
            .args(["--test-threads=1"])
            .env(CHILD_MODE, mode)
            .env(CHILD_DB, db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = loop {
            let line = lines.next().expect("child ended before reporting").expect("read child");
            if let Some(i) = line.find("CHILD:") {
                break line[i + "CHILD:".len()..].trim().to_owned();
            }
        };
        // Keep draining the child's output in the background so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        (child, line)
    }

    fn run_sqlite(mode: &str, db: &str) -> String {
        let (mut child, line) = spawn_sqlite(mode, db);
        drop(child.stdin.take());
        assert!(child.wait().expect("wait").success(), "child failed in mode {mode}");
        line
    }

    fn create_sqlite_db(path: &str) {
        let conn = rusqlite::Connection::open(path).expect("sqlite open");
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);").expect("create");
    }

    #[test]
    fn sqlite_exclusive_lock_blocks_our_shared() {
        let (_dir, path) = temp_db();
        create_sqlite_db(&path);
        let (mut child, line) = spawn_sqlite("hold_exclusive", &path);
        assert_eq!(line, "locked");
        let f = OsIo::new().open(&path, OpenMode::ReadWrite).expect("open");
        assert!(is_busy(&f.lock(Shared)), "SQLite's EXCLUSIVE must exclude our readers");
        assert_eq!(f.lock_level(), Unlocked);
        assert!(f.check_reserved_lock().expect("check"), "SQLite holds RESERVED");
        drop(child.stdin.take());
        assert!(child.wait().expect("wait").success());
        f.lock(Shared).expect("free once SQLite is gone");
        assert!(!f.check_reserved_lock().expect("check"));
    }

    #[test]
    fn our_locks_block_sqlite() {
        let (_dir, path) = temp_db();
        create_sqlite_db(&path);
        let f = OsIo::new().open(&path, OpenMode::ReadWrite).expect("open");
        f.lock(Shared).expect("shared");
        assert_eq!(run_sqlite("try_immediate", &path), "ok", "our Shared admits a writer");
        f.lock(Reserved).expect("reserved");
        assert_eq!(run_sqlite("try_immediate", &path), "busy", "our Reserved excludes a writer");
        assert_eq!(run_sqlite("try_read", &path), "ok", "our Reserved admits readers");
        f.lock(Exclusive).expect("exclusive");
        assert_eq!(run_sqlite("try_read", &path), "busy", "our Exclusive excludes readers");
        f.unlock(Shared).expect("to shared");
        assert_eq!(run_sqlite("try_read", &path), "ok");
        f.unlock(Unlocked).expect("unlock");
        assert_eq!(run_sqlite("try_immediate", &path), "ok");
    }
}
