//! The pager: page cache, read and write transactions, the freelist, and atomic commit through
//! SQLite's rollback journal.
//!
//! States (one function per transition):
//! ```text
//!            begin_read                    begin_write
//!   Idle ─────────────────► Reading ───────────────────► Writing
//!    ▲  ◄──── end_read ───────┘                            │
//!    └──────────── commit / rollback ──────────────────────┘
//!   Writing ──(I/O error while the files were being changed)──► Error ──rollback──► Idle
//! ```
//! Invariants:
//! 1. In `Reading` this handle holds at least a `Shared` lock; in `Writing` at least `Reserved`.
//! 2. A cached page that is not dirty equals the page in the file as of the last `begin_read`.
//! 3. In `Writing`, every dirty page numbered `<= orig_db_size` has its pre-transaction image
//!    in `originals` (what the journal will hold); pages above `orig_db_size` need none because
//!    rollback truncates the file back to `orig_db_size` pages.
//! 4. Nothing is written to the database file before the journal holding every original image is
//!    synced (commit step 2 before step 3); the journal's deletion is the commit point.
//! 5. After an uncertain I/O failure while the files were changing, the state is `Error` and every
//!    call fails with `IoSticky` until `rollback`, which drops the cache and leaves any journal to
//!    be played back as a hot journal.
//! 6. The page holding byte offset `PENDING_BYTE` is never used (SQLite's lock bytes live there).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::RngCore;
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::storage::format::{get_u32, put_u32, PageNo};
use crate::storage::header::{self, offset, DbHeader, HEADER_SIZE};
use crate::storage::io::{File, Io, LockLevel, OpenMode};
use crate::storage::journal;

/// Byte offset of SQLite's lock bytes; the page containing it is never used.
pub const PENDING_BYTE: u64 = 0x4000_0000;

/// The page that holds `PENDING_BYTE` for a given page size.
#[must_use]
pub fn pending_byte_page(page_size: u32) -> u32 {
    (PENDING_BYTE / u64::from(page_size)) as u32 + 1
}

/// Largest number of pages a database may have.
pub const MAX_PAGE_COUNT: u32 = 0xffff_fffe;

/// Pages read at once when misses are sequential.
const READ_AHEAD: u32 = 16;

/// Tuning and mode of a pager.
#[derive(Debug, Clone)]
pub struct PagerOptions {
    /// How long lock acquisition retries before `Busy`.
    pub busy_timeout: Duration,
    /// Clean pages kept in the cache (dirty pages are kept until commit regardless).
    pub cache_pages: usize,
    /// Refuse writes.
    pub read_only: bool,
    /// Page size of a database created by this pager.
    pub page_size: u32,
}

impl Default for PagerOptions {
    fn default() -> Self {
        PagerOptions {
            busy_timeout: Duration::from_secs(5),
            cache_pages: 2000,
            read_only: false,
            page_size: header::DEFAULT_PAGE_SIZE,
        }
    }
}

/// The pager's state machine (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagerState {
    /// No transaction, no lock.
    Idle,
    /// A read transaction: `Shared` lock.
    Reading,
    /// A write transaction: `Reserved` lock, changes in memory.
    Writing,
    /// An uncertain I/O failure; only `rollback` is allowed.
    Error,
}

#[derive(Debug)]
struct CachedPage {
    data: Box<[u8]>,
    dirty: bool,
    last_used: u64,
}

/// One connection's view of a database file.
#[derive(Debug)]
pub struct Pager {
    io: Arc<dyn Io>,
    file: Box<dyn File>,
    journal_path: String,
    opts: PagerOptions,
    state: PagerState,
    page_size: u32,
    usable_size: usize,
    db_size: u32,
    orig_db_size: u32,
    cache: FxHashMap<u32, CachedPage>,
    originals: FxHashMap<u32, Box<[u8]>>,
    dirty: usize,
    tick: u64,
    /// The page a sequential scan would miss next (see `load`'s read-ahead).
    seq_next: u32,
    /// Header bytes 24..40 as of the last transaction, to tell whether another connection
    /// changed the file (SQLite's rule for keeping the cache).
    validation: Option<[u8; 16]>,
    /// Open savepoints of the write transaction, innermost last.
    savepoints: Vec<Savepoint>,
    /// Bumped by everything that may change a page's content or the set of pages, so that a
    /// cursor can tell whether its path is still good.
    generation: u64,
}

/// What a savepoint needs to undo the changes made after it: each page's image (and dirty
/// flag) before its first change, and the page count.
#[derive(Debug, Default)]
struct Savepoint {
    db_size: u32,
    pages: FxHashMap<u32, (Box<[u8]>, bool)>,
}

