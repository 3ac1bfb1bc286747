//! `SimIo`: a seeded, deterministic simulated disk for crash and fault testing.
//!
//! Modelled on `SQLite`'s `test6.c`. Every file keeps two images:
//!
//! ```text
//!  durable  ── what the platter holds; survives a power cut
//!  pending  ── writes and truncates since the file's last sync, in order
//!  current  ── durable + pending applied: what reads and `size` see
//! ```
//!
//! `sync` makes a file's pending operations durable. A power cut decides the fate of every
//! pending operation of every file with the seeded RNG, independently: kept whole, lost, or — for
//! writes — torn: each 512-byte sector of the write (aligned on file offsets) is kept, lost, or
//! overwritten with garbage. The result becomes the durable image and the new current image.
//! Creating and deleting files is durable at once (directory metadata is not simulated).
//!
//! A power cut also kills every open handle: from then on each of its calls returns `Error::Io`,
//! its lock level is `None`, and every lock is released. [`SimIo::power_cut`] reboots at once,
//! so `open` works again and sees the durable state. An automatic cut armed with
//! [`SimIo::crash_after_ops`] happens in the middle of a workload that keeps running, so the
//! machine stays *down* — `open`, `exists` and `delete` fail too, as they would for a process
//! that died with the power — until the test calls [`SimIo::reboot`] (or `power_cut`).
//!
//! Determinism: the same seed and the same sequence of calls give the same bytes. Operations are
//! counted across all files and handles, so a workload must issue them in a deterministic order
//! (one thread) for a cut point to be reproducible.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::error::{Error, Result};
use crate::storage::io::lock_table::{LockHandle, LockTable};
use crate::storage::io::mem::{end_index, read_from, write_into};
use crate::storage::io::{File, Io, LockLevel, OpenMode};

/// Settings of a [`SimIo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// Seed of the RNG that decides the fate of unsynced operations at a power cut. A failing
    /// test should print it.
    pub seed: u64,
    /// The unit in which a torn write is kept, lost or trashed; 512 by default.
    pub sector_size: usize,
}

impl SimConfig {
    /// The default configuration with `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self { seed, sector_size: 512 }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self::new(0)
    }
}

/// A simulated disk. Clones share the same disk, counters and armed faults.
///
/// ```
/// use embedlite::storage::io::{Io, OpenMode, SimConfig, SimIo};
///
/// let sim = SimIo::new(SimConfig::new(7));
/// let f = sim.open("db", OpenMode::ReadWriteCreate)?;
/// f.write_at(b"durable", 0)?;
/// f.sync()?;
/// f.write_at(b"maybe", 7)?;
/// sim.power_cut();
/// assert!(f.size().is_err(), "handles die with the power");
/// let bytes = sim.file_bytes("db").expect("file exists");
/// assert_eq!(&bytes[..7], b"durable");
/// # Ok::<(), embedlite::Error>(())
/// ```
#[derive(Clone)]
pub struct SimIo {
    state: Arc<Mutex<SimState>>,
}

impl fmt::Debug for SimIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock_state(&self.state);
        f.debug_struct("SimIo")
            .field("config", &st.config)
            .field("epoch", &st.epoch)
            .field("down", &st.down)
            .field("files", &st.paths.keys().collect::<Vec<_>>())
            .field("ops_done", &st.ops_done)
            .finish_non_exhaustive()
    }
}

/// An operation not yet made durable.
#[derive(Debug)]
enum PendingOp {
    Write { offset: u64, data: Vec<u8> },
    Truncate { size: u64 },
}

/// One simulated file (an inode: a path deleted and created again names a new one).
#[derive(Debug)]
struct SimInode {
    durable: Vec<u8>,
    /// Invariant: `durable` with every op of `pending` applied in order.
    current: Vec<u8>,
    pending: Vec<PendingOp>,
    locks: Arc<LockTable>,
    /// Live (current-epoch) handles open on this inode.
    handles: usize,
    /// Whether a path names this inode; an unlinked inode lives on while handles are open.
    linked: bool,
}

impl SimInode {
    fn new(bytes: Vec<u8>) -> Self {
        Self {
            durable: bytes.clone(),
            current: bytes,
            pending: Vec::new(),
            locks: LockTable::new(),
            handles: 0,
            linked: true,
        }
    }
}

