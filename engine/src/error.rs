//! The crate's one error type, with SQLite-like result codes.

use std::fmt;

use crate::storage::PageNo;

/// Result alias used throughout the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// SQLite-like primary result codes, for bindings that map errors to their own exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `SQLITE_ERROR`: a SQL error (syntax, unknown table or column, wrong arguments, ...).
    Error,
    /// `SQLITE_IOERR`
    IoErr,
    /// `SQLITE_CORRUPT`
    Corrupt,
    /// `SQLITE_NOTADB`
    NotADb,
    /// `SQLITE_BUSY`
    Busy,
    /// `SQLITE_FULL`
    Full,
    /// `SQLITE_MISUSE`
    Misuse,
    /// `SQLITE_RANGE`
    Range,
    /// `SQLITE_READONLY`
    ReadOnly,
    /// `SQLITE_CONSTRAINT`
    Constraint,
    /// `SQLITE_CANTOPEN`
    CantOpen,
    /// `SQLITE_TOOBIG`
    TooBig,
    /// `SQLITE_ERROR` for features this version does not support.
    Unsupported,
}

/// Where in the file a corruption was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorruptAt(pub Option<PageNo>);

impl fmt::Display for CorruptAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, " (page {p})"),
            None => Ok(()),
        }
    }
}

/// Every error the engine returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system I/O call failed.
    #[error("disk I/O error while {op}: {source}")]
    Io {
        /// What the engine was doing.
        op: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An earlier I/O error left the connection's view of the file uncertain; it refuses further
    /// work until it is reopened (or, for a failed write transaction, rolled back).
    #[error("disk I/O error earlier in this transaction: the connection must roll back or reopen")]
    IoSticky,
    /// The file's bytes break the format.
    #[error("database disk image is malformed: {detail}{at}")]
    Corrupt {
        /// The page where the problem was found, if known.
        at: CorruptAt,
        /// What was wrong.
        detail: String,
    },
    /// The file is not a SQLite database at all.
    #[error("file is not a database: {0}")]
    NotADatabase(String),
    /// Another connection holds a conflicting lock.
    #[error("database is locked")]
    Busy,
    /// The disk (or the configured maximum size) is full.
    #[error("database or disk is full")]
    Full,
    /// The API was used in a way it does not allow (e.g. a write outside a write transaction).
    #[error("misuse: {0}")]
    Misuse(String),
    /// A value was outside the range the format allows.
    #[error("out of range: {0}")]
    Range(String),
    /// The database was opened read-only.
    #[error("attempt to write a readonly database")]
    ReadOnly,
    /// A constraint was violated.
    #[error("{0}")]
    Constraint(String),
    /// The file could not be opened.
    #[error("unable to open database file {path}: {reason}")]
    CantOpen {
        /// The path that was being opened.
        path: String,
        /// Why it failed.
        reason: String,
    },
    /// A SQL error: bad syntax, an unknown table, column or function, wrong arguments, ...
    /// The message names what was wrong, as SQLite's do.
    #[error("{0}")]
    Sql(String),
    /// A string or blob is larger than the engine allows.
    #[error("string or blob too big: {0}")]
    TooBig(String),
    /// The file uses a feature this version of embedlite does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// `RAISE()` in a trigger program: the message as written (empty for `IGNORE`).
    #[error("{message}")]
    Raise {
        /// What the statement does about it.
        action: RaiseAction,
        /// The message.
        message: String,
    },
}

/// The first argument of `RAISE()`: what happens to the statement that fired the trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaiseAction {
    /// Abandon the current row's trigger programs and the row's own change; go on with the
    /// next row. Caught by the trigger machinery, never returned to the caller.
    Ignore,
    /// Fail the statement and undo it.
    Abort,
    /// Fail the statement, keeping the changes it made before.
    Fail,
    /// Fail the statement and roll back the whole transaction.
    Rollback,
}

impl Error {
    /// The SQLite-like result code of this error.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Io { .. } | Error::IoSticky => ErrorCode::IoErr,
            Error::Corrupt { .. } => ErrorCode::Corrupt,
            Error::NotADatabase(_) => ErrorCode::NotADb,
            Error::Busy => ErrorCode::Busy,
            Error::Full => ErrorCode::Full,
            Error::Misuse(_) => ErrorCode::Misuse,
            Error::Range(_) => ErrorCode::Range,
            Error::ReadOnly => ErrorCode::ReadOnly,
            Error::Constraint(_) | Error::Raise { .. } => ErrorCode::Constraint,
            Error::CantOpen { .. } => ErrorCode::CantOpen,
            Error::TooBig(_) => ErrorCode::TooBig,
            Error::Sql(_) => ErrorCode::Error,
            Error::Unsupported(_) => ErrorCode::Unsupported,
        }
    }

    /// A corruption found on `page`.
    pub(crate) fn corrupt(page: PageNo, detail: impl Into<String>) -> Self {
        Error::Corrupt { at: CorruptAt(Some(page)), detail: detail.into() }
    }

    /// A corruption not tied to one page.
    pub(crate) fn corrupt_file(detail: impl Into<String>) -> Self {
        Error::Corrupt { at: CorruptAt(None), detail: detail.into() }
    }

    /// Wraps an OS error with what the engine was doing.
    pub(crate) fn io(op: &'static str, source: std::io::Error) -> Self {
        Error::Io { op, source }
    }
}
