//! `SQLite`'s file-lock compatibility among the handles open on one file, for `MemIo` and `SimIo`.
//!
//! One `LockTable` belongs to one file (one inode: a file deleted and created again under the same
//! path gets a new table). Every handle opened on the file registers a [`LockHandle`] and moves
//! it between the five [`LockLevel`]s. The table plays the role the kernel's byte-range locks
//! play for `OsIo`, with the same outcome as `SQLite`'s `os_unix.c` protocol:
//!
//! ```text
//!  other holders hold ─►  none    Shared   Reserved  Pending  Exclusive
//!  request ▼
//!  Shared                  ok      ok       ok        BUSY     BUSY
//!  Reserved                ok      ok       BUSY      BUSY     BUSY
//!  Pending                 ok      ok       BUSY      BUSY     BUSY
//!  Exclusive               ok      BUSY     BUSY      BUSY     BUSY
//! ```
//!
//! So many handles may hold `Shared`; at most one holds `Reserved`, `Pending` or `Exclusive`; a
//! `Pending` holder lets the readers it found finish but admits no new ones; `Exclusive` needs
//! every other handle at `None`. A request never waits: a conflict is `Error::Busy` at once.
//! Raising to `Exclusive` takes `Pending` first and keeps it when the `Exclusive` step is busy,
//! so the writer's claim stops new readers while it retries (`SQLite`'s writer starvation guard).
//!
//! One deliberate difference from `OsIo`, which follows `os_unix.c` byte for byte: there, raising
//! `Shared → Exclusive` directly (`SQLite` does so only to roll back a hot journal, after
//! `check_reserved_lock` found no writer) takes the PENDING byte without the RESERVED byte, so it
//! can end at `Pending` beside another handle's `Reserved`. The table keeps the simpler invariant
//! of one `Reserved`-or-stronger holder and answers `Busy` at once in that case.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::error::{Error, Result};
use crate::storage::io::LockLevel;

/// The locks held on one file, by handle.
#[derive(Debug, Default)]
pub(crate) struct LockTable {
    state: Mutex<Holders>,
}

#[derive(Debug, Default)]
struct Holders {
    /// The id the next registered handle gets; ids are never reused.
    next_id: u64,
    /// The level of every handle above `None`. Invariant: at most one entry is `Reserved` or
    /// stronger, and if one is `Exclusive` it is the only entry.
    levels: HashMap<u64, LockLevel>,
}

impl Holders {
    fn level(&self, id: u64) -> LockLevel {
        self.levels.get(&id).copied().unwrap_or(LockLevel::None)
    }

    /// The strongest level held by a handle other than `id`.
    fn strongest_other(&self, id: u64) -> LockLevel {
        self.levels
            .iter()
            .filter(|&(&k, _)| k != id)
            .map(|(_, &l)| l)
            .max()
            .unwrap_or(LockLevel::None)
    }

    fn set(&mut self, id: u64, level: LockLevel) {
        if level == LockLevel::None {
            self.levels.remove(&id);
        } else {
            self.levels.insert(id, level);
        }
    }

    fn check_invariants(&self) {
        let strong = self.levels.values().filter(|&&l| l >= LockLevel::Reserved).count();
        debug_assert!(strong <= 1, "more than one Reserved+ holder: {:?}", self.levels);
        if self.levels.values().any(|&l| l == LockLevel::Exclusive) {
            debug_assert_eq!(
                self.levels.len(),
                1,
                "Exclusive with other holders: {:?}",
                self.levels
            );
        }
    }
}

impl LockTable {
    /// A table with no holders.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn holders(&self) -> MutexGuard<'_, Holders> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new handle at `LockLevel::None`.
    pub(crate) fn register(self: &Arc<Self>) -> LockHandle {
        let mut h = self.holders();
        let id = h.next_id;
        h.next_id += 1;
        LockHandle { table: Arc::clone(self), id }
    }

    /// Drops every lock of every handle (the simulated machine lost power). Handles stay
    /// registered at `None`.
    pub(crate) fn clear(&self) {
        self.holders().levels.clear();
    }

    /// Whether any handle holds `Reserved` or stronger.
    pub(crate) fn reserved_held(&self) -> bool {
        self.holders().levels.values().any(|&l| l >= LockLevel::Reserved)
    }
}

/// One handle's place in a [`LockTable`]; dropping it releases the handle's locks.
#[derive(Debug)]
pub(crate) struct LockHandle {
    table: Arc<LockTable>,
    id: u64,
}

impl LockHandle {
    /// The level this handle holds.
    pub(crate) fn level(&self) -> LockLevel {
        self.table.holders().level(self.id)
    }

    /// Whether any handle on the file (this one included) holds `Reserved` or stronger.
    pub(crate) fn check_reserved(&self) -> bool {
        self.table.reserved_held()
    }

    /// Raises this handle's lock to `want`; see the module docs for the rules. Asking for a level
    /// not above the current one succeeds without change, as in `SQLite`.
    pub(crate) fn lock(&self, want: LockLevel) -> Result<()> {
        let mut h = self.table.holders();
        let cur = h.level(self.id);
        if want <= cur {
            return Ok(());
        }
        if want > LockLevel::Shared && cur == LockLevel::None {
            return Err(Error::Misuse(format!("lock to {want:?} requires holding Shared first")));
        }
        let other = h.strongest_other(self.id);
        match want {
            LockLevel::None => unreachable!("want > cur >= None"),
            LockLevel::Shared => {
                // Pending and Exclusive holders admit no new readers.
                if other >= LockLevel::Pending {
                    return Err(Error::Busy);
                }
            }
            LockLevel::Reserved | LockLevel::Pending => {
                if other >= LockLevel::Reserved {
                    return Err(Error::Busy);
                }
            }
            LockLevel::Exclusive => {
                if cur < LockLevel::Pending {
                    if other >= LockLevel::Reserved {
                        return Err(Error::Busy);
                    }
                    // Keep Pending even if the next step is busy: no new readers get in while
                    // the old ones drain.
                    h.set(self.id, LockLevel::Pending);
                }
                if other >= LockLevel::Shared {
                    h.check_invariants();
                    return Err(Error::Busy);
                }
            }
        }
        h.set(self.id, want);
        h.check_invariants();
        Ok(())
    }