#[derive(Debug)]
struct SimState {
    config: SimConfig,
    rng: SmallRng,
    /// Incremented by every power cut; handles of an older epoch are dead.
    epoch: u64,
    /// Set by an automatic power cut; every call fails until `reboot`.
    down: bool,
    next_inode: u64,
    /// Ordered maps keep power cuts deterministic (they walk files in inode order).
    paths: BTreeMap<String, u64>,
    inodes: BTreeMap<u64, SimInode>,
    /// Writes, syncs, truncates and deletes started (the one a cut interrupts is not counted).
    ops_done: u64,
    /// Cut the power instead of starting op number `crash_at`.
    crash_at: Option<u64>,
    writes_done: u64,
    fail_write_at: Option<u64>,
    syncs_done: u64,
    fail_sync_at: Option<u64>,
}

fn lock_state(state: &Mutex<SimState>) -> MutexGuard<'_, SimState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An I/O error the simulator reports, with what it was doing.
fn sim_error(op: &'static str, why: &'static str) -> Error {
    Error::io(op, std::io::Error::other(why))
}

/// Applies the part of a write that survives a torn write: each sector is kept, lost, or filled
/// with garbage.
fn tear(rng: &mut SmallRng, bytes: &mut Vec<u8>, data: &[u8], offset: u64, sector: usize) {
    let mut pos = 0;
    while pos < data.len() {
        let at = offset + pos as u64;
        let to_boundary = sector - (at % sector as u64) as usize;
        let n = to_boundary.min(data.len() - pos);
        match rng.gen_range(0..4u8) {
            0 | 1 => write_into(bytes, &data[pos..pos + n], at),
            2 => Ok(()),
            _ => {
                let garbage: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
                write_into(bytes, &garbage, at)
            }
        }
        .expect("the range was checked when the write was accepted");
        pos += n;
    }
}

fn apply(bytes: &mut Vec<u8>, op: &PendingOp) {
    match op {
        PendingOp::Write { offset, data } => {
            write_into(bytes, data, *offset).expect("the range was checked when accepted");
        }
        PendingOp::Truncate { size } => {
            let (_, size) = end_index(*size, 0).expect("the size was checked when accepted");
            bytes.resize(size, 0);
        }
    }
}

impl SimState {
    fn new(config: SimConfig) -> Self {
        Self {
            config,
            rng: SmallRng::seed_from_u64(config.seed),
            epoch: 0,
            down: false,
            next_inode: 1,
            paths: BTreeMap::new(),
            inodes: BTreeMap::new(),
            ops_done: 0,
            crash_at: None,
            writes_done: 0,
            fail_write_at: None,
            syncs_done: 0,
            fail_sync_at: None,
        }
    }

    /// Fails if the machine is down or (with `epoch`) the calling handle died in a power cut.
    fn check_alive(&self, epoch: Option<u64>, op: &'static str) -> Result<()> {
        if self.down {
            return Err(sim_error(op, "simulated machine is down after a power cut"));
        }
        if epoch.is_some_and(|e| e != self.epoch) {
            return Err(sim_error(op, "file handle died in a simulated power cut"));
        }
        Ok(())
    }

    /// Starts a counted operation, cutting the power instead if one is armed for it.
    fn begin_op(&mut self, epoch: Option<u64>, op: &'static str) -> Result<()> {
        self.check_alive(epoch, op)?;
        if self.crash_at.is_some_and(|at| self.ops_done + 1 >= at) {
            self.crash_at = None;
            self.cut_power();
            self.down = true;
            return Err(sim_error(op, "simulated power cut"));
        }
        self.ops_done += 1;
        Ok(())
    }

    fn inode_mut(&mut self, id: u64, op: &'static str) -> Result<&mut SimInode> {
        self.inodes.get_mut(&id).ok_or_else(|| sim_error(op, "simulated file vanished"))
    }

    /// Decides the fate of every pending operation, makes the result durable, kills every
    /// handle and releases every lock.
    fn cut_power(&mut self) {
        let sector = self.config.sector_size.max(1);
        let rng = &mut self.rng;
        for inode in self.inodes.values_mut() {
            for op in std::mem::take(&mut inode.pending) {
                match &op {
                    PendingOp::Write { offset, data } => match rng.gen_range(0..3u8) {
                        0 => apply(&mut inode.durable, &op),
                        1 => {}
                        _ => tear(rng, &mut inode.durable, data, *offset, sector),
                    },
                    PendingOp::Truncate { .. } => {
                        if rng.gen_bool(0.5) {
                            apply(&mut inode.durable, &op);
                        }
                    }
                }
            }
            inode.current.clone_from(&inode.durable);
            inode.locks.clear();
            inode.handles = 0;
        }
        // Unlinked files were kept only for their open handles, which are dead now.
        self.inodes.retain(|_, inode| inode.linked);
        self.epoch += 1;
    }

