//! All file access of the engine goes through the `Io`/`File` traits.
//!
//! `OsIo` is the real file system with SQLite-compatible locks, `MemIo` backs `:memory:`
//! databases, and `SimIo` is a seeded simulated disk that can lose or tear unsynced writes at a
//! power cut and fail writes or syncs on demand.

mod file;
mod lock_table;
mod mem;
mod os;
mod sim;

pub use file::{File, Io, LockLevel, OpenMode};
pub use mem::MemIo;
pub use os::OsIo;
pub use sim::{SimConfig, SimIo};