impl Pager {
    /// Opens `path` through `io`, validating the header and recovering a hot journal.
    pub fn open(io: Arc<dyn Io>, path: &str, opts: PagerOptions) -> Result<Pager> {
        if !(512..=65536).contains(&opts.page_size) || !opts.page_size.is_power_of_two() {
            return Err(Error::Range(format!(
                "page size {} is not a power of two in 512..=65536",
                opts.page_size
            )));
        }
        let mode = if opts.read_only { OpenMode::ReadOnly } else { OpenMode::ReadWriteCreate };
        if io.exists(&format!("{path}-wal"))? {
            return Err(Error::Unsupported(format!(
                "{path}-wal exists: the database is in WAL mode, which embedlite does not read yet; \
                 checkpoint it and run `PRAGMA journal_mode=DELETE` with sqlite3 first"
            )));
        }
        let file = io.open(path, mode)?;
        let page_size = opts.page_size;
        let mut pager = Pager {
            io,
            file,
            journal_path: format!("{path}-journal"),
            opts,
            state: PagerState::Idle,
            page_size,
            usable_size: page_size as usize,
            db_size: 0,
            orig_db_size: 0,
            cache: FxHashMap::default(),
            originals: FxHashMap::default(),
            dirty: 0,
            tick: 0,
            seq_next: 0,
            validation: None,
            savepoints: Vec::new(),
            generation: 0,
        };
        pager.begin_read()?;
        pager.end_read()?;
        Ok(pager)
    }

    /// A number that changes whenever a page may have changed (a write, a rollback, a new
    /// transaction): a b-tree path recorded at one generation is valid while it lasts.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The state machine's current state.
    #[must_use]
    pub fn state(&self) -> PagerState {
        self.state
    }

    /// Page size in bytes.
    #[must_use]
    pub fn page_size(&self) -> usize {
        self.page_size as usize
    }

    /// Bytes of each page usable by b-trees (page size less the reserved bytes).
    #[must_use]
    pub fn usable_size(&self) -> usize {
        self.usable_size
    }

    /// Number of pages in the database as seen by the current transaction.
    #[must_use]
    pub fn db_size(&self) -> u32 {
        self.db_size
    }

    /// Sets the busy timeout.
    pub fn set_busy_timeout(&mut self, t: Duration) {
        self.opts.busy_timeout = t;
    }

    /// Sets how many clean pages the cache keeps.
    pub fn set_cache_pages(&mut self, n: usize) {
        self.opts.cache_pages = n.max(16);
    }