    fn unlink(&mut self, path: &str) {
        if let Some(id) = self.paths.remove(path) {
            if let Some(inode) = self.inodes.get_mut(&id) {
                inode.linked = false;
                if inode.handles == 0 {
                    self.inodes.remove(&id);
                }
            }
        }
    }

    fn inode_at(&self, path: &str) -> Option<&SimInode> {
        self.paths.get(path).and_then(|id| self.inodes.get(id))
    }
}

impl SimIo {
    /// An empty simulated disk.
    #[must_use]
    pub fn new(config: SimConfig) -> Self {
        Self { state: Arc::new(Mutex::new(SimState::new(config))) }
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        lock_state(&self.state)
    }

    /// The configuration this disk was made with.
    #[must_use]
    pub fn config(&self) -> SimConfig {
        self.state().config
    }

    /// Cuts the power now and reboots: every unsynced operation is kept, lost or torn as the
    /// seeded RNG decides, every open handle dies and every lock is released. New `open`s see the
    /// durable state. Armed faults stay armed.
    pub fn power_cut(&self) {
        let mut st = self.state();
        st.cut_power();
        st.down = false;
    }

    /// Brings the machine back up after an automatic power cut and disarms every armed fault
    /// (`crash_after_ops`, `fail_write_at`, `fail_sync_at`). A no-op for the disk's contents.
    pub fn reboot(&self) {
        let mut st = self.state();
        st.down = false;
        st.crash_at = None;
        st.fail_write_at = None;
        st.fail_sync_at = None;
    }

    /// Whether an automatic power cut happened and `reboot` has not been called since.
    #[must_use]
    pub fn is_down(&self) -> bool {
        self.state().down
    }

    /// Arms a power cut right before the `n`-th write, sync, truncate or delete from now
    /// (counted across all files): that operation fails with `Error::Io`, as does everything
    /// after it until [`reboot`](Self::reboot). `n = 1` cuts before the very next operation;
    /// `n = 0` disarms.
    pub fn crash_after_ops(&self, n: u64) {
        let mut st = self.state();
        st.crash_at = (n > 0).then(|| st.ops_done + n);
    }

    /// The number of writes, syncs, truncates and deletes started so far. Run a workload once to
    /// count its operations, then pick a cut point for [`crash_after_ops`](Self::crash_after_ops).
    #[must_use]
    pub fn ops_done(&self) -> u64 {
        self.state().ops_done
    }

    /// Makes the `n`-th write from now (across all files) fail with `Error::Io` without writing
    /// anything; the machine keeps running. `n = 0` disarms.
    pub fn fail_write_at(&self, n: u64) {
        let mut st = self.state();
        st.fail_write_at = (n > 0).then(|| st.writes_done + n);
    }

    /// Makes the `n`-th sync from now (across all files) fail with `Error::Io`; the file's
    /// pending operations stay pending. `n = 0` disarms.
    pub fn fail_sync_at(&self, n: u64) {
        let mut st = self.state();
        st.fail_sync_at = (n > 0).then(|| st.syncs_done + n);
    }

    /// The bytes a read of `path` would see now (synced or not), or `None` if there is no file.
    #[must_use]
    pub fn file_bytes(&self, path: &str) -> Option<Vec<u8>> {
        self.state().inode_at(path).map(|inode| inode.current.clone())
    }

    /// The bytes of `path` that would survive any power cut, or `None` if there is no file.
    #[must_use]
    pub fn durable_bytes(&self, path: &str) -> Option<Vec<u8>> {
        self.state().inode_at(path).map(|inode| inode.durable.clone())
    }

    /// Replaces the contents of `path` (creating it if needed) with `bytes`, durably, dropping
    /// its pending operations: for tests that craft or corrupt files. Open handles see the new
    /// bytes. Not counted as an operation and allowed while the machine is down.
    pub fn set_file_bytes(&self, path: &str, bytes: &[u8]) {
        let mut st = self.state();
        if let Some(inode) = st.paths.get(path).copied().and_then(|id| st.inodes.get_mut(&id)) {
            inode.durable = bytes.to_vec();
            inode.current = bytes.to_vec();
            inode.pending.clear();
        } else {
            let id = st.next_inode;
            st.next_inode += 1;
            st.inodes.insert(id, SimInode::new(bytes.to_vec()));
            st.paths.insert(path.to_owned(), id);
        }
    }

