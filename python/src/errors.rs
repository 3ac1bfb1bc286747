//! The PEP 249 exception hierarchy and the mapping from engine errors to it.
//!
//! ```text
//! Exception
//! ├── Warning
//! └── Error
//!     ├── InterfaceError          MISUSE and RANGE at run time; a closed cursor's leftovers
//!     └── DatabaseError           CORRUPT, NOTADB
//!         ├── DataError           TOOBIG
//!         ├── OperationalError    ERROR (SQL errors), BUSY, READONLY, IOERR, FULL, CANTOPEN
//!         ├── IntegrityError      CONSTRAINT
//!         ├── InternalError       a poisoned connection (a panic inside the engine)
//!         ├── ProgrammingError    API misuse: closed objects, wrong bindings, several statements
//!         └── NotSupportedError   features this version of embedlite does not have yet
//! ```
//!
//! The classes follow `Modules/_sqlite/util.c` of `CPython` (`get_exception_class`), so code that
//! catches `sqlite3.OperationalError` catches the same failures here. Like `sqlite3`'s, every
//! exception raised from an engine error carries `sqlite_errorcode` and `sqlite_errorname`.

use embedlite::{Error as DbError, ErrorCode};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{create_exception, PyErr};

create_exception!(embedlite, Warning, PyException, "Important warnings (PEP 249).");
create_exception!(embedlite, Error, PyException, "Base class of all embedlite errors (PEP 249).");
create_exception!(embedlite, InterfaceError, Error, "Misuse of the database interface.");
create_exception!(embedlite, DatabaseError, Error, "Errors that come from the database.");
create_exception!(embedlite, DataError, DatabaseError, "Problems with the data: a value too big.");
create_exception!(
    embedlite,
    OperationalError,
    DatabaseError,
    "SQL errors and failures of the database's operation: syntax, unknown table, locked, I/O."
);
create_exception!(embedlite, IntegrityError, DatabaseError, "A constraint failed.");
create_exception!(
    embedlite,
    InternalError,
    DatabaseError,
    "The engine's internal state is broken."
);
create_exception!(
    embedlite,
    ProgrammingError,
    DatabaseError,
    "Programming errors: closed objects, wrong number of bindings, several statements at once."
);
create_exception!(
    embedlite,
    NotSupportedError,
    DatabaseError,
    "A feature embedlite does not support (yet)."
);

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Warning", py.get_type::<Warning>())?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("InterfaceError", py.get_type::<InterfaceError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("OperationalError", py.get_type::<OperationalError>())?;
    m.add("IntegrityError", py.get_type::<IntegrityError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add("ProgrammingError", py.get_type::<ProgrammingError>())?;
    m.add("NotSupportedError", py.get_type::<NotSupportedError>())?;
    Ok(())
}

/// Where an engine call failed: compiling a statement or running it. `SQLite` reports API misuse
/// found while compiling (several statements in one `execute`) as a programming error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `Connection::prepare`.
    Prepare,
    /// Running a compiled statement, opening a file, committing.
    Run,
}

/// The `SQLite` result code and its name for an engine error; constraint failures get the
/// extended code that the message names (as `sqlite3` reports `SQLITE_CONSTRAINT_UNIQUE`).
fn sqlite_code(e: &DbError) -> (i32, &'static str) {
    match e.code() {
        ErrorCode::IoErr => (10, "SQLITE_IOERR"),
        ErrorCode::Corrupt => (11, "SQLITE_CORRUPT"),
        ErrorCode::NotADb => (26, "SQLITE_NOTADB"),
        ErrorCode::Busy => (5, "SQLITE_BUSY"),
        ErrorCode::Full => (13, "SQLITE_FULL"),
        ErrorCode::Misuse => (21, "SQLITE_MISUSE"),
        ErrorCode::Range => (25, "SQLITE_RANGE"),
        ErrorCode::ReadOnly => (8, "SQLITE_READONLY"),
        ErrorCode::CantOpen => (14, "SQLITE_CANTOPEN"),
        ErrorCode::TooBig => (18, "SQLITE_TOOBIG"),
        ErrorCode::Constraint => {
            let msg = match e {
                DbError::Constraint(m) => m.as_str(),
                _ => "",
            };
            if msg.starts_with("UNIQUE") {
                (2067, "SQLITE_CONSTRAINT_UNIQUE")
            } else if msg.starts_with("NOT NULL") {
                (1299, "SQLITE_CONSTRAINT_NOTNULL")
            } else if msg.starts_with("CHECK") {
                (275, "SQLITE_CONSTRAINT_CHECK")
            } else if msg.starts_with("FOREIGN KEY") {
                (787, "SQLITE_CONSTRAINT_FOREIGNKEY")
            } else {
                (19, "SQLITE_CONSTRAINT")
            }
        }
        _ => (1, "SQLITE_ERROR"),
    }
}

/// Converts an engine error into the Python exception `sqlite3` would raise for it.
pub fn db_error(py: Python<'_>, e: &DbError, phase: Phase) -> PyErr {
    let msg = match e {
        // SQLite's own messages carry no prefix ("UNIQUE constraint failed: t.a").
        DbError::Constraint(m) | DbError::Sql(m) => m.clone(),
        other => other.to_string(),
    };
    let err = match e.code() {
        ErrorCode::Misuse if phase == Phase::Prepare => ProgrammingError::new_err(msg),
        ErrorCode::Misuse | ErrorCode::Range => InterfaceError::new_err(msg),
        ErrorCode::Corrupt | ErrorCode::NotADb => DatabaseError::new_err(msg),
        ErrorCode::TooBig => DataError::new_err(msg),
        ErrorCode::Constraint => IntegrityError::new_err(msg),
        ErrorCode::Unsupported => NotSupportedError::new_err(msg),
        _ => OperationalError::new_err(msg),
    };
    let (code, name) = sqlite_code(e);
    let value = err.value(py);
    // Setting an attribute on a fresh exception instance cannot fail short of memory exhaustion;
    // the error itself is still worth raising then, so a failure here is ignored.
    let _ = value.setattr("sqlite_errorcode", code);
    let _ = value.setattr("sqlite_errorname", name);
    err
}

/// `ProgrammingError` with a message.
pub fn programming(msg: impl Into<String>) -> PyErr {
    ProgrammingError::new_err(msg.into())
}