    fn lock_with_retry(&self, level: LockLevel) -> Result<()> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(1);
        loop {
            match self.file.lock(level) {
                Err(Error::Busy) => {
                    let waited = start.elapsed();
                    if waited >= self.opts.busy_timeout {
                        return Err(Error::Busy);
                    }
                    std::thread::sleep(delay.min(self.opts.busy_timeout.saturating_sub(waited)));
                    delay = (delay * 2).min(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    fn check_usable(&self) -> Result<()> {
        if self.state == PagerState::Error {
            Err(Error::IoSticky)
        } else {
            Ok(())
        }
    }

    /// Idle → Reading: takes a shared lock, recovers a hot journal, reads the header and drops
    /// the cache if another connection changed the file.
    pub fn begin_read(&mut self) -> Result<()> {
        self.generation += 1;
        self.check_usable()?;
        if self.state != PagerState::Idle {
            return Ok(());
        }
        self.lock_with_retry(LockLevel::Shared)?;
        match self.load_header_after_lock() {
            Ok(()) => {
                self.state = PagerState::Reading;
                Ok(())
            }
            Err(e) => {
                // Best effort: the lock is released whatever happened.
                let _ = self.file.unlock(LockLevel::None);
                Err(e)
            }
        }
    }

    fn load_header_after_lock(&mut self) -> Result<()> {
        if self.has_hot_journal()? {
            self.recover_hot_journal()?;
        }
        let file_size = self.file.size()?;
        if file_size == 0 {
            self.cache.clear();
            self.validation = None;
            self.page_size = self.opts.page_size;
            self.usable_size = self.page_size as usize;
            self.db_size = 0;
            return Ok(());
        }
        let mut buf = [0u8; HEADER_SIZE];
        if self.file.read_at(&mut buf, 0)? < HEADER_SIZE {
            return Err(Error::NotADatabase(format!("the file is only {file_size} bytes long")));
        }
        let hdr = DbHeader::parse(&buf)?;
        let mut v = [0u8; 16];
        v.copy_from_slice(&buf[24..40]);
        if Some(v) != self.validation || hdr.page_size != self.page_size {
            self.cache.clear();
        }
        self.validation = Some(v);
        self.page_size = hdr.page_size;
        self.usable_size = hdr.usable_size();
        let file_pages = file_size.div_ceil(u64::from(hdr.page_size));
        let file_pages = u32::try_from(file_pages)
            .map_err(|_| Error::corrupt_file(format!("file of {file_size} bytes is too large")))?;
        self.db_size = if hdr.size_is_valid() {
            if hdr.db_size > file_pages {
                return Err(Error::corrupt_file(format!(
                    "header says {} pages but the file holds {file_pages} (truncated file?)",
                    hdr.db_size
                )));
            }
            hdr.db_size
        } else {
            file_pages
        };
        if hdr.freelist_count >= self.db_size && hdr.freelist_count > 0 {
            return Err(Error::corrupt(
                PageNo::ONE,
                format!(
                    "freelist count {} is not less than the page count {}",
                    hdr.freelist_count, self.db_size
                ),
            ));
        }
        Ok(())
    }

    /// SQLite's test for a hot journal: it exists, nobody holds a reserved lock (no live writer),
    /// and its first byte is not zero.
    fn has_hot_journal(&self) -> Result<bool> {
        if !self.io.exists(&self.journal_path)? || self.file.check_reserved_lock()? {
            return Ok(false);
        }
        let journal = match self.io.open(&self.journal_path, OpenMode::ReadOnly) {
            Ok(j) => j,
            Err(Error::CantOpen { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        journal::looks_hot(journal.as_ref())
    }

    fn recover_hot_journal(&mut self) -> Result<()> {
        if self.opts.read_only {
            return Err(Error::ReadOnly);
        }
        self.lock_with_retry(LockLevel::Exclusive)?;
        // Another connection may have rolled it back while we waited.
        if self.io.exists(&self.journal_path)? {
            let journal = self.io.open(&self.journal_path, OpenMode::ReadWrite)?;
            journal::playback(journal.as_ref(), self.file.as_ref(), pending_byte_page)?;
            self.file.sync()?;
            drop(journal);
            self.io.delete(&self.journal_path)?;
        }
        self.cache.clear();
        self.validation = None;
        self.file.unlock(LockLevel::Shared)
    }

    /// Reading → Idle.
    pub fn end_read(&mut self) -> Result<()> {
        self.generation += 1;
        match self.state {
            PagerState::Reading => {
                self.state = PagerState::Idle;
                self.file.unlock(LockLevel::None)
            }
            PagerState::Idle => Ok(()),
            PagerState::Writing => Err(Error::Misuse("end_read inside a write transaction".into())),
            PagerState::Error => Err(Error::IoSticky),
        }
    }

    /// Idle or Reading → Writing: takes the reserved lock. From Idle it waits for other writers
    /// under the busy timeout; from Reading it fails at once with `Busy` if another connection
    /// is writing, since waiting while holding a shared lock could deadlock with that writer.
    pub fn begin_write(&mut self) -> Result<()> {
        self.generation += 1;
        self.check_usable()?;
        if self.opts.read_only {
            return Err(Error::ReadOnly);
        }
        match self.state {
            PagerState::Writing => return Ok(()),
            PagerState::Reading => self.file.lock(LockLevel::Reserved)?,
            PagerState::Idle => {
                let start = Instant::now();
                loop {
                    self.begin_read()?;
                    match self.file.lock(LockLevel::Reserved) {
                        Ok(()) => break,
                        Err(Error::Busy) => {
                            self.end_read()?;
                            if start.elapsed() >= self.opts.busy_timeout {
                                return Err(Error::Busy);
                            }
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        Err(e) => {
                            let _ = self.end_read();
                            return Err(e);
                        }
                    }
                }
            }
            PagerState::Error => return Err(Error::IoSticky),
        }
        self.state = PagerState::Writing;
        self.orig_db_size = self.db_size;
        if self.db_size == 0 {
            self.init_new_database();
        } else {
            let largest_root = get_u32(self.get(PageNo::ONE)?, offset::LARGEST_ROOT);
            if largest_root != 0 {
                self.rollback()?;
                return Err(Error::Unsupported(
                    "the database uses auto-vacuum; embedlite can read it but not write it yet"
                        .into(),
                ));
            }
        }
        Ok(())
    }

    /// Page 1 of a new database: the header and an empty table-leaf root for `sqlite_schema`.
    fn init_new_database(&mut self) {
        let mut page = vec![0u8; self.page_size as usize].into_boxed_slice();
        let hdr = DbHeader::new(self.page_size);
        hdr.write(&mut page);
        self.usable_size = hdr.usable_size();
        // An empty table-leaf page header at offset 100.
        page[HEADER_SIZE] = 13;
        let content_start = self.usable_size as u32;
        let cs = if content_start == 65536 { 0 } else { content_start as u16 };
        page[HEADER_SIZE + 5..HEADER_SIZE + 7].copy_from_slice(&cs.to_be_bytes());
        self.db_size = 1;
        self.insert_page(1, page, true);
    }

    fn insert_page(&mut self, pgno: u32, data: Box<[u8]>, dirty: bool) {
        self.tick += 1;
        if dirty {
            self.generation += 1;
            self.dirty += 1;
        }
        if let Some(old) = self.cache.insert(pgno, CachedPage { data, dirty, last_used: self.tick })
        {
            if old.dirty {
                self.dirty -= 1;
            }
        }
    }

    /// Evicts least-recently used clean pages when the cache is well over its bound.
    fn maybe_evict(&mut self) {
        let limit = self.opts.cache_pages + self.dirty;
        if self.cache.len() <= limit + limit / 8 + 8 {
            return;
        }
        let mut clean: Vec<(u64, u32)> =
            self.cache.iter().filter(|(_, p)| !p.dirty).map(|(&n, p)| (p.last_used, n)).collect();
        // Down to 7/8 of the bound, so that rounds (linear in the cache size) are rare.
        let excess = self.cache.len().saturating_sub(limit - limit / 8).min(clean.len());
        if excess == 0 {
            return;
        }
        clean.select_nth_unstable(excess - 1);
        for &(_, n) in &clean[..excess] {
            self.cache.remove(&n);
        }
    }

    fn check_pgno(&self, pgno: PageNo) -> Result<()> {
        if pgno.0 == 0 || pgno.0 > self.db_size {
            return Err(Error::corrupt(
                pgno,
                format!("page number out of range (database has {} pages)", self.db_size),
            ));
        }
        Ok(())
    }

    /// Pages can be read: a transaction is open and no I/O error stopped it.
    fn check_readable(&self) -> Result<()> {
        match self.state {
            PagerState::Reading | PagerState::Writing => Ok(()),
            PagerState::Idle => Err(Error::Misuse("page read outside a transaction".into())),
            PagerState::Error => Err(Error::IoSticky),
        }
    }

    fn load(&mut self, pgno: PageNo) -> Result<()> {
        self.check_readable()?;
        self.check_pgno(pgno)?;
        if let Some(p) = self.cache.get_mut(&pgno.0) {
            self.tick += 1;
            p.last_used = self.tick;
            return Ok(());
        }
        self.maybe_evict();
        // Sequential misses (a scan over pages written in order) read ahead: one read of up
        // to READ_AHEAD pages instead of one system call per page. A miss elsewhere reads one.
        let mut run = 1u32;
        if pgno.0 == self.seq_next {
            while run < READ_AHEAD
                && pgno.0 + run <= self.db_size
                && !self.cache.contains_key(&(pgno.0 + run))
            {
                run += 1;
            }
        }
        let size = self.page_size as usize;
        if run == 1 {
            let mut data = vec![0u8; size].into_boxed_slice();
            // A short read (the file ends inside the page) leaves zeros, as SQLite does.
            self.file.read_at(&mut data, pgno.offset(size))?;
            self.insert_page(pgno.0, data, false);
        } else {
            let mut buf = vec![0u8; size * run as usize];
            self.file.read_at(&mut buf, pgno.offset(size))?;
            for (i, chunk) in buf.chunks_exact(size).enumerate() {
                self.insert_page(pgno.0 + i as u32, chunk.into(), false);
            }
        }
        self.seq_next = pgno.0 + run;
        Ok(())
    }

    /// Copies pages `pgnos` into `out` (its old bytes are overwritten), one after another: from
    /// the cache where a page is there (so that the write transaction's changes are seen) or
    /// while the cache has room, else straight from the file without caching it, one read for
    /// each run of consecutive pages. A scan of a table bigger than the cache then copies each
    /// page once and leaves the cache as it was.
    pub fn copy_pages(&mut self, pgnos: &[PageNo], out: &mut Vec<u8>) -> Result<()> {
        self.check_readable()?;
        let size = self.page_size as usize;
        out.resize(size * pgnos.len(), 0);
        let mut i = 0;
        while i < pgnos.len() {
            let pg = pgnos[i];
            if self.cache.contains_key(&pg.0) || self.cache.len() < self.opts.cache_pages {
                out[i * size..(i + 1) * size].copy_from_slice(self.get(pg)?);
                i += 1;
                continue;
            }
            self.check_pgno(pg)?;
            let mut run = 1;
            while i + run < pgnos.len()
                && pgnos[i + run].0 == pg.0 + run as u32
                && pgnos[i + run].0 <= self.db_size
                && !self.cache.contains_key(&pgnos[i + run].0)
            {
                run += 1;
            }
            let dst = &mut out[i * size..(i + run) * size];
            let got = self.file.read_at(dst, pg.offset(size))?;
            // Zeros where the file ends inside a page (a short read), as `load` leaves them.
            let end = dst.len();
            dst[got.min(end)..].fill(0);
            i += run;
        }
        Ok(())
    }

    /// Pages `pgnos` as they are in the cache, or `None` if one of them is not there (nothing
    /// is read).
    #[must_use]
    pub fn cached_pages(&self, pgnos: &[PageNo]) -> Option<Vec<(PageNo, &[u8])>> {
        self.check_readable().ok()?;
        pgnos.iter().map(|&pg| Some((pg, &*self.cache.get(&pg.0)?.data))).collect()
    }

    /// A page that [`Pager::get`] has just returned, looked up again without the checks and
    /// bookkeeping of a read (for a caller that must end its first borrow before it decides
    /// whether to keep the page borrowed). An error if the page is not in the cache.
    pub fn get_again(&self, pgno: PageNo) -> Result<&[u8]> {
        match self.cache.get(&pgno.0) {
            Some(p) => Ok(&p.data),
            None => Err(Error::Misuse(format!("page {} is not in the cache", pgno.0))),
        }
    }

    /// Reads a page.
    pub fn get(&mut self, pgno: PageNo) -> Result<&[u8]> {
        self.load(pgno)?;
        Ok(&self.cache.get(&pgno.0).expect("page was just loaded").data)
    }

    /// Makes a page writable in the current write transaction, journaling its original image.
    pub fn get_mut(&mut self, pgno: PageNo) -> Result<&mut [u8]> {
        if self.state != PagerState::Writing {
            return Err(self.not_writing());
        }
        self.generation += 1;
        self.load(pgno)?;
        let p = self.cache.get_mut(&pgno.0).expect("page was just loaded");
        if let Some(sp) = self.savepoints.last_mut() {
            if pgno.0 <= sp.db_size && !sp.pages.contains_key(&pgno.0) {
                sp.pages.insert(pgno.0, (p.data.clone(), p.dirty));
            }
        }
        if !p.dirty {
            if pgno.0 <= self.orig_db_size && !self.originals.contains_key(&pgno.0) {
                self.originals.insert(pgno.0, p.data.clone());
            }
            p.dirty = true;
            self.dirty += 1;
        }
        Ok(&mut p.data)
    }

    /// Opens a savepoint in the write transaction and returns its depth (0 for the outermost).
    pub fn savepoint(&mut self) -> Result<usize> {
        if self.state != PagerState::Writing {
            return Err(self.not_writing());
        }
        self.savepoints.push(Savepoint { db_size: self.db_size, pages: FxHashMap::default() });
        Ok(self.savepoints.len() - 1)
    }

    /// Number of open savepoints.
    #[must_use]
    pub fn savepoint_depth(&self) -> usize {
        self.savepoints.len()
    }

    /// Releases savepoint `depth` and those inside it, keeping their changes.
    pub fn release_savepoint(&mut self, depth: usize) {
        while self.savepoints.len() > depth {
            let sp = self.savepoints.pop().expect("len checked");
            if let Some(parent) = self.savepoints.last_mut() {
                for (pg, img) in sp.pages {
                    if pg <= parent.db_size {
                        parent.pages.entry(pg).or_insert(img);
                    }
                }
            }
        }
    }

    /// Undoes every change made since savepoint `depth` was opened; the savepoint stays open.
    pub fn rollback_to_savepoint(&mut self, depth: usize) -> Result<()> {
        self.generation += 1;
        if self.state != PagerState::Writing {
            return Err(self.not_writing());
        }
        while self.savepoints.len() > depth {
            let sp = self.savepoints.pop().expect("len checked");
            for (pg, (data, was_dirty)) in sp.pages {
                if let Some(p) = self.cache.get_mut(&pg) {
                    if p.dirty && !was_dirty {
                        self.dirty -= 1;
                    } else if !p.dirty && was_dirty {
                        self.dirty += 1;
                    }
                    p.data = data;
                    p.dirty = was_dirty;
                } else {
                    self.insert_page(pg, data, was_dirty);
                }
            }
            let size = sp.db_size;
            let mut removed_dirty = 0;
            self.cache.retain(|&n, p| {
                let keep = n <= size;
                if !keep && p.dirty {
                    removed_dirty += 1;
                }
                keep
            });
            self.dirty -= removed_dirty;
            self.db_size = size;
            if self.savepoints.len() == depth {
                self.savepoints.push(Savepoint { db_size: size, pages: FxHashMap::default() });
                break;
            }
        }
        Ok(())
    }

    fn not_writing(&self) -> Error {
        match self.state {
            PagerState::Error => Error::IoSticky,
            _ => Error::Misuse("write outside a write transaction".into()),
        }
    }

    /// Reads a 4-byte header field from page 1.
    pub fn header_u32(&mut self, off: usize) -> Result<u32> {
        Ok(get_u32(self.get(PageNo::ONE)?, off))
    }

    /// Writes a 4-byte header field of page 1.
    pub fn set_header_u32(&mut self, off: usize, v: u32) -> Result<()> {
        put_u32(self.get_mut(PageNo::ONE)?, off, v);
        Ok(())
    }

    /// The decoded header as the current transaction sees it.
    pub fn header(&mut self) -> Result<DbHeader> {
        DbHeader::parse(&self.get(PageNo::ONE)?[..HEADER_SIZE])
    }

    /// Largest number of leaf entries we put on one freelist trunk page. SQLite reads up to
    /// `usable/4 - 2` but writes at most `usable/4 - 8` for compatibility with old versions.
    fn trunk_capacity_write(&self) -> u32 {
        (self.usable_size / 4 - 8) as u32
    }

    fn trunk_capacity_read(&self) -> u32 {
        (self.usable_size / 4 - 2) as u32
    }

    /// Allocates a page: from the freelist if it has one, else by growing the file. The page is
    /// returned zeroed and writable.
    pub fn allocate(&mut self) -> Result<PageNo> {
        self.generation += 1;
        if self.state != PagerState::Writing {
            return Err(self.not_writing());
        }
        let count = self.header_u32(offset::FREELIST_COUNT)?;
        if count > 0 {
            let trunk = PageNo(self.header_u32(offset::FREELIST_TRUNK)?);
            if trunk.0 == 0 {
                return Err(Error::corrupt(
                    PageNo::ONE,
                    "freelist count is non-zero but there is no trunk",
                ));
            }
            self.check_pgno(trunk)?;
            let cap = self.trunk_capacity_read();
            let page = self.get(trunk)?;
            let next = get_u32(page, 0);
            let n = get_u32(page, 4);
            if n > cap {
                return Err(Error::corrupt(trunk, format!("freelist trunk claims {n} leaves")));
            }
            let taken = if n > 0 {
                let leaf = PageNo(get_u32(page, 8 + 4 * (n as usize - 1)));
                self.check_pgno(leaf)?;
                if leaf == trunk || leaf.0 == 1 {
                    return Err(Error::corrupt(trunk, format!("freelist leaf {leaf} is not free")));
                }
                put_u32(self.get_mut(trunk)?, 4, n - 1);
                leaf
            } else {
                if next != 0 {
                    self.check_pgno(PageNo(next))?;
                }
                self.set_header_u32(offset::FREELIST_TRUNK, next)?;
                trunk
            };
            self.set_header_u32(offset::FREELIST_COUNT, count - 1)?;
            self.get_mut(taken)?.fill(0);
            return Ok(taken);
        }
        let mut n = self.db_size + 1;
        if n == pending_byte_page(self.page_size) {
            n += 1;
        }
        if n > MAX_PAGE_COUNT {
            return Err(Error::Full);
        }
        self.db_size = n;
        if n == pending_byte_page(self.page_size) + 1 {
            // The lock-byte page counts toward the size but is never written with content.
            let blank = vec![0u8; self.page_size as usize].into_boxed_slice();
            self.insert_page(n - 1, blank, true);
        }
        self.maybe_evict();
        let data = vec![0u8; self.page_size as usize].into_boxed_slice();
        self.insert_page(n, data, true);
        Ok(PageNo(n))
    }

    /// Returns a page to the freelist.
    pub fn free(&mut self, pgno: PageNo) -> Result<()> {
        self.generation += 1;
        if self.state != PagerState::Writing {
            return Err(self.not_writing());
        }
        self.check_pgno(pgno)?;
        if pgno.0 == 1 {
            return Err(Error::corrupt(pgno, "attempt to free page 1"));
        }
        let count = self.header_u32(offset::FREELIST_COUNT)?;
        let trunk = PageNo(self.header_u32(offset::FREELIST_TRUNK)?);
        if trunk.0 != 0 {
            self.check_pgno(trunk)?;
            let n = get_u32(self.get(trunk)?, 4);
            if n < self.trunk_capacity_write() {
                let page = self.get_mut(trunk)?;
                put_u32(page, 8 + 4 * n as usize, pgno.0);
                put_u32(page, 4, n + 1);
                self.set_header_u32(offset::FREELIST_COUNT, count + 1)?;
                return Ok(());
            }
        }
        let page = self.get_mut(pgno)?;
        page.fill(0);
        put_u32(page, 0, trunk.0);
        self.set_header_u32(offset::FREELIST_TRUNK, pgno.0)?;
        self.set_header_u32(offset::FREELIST_COUNT, count + 1)?;
        Ok(())
    }

    /// Every page on the freelist, walking trunks with a bound so that a cycle is `Corrupt`.
    pub fn freelist_pages(&mut self) -> Result<Vec<PageNo>> {
        let count = self.header_u32(offset::FREELIST_COUNT)?;
        let mut trunk = self.header_u32(offset::FREELIST_TRUNK)?;
        let cap = self.trunk_capacity_read();
        let mut out = Vec::new();
        while trunk != 0 {
            if out.len() as u32 >= count {
                return Err(Error::corrupt(
                    PageNo(trunk),
                    "freelist is longer than its count (cycle?)",
                ));
            }
            let t = PageNo(trunk);
            self.check_pgno(t)?;
            out.push(t);
            let page = self.get(t)?;
            let n = get_u32(page, 4);
            if n > cap {
                return Err(Error::corrupt(t, format!("freelist trunk claims {n} leaves")));
            }
            let next = get_u32(page, 0);
            let leaves: Vec<u32> = (0..n as usize).map(|i| get_u32(page, 8 + 4 * i)).collect();
            for leaf in leaves {
                self.check_pgno(PageNo(leaf))?;
                out.push(PageNo(leaf));
            }
            trunk = next;
        }
        if out.len() as u32 != count {
            return Err(Error::corrupt(
                PageNo::ONE,
                format!("freelist holds {} pages but the header says {count}", out.len()),
            ));
        }
        Ok(out)
    }

    /// Replaces the whole database with the `n` pages `page(1)..=page(n)` returns (`VACUUM`),
    /// inside the open write transaction: the commit then writes them and truncates the file
    /// to `n` pages. Every page of the old image is journaled first, those past the new end
    /// included, so that a rollback or the playback of a hot journal after a crash restores the
    /// old file whole. Every image must be one page long; no savepoint may be open.
    pub fn replace_image(
        &mut self,
        n: u32,
        mut page: impl FnMut(PageNo) -> Result<Vec<u8>>,
    ) -> Result<()> {
        self.generation += 1;
        if self.state != PagerState::Writing {
            return Err(self.not_writing());
        }
        if !self.savepoints.is_empty() {
            return Err(Error::Misuse(
                "cannot replace the database image under a savepoint".into(),
            ));
        }
        if n == 0 || n > MAX_PAGE_COUNT {
            return Err(Error::Range(format!("cannot replace the database with {n} pages")));
        }
        let pending = pending_byte_page(self.page_size);
        for pg in n + 1..=self.db_size.min(self.orig_db_size) {
            if pg != pending {
                self.get_mut(PageNo(pg))?;
            }
        }
        for pg in 1..=n {
            let data = page(PageNo(pg))?;
            if data.len() != self.page_size as usize {
                return Err(Error::Misuse(format!(
                    "page image of {} bytes for a page size of {}",
                    data.len(),
                    self.page_size
                )));
            }
            if pg > self.db_size {
                self.db_size = pg;
                self.insert_page(pg, data.into_boxed_slice(), true);
            } else {
                self.get_mut(PageNo(pg))?.copy_from_slice(&data);
            }
        }
        let mut removed_dirty = 0;
        self.cache.retain(|&pg, p| {
            let keep = pg <= n;
            if !keep && p.dirty {
                removed_dirty += 1;
            }
            keep
        });
        self.dirty -= removed_dirty;
        self.db_size = n;
        Ok(())
    }

    /// Whether the open write transaction has changed any page.
    #[must_use]
    pub fn has_changes(&self) -> bool {
        self.dirty > 0
    }

    /// Writing → Idle: makes the transaction durable (see invariant 4).
    pub fn commit(&mut self) -> Result<()> {
        self.generation += 1;
        match self.state {
            PagerState::Writing => {}
            PagerState::Reading => return self.end_read(),
            PagerState::Idle => return Ok(()),
            PagerState::Error => return Err(Error::IoSticky),
        }
        if self.dirty == 0 {
            self.state = PagerState::Idle;
            return self.file.unlock(LockLevel::None);
        }
        // Step 1: the header's change counter and page count.
        let counter = self.header_u32(offset::CHANGE_COUNTER)?.wrapping_add(1);
        let db_size = self.db_size;
        {
            let p1 = self.get_mut(PageNo::ONE)?;
            put_u32(p1, offset::CHANGE_COUNTER, counter);
            put_u32(p1, offset::DB_SIZE, db_size);
            put_u32(p1, offset::VERSION_VALID_FOR, counter);
            put_u32(p1, offset::WRITER_VERSION, header::WRITER_VERSION);
        }
        // Waiting for readers to leave happens before anything is written, so that `Busy` here
        // leaves the transaction intact for a retry or a rollback.
        self.lock_with_retry(LockLevel::Exclusive)?;
        match self.write_and_sync() {
            Ok(()) => {}
            Err(e) => {
                self.state = PagerState::Error;
                return Err(e);
            }
        }
        // Committed: the journal is gone.
        for p in self.cache.values_mut() {
            p.dirty = false;
        }
        self.dirty = 0;
        self.originals.clear();
        self.savepoints.clear();
        let p1 = &self.cache.get(&1).expect("page 1 is cached after a commit").data;
        let mut v = [0u8; 16];
        v.copy_from_slice(&p1[24..40]);
        self.validation = Some(v);
        self.state = PagerState::Idle;
        self.file.unlock(LockLevel::None)
    }

    /// Commit steps 2–4: journal, database pages, journal deletion.
    fn write_and_sync(&mut self) -> Result<()> {
        let page_size = self.page_size;
        // Step 2: the journal, synced before its record count is written, then synced again.
        let journal = self.io.open(&self.journal_path, OpenMode::ReadWriteCreate)?;
        journal.truncate(0)?;
        let nonce = rand::thread_rng().next_u32();
        let mut pages: Vec<u32> = self.originals.keys().copied().collect();
        pages.sort_unstable();
        let mut buf = journal::encode_header(0, nonce, self.orig_db_size, page_size);
        let mut off = 0u64;
        for pgno in &pages {
            journal::encode_record(&mut buf, *pgno, &self.originals[pgno], nonce);
            if buf.len() >= 1 << 20 {
                journal.write_at(&buf, off)?;
                off += buf.len() as u64;
                buf.clear();
            }
        }
        journal.write_at(&buf, off)?;
        journal.sync()?;
        journal.write_at(&(pages.len() as u32).to_be_bytes(), journal::NREC_OFFSET)?;
        journal.sync()?;
        drop(journal);
        // Step 3: the database pages, in order, coalescing runs of adjacent pages.
        let mut dirty: Vec<u32> =
            self.cache.iter().filter(|(_, p)| p.dirty).map(|(&n, _)| n).collect();
        dirty.sort_unstable();
        let mut run: Vec<u8> = Vec::new();
        let mut run_start = 0u32;
        let mut run_next = 0u32;
        for n in dirty {
            if n > self.db_size {
                continue;
            }
            if !run.is_empty() && (n != run_next || run.len() >= 1 << 20) {
                self.file.write_at(&run, PageNo(run_start).offset(page_size as usize))?;
                run.clear();
            }
            if run.is_empty() {
                run_start = n;
            }
            run.extend_from_slice(&self.cache[&n].data);
            run_next = n + 1;
        }
        if !run.is_empty() {
            self.file.write_at(&run, PageNo(run_start).offset(page_size as usize))?;
        }
        let want = u64::from(self.db_size) * u64::from(page_size);
        if self.file.size()? > want {
            self.file.truncate(want)?;
        }
        self.file.sync()?;
        // Step 4: the commit point.
        self.io.delete(&self.journal_path)
    }

    /// Writing (or Error) → Idle: discards the transaction's changes.
    pub fn rollback(&mut self) -> Result<()> {
        self.generation += 1;
        match self.state {
            PagerState::Idle => Ok(()),
            PagerState::Reading => self.end_read(),
            PagerState::Writing => {
                self.cache.retain(|_, p| !p.dirty);
                self.dirty = 0;
                self.originals.clear();
                self.savepoints.clear();
                self.db_size = self.orig_db_size;
                self.state = PagerState::Idle;
                self.file.unlock(LockLevel::None)
            }
            PagerState::Error => {
                // The files may hold half a commit; the journal (if any) is now hot and the next
                // `begin_read` of any connection plays it back.
                self.cache.clear();
                self.dirty = 0;
                self.originals.clear();
                self.savepoints.clear();
                self.validation = None;
                self.state = PagerState::Idle;
                let _ = self.file.unlock(LockLevel::None);
                Ok(())
            }
        }
    }

    /// Checks the pager's invariants (tests and debug builds).
    pub fn check_invariants(&self) {
        let dirty = self.cache.values().filter(|p| p.dirty).count();
        assert_eq!(dirty, self.dirty, "dirty page count out of sync");
        match self.state {
            PagerState::Writing => {
                for (&n, p) in &self.cache {
                    if p.dirty && n <= self.orig_db_size && n != pending_byte_page(self.page_size) {
                        assert!(self.originals.contains_key(&n), "dirty page {n} not journaled");
                    }
                }
                assert!(self.file.lock_level() >= LockLevel::Reserved);
            }
            PagerState::Reading => assert!(self.file.lock_level() >= LockLevel::Shared),
            PagerState::Idle | PagerState::Error => assert_eq!(self.dirty, 0),
        }
    }
}

impl Drop for Pager {
    fn drop(&mut self) {
        if self.state == PagerState::Writing {
            // Dropping a connection mid-transaction rolls it back, as closing SQLite does.
            let _ = self.rollback();
        }
    }
}