    /// The paths of all files, sorted.
    #[must_use]
    pub fn paths(&self) -> Vec<String> {
        self.state().paths.keys().cloned().collect()
    }
}

impl Io for SimIo {
    fn open(&self, path: &str, mode: OpenMode) -> Result<Box<dyn File>> {
        let mut st = self.state();
        st.check_alive(None, "opening a file")?;
        let id = match (st.paths.get(path), mode) {
            (Some(&id), _) => id,
            (None, OpenMode::ReadWriteCreate) => {
                let id = st.next_inode;
                st.next_inode += 1;
                st.inodes.insert(id, SimInode::new(Vec::new()));
                st.paths.insert(path.to_owned(), id);
                id
            }
            (None, OpenMode::ReadOnly | OpenMode::ReadWrite) => {
                return Err(Error::CantOpen {
                    path: path.to_owned(),
                    reason: "no such file".into(),
                })
            }
        };
        let epoch = st.epoch;
        let inode = st.inode_mut(id, "opening a file")?;
        inode.handles += 1;
        let lock = inode.locks.register();
        Ok(Box::new(SimFile {
            state: Arc::clone(&self.state),
            inode: id,
            epoch,
            lock,
            writable: mode != OpenMode::ReadOnly,
        }))
    }

    fn exists(&self, path: &str) -> Result<bool> {
        let st = self.state();
        st.check_alive(None, "checking whether a file exists")?;
        Ok(st.paths.contains_key(path))
    }

    fn delete(&self, path: &str) -> Result<()> {
        let mut st = self.state();
        st.begin_op(None, "deleting a file")?;
        st.unlink(path);
        Ok(())
    }
}

/// A handle on a [`SimIo`] file.
struct SimFile {
    state: Arc<Mutex<SimState>>,
    inode: u64,
    /// The power-cut epoch the handle was opened in.
    epoch: u64,
    lock: LockHandle,
    writable: bool,
}

impl fmt::Debug for SimFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimFile")
            .field("inode", &self.inode)
            .field("epoch", &self.epoch)
            .field("writable", &self.writable)
            .finish_non_exhaustive()
    }
}

impl SimFile {
    fn state(&self) -> MutexGuard<'_, SimState> {
        lock_state(&self.state)
    }

    fn check_writable(&self) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(Error::ReadOnly)
        }
    }
}

impl File for SimFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<usize> {
        const OP: &str = "reading a file";
        let mut st = self.state();
        st.check_alive(Some(self.epoch), OP)?;
        Ok(read_from(&st.inode_mut(self.inode, OP)?.current, buf, offset))
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> Result<()> {
        const OP: &str = "writing a file";
        self.check_writable()?;
        end_index(offset, buf.len())?;
        let mut st = self.state();
        st.begin_op(Some(self.epoch), OP)?;
        st.writes_done += 1;
        if st.fail_write_at == Some(st.writes_done) {
            st.fail_write_at = None;
            return Err(sim_error(OP, "injected write failure"));
        }
        let inode = st.inode_mut(self.inode, OP)?;
        write_into(&mut inode.current, buf, offset)?;
        inode.pending.push(PendingOp::Write { offset, data: buf.to_vec() });
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        const OP: &str = "syncing a file";
        let mut st = self.state();
        st.begin_op(Some(self.epoch), OP)?;
        st.syncs_done += 1;
        if st.fail_sync_at == Some(st.syncs_done) {
            st.fail_sync_at = None;
            return Err(sim_error(OP, "injected sync failure"));
        }
        let inode = st.inode_mut(self.inode, OP)?;
        for op in std::mem::take(&mut inode.pending) {
            apply(&mut inode.durable, &op);
        }
        debug_assert!(inode.durable == inode.current, "current must be durable + pending");
        Ok(())
    }

    fn truncate(&self, size: u64) -> Result<()> {
        const OP: &str = "truncating a file";
        self.check_writable()?;
        let (_, new_len) = end_index(size, 0)?;
        let mut st = self.state();
        st.begin_op(Some(self.epoch), OP)?;
        let inode = st.inode_mut(self.inode, OP)?;
        inode.current.resize(new_len, 0);
        inode.pending.push(PendingOp::Truncate { size });
        Ok(())
    }