    /// Lowers this handle's lock to `to`, which must be `Shared` or `None`. Lowering to a level
    /// not below the current one is a no-op, as in `SQLite`.
    pub(crate) fn unlock(&self, to: LockLevel) -> Result<()> {
        if to > LockLevel::Shared {
            return Err(Error::Misuse(format!("unlock to {to:?}: only Shared or None allowed")));
        }
        let mut h = self.table.holders();
        if h.level(self.id) > to {
            h.set(self.id, to);
        }
        Ok(())
    }
}

impl Drop for LockHandle {
    fn drop(&mut self) {
        self.table.holders().set(self.id, LockLevel::None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LockLevel::{Exclusive, None as Unlocked, Pending, Reserved, Shared};

    fn is_busy(r: &Result<()>) -> bool {
        matches!(r, Err(Error::Busy))
    }

    /// Brings `h` up to `level` through the usual path, panicking if that is refused.
    fn raise(h: &LockHandle, level: LockLevel) {
        for l in [Shared, Reserved, Pending, Exclusive] {
            if l <= level {
                h.lock(l).expect("raise");
            }
        }
        assert_eq!(h.level(), level);
    }

    #[test]
    fn compatibility_matrix() {
        // (level held by A, B's current level, level B asks for, expected success)
        let cases = [
            (Unlocked, Unlocked, Shared, true),
            (Shared, Unlocked, Shared, true),
            (Reserved, Unlocked, Shared, true),
            (Pending, Unlocked, Shared, false),
            (Exclusive, Unlocked, Shared, false),
            (Unlocked, Shared, Reserved, true),
            (Shared, Shared, Reserved, true),
            (Reserved, Shared, Reserved, false),
            (Pending, Shared, Reserved, false),
            (Unlocked, Shared, Pending, true),
            (Shared, Shared, Pending, true),
            (Reserved, Shared, Pending, false),
            (Pending, Shared, Pending, false),
            (Unlocked, Shared, Exclusive, true),
            (Shared, Shared, Exclusive, false),
            (Reserved, Shared, Exclusive, false),
            (Pending, Shared, Exclusive, false),
        ];
        for (a_level, b_from, b_want, ok) in cases {
            let t = LockTable::new();
            let a = t.register();
            let b = t.register();
            // B takes its lock first so that a Pending A can coexist with B's Shared.
            raise(&b, b_from);
            raise(&a, a_level);
            let r = b.lock(b_want);
            assert_eq!(r.is_ok(), ok, "A={a_level:?} B={b_from:?}->{b_want:?}: {r:?}");
            if !ok {
                assert!(is_busy(&r));
                // A failed Exclusive still leaves B at Pending only when it got that far.
                let expect_b =
                    if b_want == Exclusive && a_level == Shared { Pending } else { b_from };
                assert_eq!(b.level(), expect_b, "A={a_level:?} B={b_from:?}->{b_want:?}");
            }
            assert_eq!(a.level(), a_level);
        }
    }

    #[test]
    fn exclusive_keeps_pending_when_busy_and_blocks_new_readers() {
        let t = LockTable::new();
        let (w, r1, r2) = (t.register(), t.register(), t.register());
        raise(&w, Reserved);
        r1.lock(Shared).expect("reader");
        assert!(is_busy(&w.lock(Exclusive)));
        assert_eq!(w.level(), Pending);
        assert!(is_busy(&r2.lock(Shared)), "Pending must stop new readers");
        r1.unlock(Unlocked).expect("unlock");
        w.lock(Exclusive).expect("readers gone");
        assert_eq!(w.level(), Exclusive);
        assert!(t.reserved_held());
        w.unlock(Shared).expect("downgrade");
        assert_eq!(w.level(), Shared);
        assert!(!t.reserved_held());
        r2.lock(Shared).expect("readers welcome again");
    }

    #[test]
    fn lock_and_unlock_are_noops_when_not_a_change() {
        let t = LockTable::new();
        let a = t.register();
        raise(&a, Reserved);
        a.lock(Shared).expect("weaker lock is a no-op");
        assert_eq!(a.level(), Reserved);
        a.unlock(Shared).expect("unlock");
        a.unlock(Shared).expect("again");
        assert_eq!(a.level(), Shared);
        assert!(matches!(a.unlock(Reserved), Err(Error::Misuse(_))));
        let b = t.register();
        assert!(matches!(b.lock(Reserved), Err(Error::Misuse(_))), "Reserved needs Shared");
    }

    #[test]
    fn check_reserved_sees_every_handle() {
        let t = LockTable::new();
        let (a, b) = (t.register(), t.register());
        raise(&a, Shared);
        raise(&b, Shared);
        assert!(!a.check_reserved());
        b.lock(Reserved).expect("reserved");
        assert!(a.check_reserved());
        assert!(b.check_reserved());
    }

    #[test]
    fn drop_and_clear_release_locks() {
        let t = LockTable::new();
        let a = t.register();
        raise(&a, Exclusive);
        let b = t.register();
        assert!(is_busy(&b.lock(Shared)));
        drop(a);
        raise(&b, Exclusive);
        t.clear();
        assert_eq!(b.level(), Unlocked);
        let c = t.register();
        raise(&c, Exclusive);
    }
}