    fn size(&self) -> Result<u64> {
        const OP: &str = "reading a file's size";
        let mut st = self.state();
        st.check_alive(Some(self.epoch), OP)?;
        Ok(st.inode_mut(self.inode, OP)?.current.len() as u64)
    }

    fn lock(&self, level: LockLevel) -> Result<()> {
        if level > LockLevel::Shared && !self.writable {
            return Err(Error::ReadOnly);
        }
        // The state lock is held across the lock-table call so that a power cut cannot slip
        // between the liveness check and the lock.
        let st = self.state();
        st.check_alive(Some(self.epoch), "locking a file")?;
        self.lock.lock(level)
    }

    fn unlock(&self, level: LockLevel) -> Result<()> {
        let st = self.state();
        st.check_alive(Some(self.epoch), "unlocking a file")?;
        self.lock.unlock(level)
    }

    fn check_reserved_lock(&self) -> Result<bool> {
        let st = self.state();
        st.check_alive(Some(self.epoch), "checking a file lock")?;
        Ok(self.lock.check_reserved())
    }

    fn lock_level(&self) -> LockLevel {
        self.lock.level()
    }
}

impl Drop for SimFile {
    fn drop(&mut self) {
        let mut st = self.state();
        if st.epoch != self.epoch {
            return; // Dead handles were already forgotten by the power cut.
        }
        if let Some(inode) = st.inodes.get_mut(&self.inode) {
            inode.handles -= 1;
            if inode.handles == 0 && !inode.linked {
                st.inodes.remove(&self.inode);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_io<T>(r: &Result<T>) -> bool {
        matches!(r, Err(Error::Io { .. }))
    }

    fn sim(seed: u64) -> SimIo {
        SimIo::new(SimConfig::new(seed))
    }

    fn open(io: &SimIo, path: &str) -> Box<dyn File> {
        io.open(path, OpenMode::ReadWriteCreate).expect("open")
    }

    #[derive(Debug, Default)]
    struct Outcomes {
        kept: u32,
        lost: u32,
        torn: u32,
    }

    #[test]
    fn unsynced_writes_are_kept_lost_or_torn_and_synced_data_survives() {
        let mut seen = Outcomes::default();
        for seed in 0..64 {
            let io = sim(seed);
            let f = open(&io, "db");
            f.write_at(&[0xAA; 2048], 0).expect("write");
            f.write_at(&[0x11; 512], 4096).expect("write");
            f.sync().expect("sync");
            f.write_at(&[0xBB; 2048], 0).expect("unsynced overwrite");
            assert_eq!(&io.durable_bytes("db").expect("file")[..2048], &[0xAA; 2048][..]);
            assert_eq!(&io.file_bytes("db").expect("file")[..2048], &[0xBB; 2048][..]);
            io.power_cut();

            let after = io.file_bytes("db").expect("file survives");
            assert_eq!(after, io.durable_bytes("db").expect("file"), "seed {seed}");
            assert_eq!(after.len(), 4608, "seed {seed}");
            assert_eq!(&after[4096..], &[0x11; 512][..], "synced data lost, seed {seed}");
            let sectors: Vec<&[u8]> = after[..2048].chunks(512).collect();
            let all = |b: u8| sectors.iter().all(|s| s.iter().all(|&x| x == b));
            if all(0xBB) {
                seen.kept += 1;
            } else if all(0xAA) {
                seen.lost += 1;
            } else {
                seen.torn += 1;
            }
            // Reopening after the "reboot" sees the durable bytes.
            let g = open(&io, "db");
            let mut buf = vec![0; 4608];
            assert_eq!(g.read_at(&mut buf, 0).expect("read"), 4608);
            assert_eq!(buf, after);
        }
        assert!(seen.kept > 0 && seen.lost > 0 && seen.torn > 0, "{seen:?}");
    }

    #[test]
    fn unsynced_extension_and_truncate_may_be_lost() {
        let mut lengths = std::collections::BTreeSet::new();
        for seed in 0..32 {
            let io = sim(seed);
            let f = open(&io, "j");
            f.write_at(&[1; 1000], 0).expect("write");
            f.sync().expect("sync");
            f.truncate(100).expect("truncate");
            f.write_at(&[2; 10], 3000).expect("extend");
            io.power_cut();
            let after = io.file_bytes("j").expect("file");
            assert!(after[..100].iter().all(|&b| b == 1), "seed {seed}");
            lengths.insert(after.len());
        }
        assert!(lengths.contains(&1000) && lengths.contains(&3010), "{lengths:?}");
    }

    fn scripted_workload(io: &SimIo) -> Result<()> {
        let f = io.open("db", OpenMode::ReadWriteCreate)?;
        let j = io.open("db-journal", OpenMode::ReadWriteCreate)?;
        f.write_at(&[1; 1024], 0)?; // op 1
        f.sync()?; // 2
        j.write_at(&[9; 512], 0)?; // 3
        j.sync()?; // 4
        f.write_at(&[2; 512], 512)?; // 5
        f.truncate(2048)?; // 6
        f.sync()?; // 7
        drop(j);
        io.delete("db-journal")?; // 8
        f.write_at(&[3; 100], 0)?; // 9
        Ok(())
    }

    #[test]
    fn crash_after_ops_cuts_at_the_chosen_operation() {
        let counting = sim(0);
        scripted_workload(&counting).expect("workload");
        let total = counting.ops_done();
        assert_eq!(total, 9);
        for k in 1..=total + 1 {
            let io = sim(k);
            io.crash_after_ops(k);
            let r = scripted_workload(&io);
            if k > total {
                r.expect("no crash past the end");
                assert!(!io.is_down());
                continue;
            }
            assert!(is_io(&r), "k={k}: {r:?}");
            assert!(io.is_down());
            assert_eq!(io.ops_done(), k - 1, "the interrupted op is not counted");
            assert!(is_io(&io.open("db", OpenMode::ReadWrite).map(drop)), "machine is down");
            assert!(is_io(&io.exists("db")));
            assert!(is_io(&io.delete("db")));
            io.reboot();

            let db = io.file_bytes("db").expect("created files are durable");
            let journal = io.file_bytes("db-journal");
            if (3..=5).contains(&k) {
                assert_eq!(&db[..1024], &[1; 1024][..], "k={k}");
            } else if k > 5 {
                // Op 5 rewrote the second half without a sync: it may be torn.
                assert_eq!(&db[..512], &[1; 512][..], "k={k}");
            }
            if k > 4 && k <= 8 {
                assert_eq!(journal.as_deref(), Some(&[9; 512][..]), "k={k}");
            }
            if k > 7 {
                let mut expect = vec![1; 512];
                expect.extend([2; 512]);
                expect.resize(2048, 0);
                assert_eq!(db, expect, "k={k}");
            }
            if k > 8 {
                assert_eq!(journal, None, "deletes are durable at once");
            }
            // After the reboot everything works again.
            let f = open(&io, "db");
            f.lock(LockLevel::Shared).expect("lock");
            f.lock(LockLevel::Exclusive).expect("no stale locks");
        }
    }

    #[test]
    fn old_handles_die_and_locks_are_released_at_power_cut() {
        let io = sim(1);
        let a = open(&io, "db");
        a.lock(LockLevel::Shared).expect("lock");
        a.lock(LockLevel::Exclusive).expect("lock");
        io.power_cut();
        let mut buf = [0u8; 1];
        assert!(is_io(&a.read_at(&mut buf, 0)));
        assert!(is_io(&a.write_at(b"x", 0)));
        assert!(is_io(&a.sync()));
        assert!(is_io(&a.size()));
        assert!(is_io(&a.lock(LockLevel::Shared)));
        assert!(is_io(&a.check_reserved_lock()));
        assert_eq!(a.lock_level(), LockLevel::None);
        let b = open(&io, "db");
        let c = open(&io, "db");
        b.lock(LockLevel::Shared).expect("lock");
        b.lock(LockLevel::Exclusive).expect("the dead handle's lock is gone");
        drop(a);
        assert!(
            matches!(c.lock(LockLevel::Shared), Err(Error::Busy)),
            "b's lock survives a's drop"
        );
        assert_eq!(b.lock_level(), LockLevel::Exclusive);
        drop(b);
        c.lock(LockLevel::Shared).expect("lock");
    }

    #[test]
    fn fail_write_at_fails_one_write_without_writing() {
        let io = sim(2);
        let f = open(&io, "db");
        io.fail_write_at(2);
        f.write_at(b"one", 0).expect("first write");
        assert!(is_io(&f.write_at(b"TWO", 0)));
        assert_eq!(io.file_bytes("db").expect("file"), b"one");
        f.write_at(b"three", 0).expect("third write works");
        f.sync().expect("sync");
        assert_eq!(io.durable_bytes("db").expect("file"), b"three");
        assert!(!io.is_down());
    }

    #[test]
    fn fail_sync_at_leaves_writes_pending() {
        let io = sim(3);
        let f = open(&io, "db");
        let g = open(&io, "other");
        io.fail_sync_at(2);
        g.sync().expect("first sync");
        f.write_at(b"data", 0).expect("write");
        assert!(is_io(&f.sync()));
        assert_eq!(io.file_bytes("db").expect("file"), b"data");
        assert_eq!(io.durable_bytes("db").expect("file"), b"");
        f.sync().expect("the next sync works");
        assert_eq!(io.durable_bytes("db").expect("file"), b"data");
    }

    fn random_workload_bytes(seed: u64) -> Vec<u8> {
        let io = sim(seed);
        let f = open(&io, "db");
        f.write_at(&[7; 4096], 0).expect("write");
        f.sync().expect("sync");
        for i in 0..8u8 {
            f.write_at(&[i; 700], u64::from(i) * 500).expect("write");
        }
        io.power_cut();
        io.file_bytes("db").expect("file")
    }

    #[test]
    fn same_seed_same_bytes() {
        let runs: Vec<Vec<u8>> = (0..8).map(random_workload_bytes).collect();
        for (seed, bytes) in runs.iter().enumerate() {
            assert_eq!(*bytes, random_workload_bytes(seed as u64), "seed {seed}");
        }
        assert!(runs.iter().any(|b| *b != runs[0]), "different seeds should differ");
    }

    #[test]
    fn set_file_bytes_and_views() {
        let io = sim(4);
        assert_eq!(io.file_bytes("x"), None);
        io.set_file_bytes("x", b"crafted");
        assert_eq!(io.durable_bytes("x").as_deref(), Some(&b"crafted"[..]));
        let f = io.open("x", OpenMode::ReadOnly).expect("open crafted file");
        let mut buf = [0u8; 7];
        assert_eq!(f.read_at(&mut buf, 0).expect("read"), 7);
        assert_eq!(&buf, b"crafted");
        assert!(matches!(f.write_at(b"no", 0), Err(Error::ReadOnly)));
        io.set_file_bytes("x", b"new");
        assert_eq!(f.size().expect("size"), 3, "open handles see replaced bytes");
        assert_eq!(io.paths(), vec!["x".to_owned()]);
        assert!(matches!(io.open("missing", OpenMode::ReadWrite), Err(Error::CantOpen { .. })));
    }

    #[test]
    fn delete_unlinks_and_open_handles_keep_the_inode() {
        let io = sim(5);
        let j = open(&io, "j");
        j.write_at(b"journal", 0).expect("write");
        io.delete("j").expect("delete");
        assert!(!io.exists("j").expect("exists"));
        let mut buf = [0u8; 7];
        assert_eq!(j.read_at(&mut buf, 0).expect("read the unlinked file"), 7);
        let k = open(&io, "j");
        assert_eq!(k.size().expect("size"), 0, "a new file under the old name");
        drop(j);
        assert_eq!(io.state().inodes.len(), 1, "the unlinked inode is freed with its last handle");
        io.power_cut();
        assert!(io.exists("j").expect("creation is durable"));
        io.delete("j").expect("delete");
        io.power_cut();
        assert!(!io.exists("j").expect("deletion is durable"));
    }

    #[test]
    fn locks_follow_sqlite_rules() {
        let io = sim(6);
        let a = open(&io, "db");
        let b = open(&io, "db");
        a.lock(LockLevel::Shared).expect("lock");
        b.lock(LockLevel::Shared).expect("lock");
        a.lock(LockLevel::Reserved).expect("lock");
        assert!(b.check_reserved_lock().expect("check"));
        assert!(matches!(b.lock(LockLevel::Reserved), Err(Error::Busy)));
        assert!(matches!(a.lock(LockLevel::Exclusive), Err(Error::Busy)));
        assert_eq!(a.lock_level(), LockLevel::Pending);
        b.unlock(LockLevel::None).expect("unlock");
        a.lock(LockLevel::Exclusive).expect("lock");
    }
}
