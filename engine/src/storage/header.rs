//! The 100-byte database header at the start of page 1.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 16 | magic `"SQLite format 3\0"` |
//! | 16 | 2 | page size (1 means 65536) |
//! | 18 | 1 | file format write version (1 legacy, 2 WAL) |
//! | 19 | 1 | file format read version (1 legacy, 2 WAL) |
//! | 20 | 1 | reserved bytes at the end of each page |
//! | 21 | 1 | max embedded payload fraction (must be 64) |
//! | 22 | 1 | min embedded payload fraction (must be 32) |
//! | 23 | 1 | leaf payload fraction (must be 32) |
//! | 24 | 4 | file change counter |
//! | 28 | 4 | database size in pages (valid when offset 92 equals offset 24) |
//! | 32 | 4 | first freelist trunk page |
//! | 36 | 4 | number of freelist pages |
//! | 40 | 4 | schema cookie |
//! | 44 | 4 | schema format number (1–4) |
//! | 48 | 4 | default page cache size |
//! | 52 | 4 | largest root b-tree page (non-zero: auto-vacuum) |
//! | 56 | 4 | text encoding (1 UTF-8, 2 UTF-16le, 3 UTF-16be) |
//! | 60 | 4 | user version |
//! | 64 | 4 | incremental-vacuum mode |
//! | 68 | 4 | application id |
//! | 72 | 20 | reserved, zero |
//! | 92 | 4 | version-valid-for number |
//! | 96 | 4 | `SQLITE_VERSION_NUMBER` of the last writer |

use crate::error::{Error, Result};
use crate::storage::format::{get_u16, get_u32, put_u16, put_u32};

/// Size of the header.
pub const HEADER_SIZE: usize = 100;
/// The magic string.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// The version number we write at offset 96 (the SQLite release whose format we follow).
pub const WRITER_VERSION: u32 = 3_046_000;
/// Page size of new databases.
pub const DEFAULT_PAGE_SIZE: u32 = 4096;

/// Byte offsets of the header fields that change at run time.
pub mod offset {
    /// File change counter.
    pub const CHANGE_COUNTER: usize = 24;
    /// Database size in pages.
    pub const DB_SIZE: usize = 28;
    /// First freelist trunk page.
    pub const FREELIST_TRUNK: usize = 32;
    /// Number of freelist pages.
    pub const FREELIST_COUNT: usize = 36;
    /// Schema cookie.
    pub const SCHEMA_COOKIE: usize = 40;
    /// Schema format number.
    pub const SCHEMA_FORMAT: usize = 44;
    /// Largest root page (auto-vacuum).
    pub const LARGEST_ROOT: usize = 52;
    /// Text encoding.
    pub const TEXT_ENCODING: usize = 56;
    /// User version.
    pub const USER_VERSION: usize = 60;
    /// Application id.
    pub const APPLICATION_ID: usize = 68;
    /// Version-valid-for.
    pub const VERSION_VALID_FOR: usize = 92;
    /// Writer's library version.
    pub const WRITER_VERSION: usize = 96;
}

/// Every field of the header, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbHeader {
    /// Page size in bytes, 512–65536, a power of two.
    pub page_size: u32,
    /// 1 = rollback journal, 2 = WAL.
    pub write_version: u8,
    /// 1 = rollback journal, 2 = WAL.
    pub read_version: u8,
    /// Bytes reserved at the end of each page.
    pub reserved: u8,
    /// File change counter.
    pub change_counter: u32,
    /// Size in pages, as stored (see `size_is_valid`).
    pub db_size: u32,
    /// First freelist trunk page (0 if none).
    pub freelist_trunk: u32,
    /// Total freelist pages.
    pub freelist_count: u32,
    /// Incremented on every schema change.
    pub schema_cookie: u32,
    /// Schema format number.
    pub schema_format: u32,
    /// Suggested cache size.
    pub default_cache_size: u32,
    /// Non-zero when the database uses auto-vacuum.
    pub largest_root: u32,
    /// 1 UTF-8, 2 UTF-16le, 3 UTF-16be (0 in a database without a schema yet).
    pub text_encoding: u32,
    /// `PRAGMA user_version`.
    pub user_version: u32,
    /// Non-zero in incremental-vacuum mode.
    pub incremental_vacuum: u32,
    /// `PRAGMA application_id`.
    pub application_id: u32,
    /// Change counter at the time `db_size` was written.
    pub version_valid_for: u32,
    /// Library version of the last writer.
    pub writer_version: u32,
}

impl DbHeader {
    /// The header of a new, empty database.
    #[must_use]
    pub fn new(page_size: u32) -> Self {
        DbHeader {
            page_size,
            write_version: 1,
            read_version: 1,
            reserved: 0,
            change_counter: 1,
            db_size: 1,
            freelist_trunk: 0,
            freelist_count: 0,
            schema_cookie: 0,
            schema_format: 4,
            default_cache_size: 0,
            largest_root: 0,
            text_encoding: 1,
            user_version: 0,
            incremental_vacuum: 0,
            application_id: 0,
            version_valid_for: 1,
            writer_version: WRITER_VERSION,
        }
    }

    /// Decodes and validates a header. Features embedlite cannot handle yet are reported as
    /// `Unsupported` with what to do about them.
    pub fn parse(buf: &[u8]) -> Result<Self> {
        if buf.len() < HEADER_SIZE || &buf[..16] != MAGIC {
            return Err(Error::NotADatabase(
                "the file does not start with the SQLite header".into(),
            ));
        }
        let raw_size = get_u16(buf, 16);
        let page_size = if raw_size == 1 { 65536 } else { u32::from(raw_size) };
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(Error::NotADatabase(format!("invalid page size {raw_size} in the header")));
        }
        let h = DbHeader {
            page_size,
            write_version: buf[18],
            read_version: buf[19],
            reserved: buf[20],
            change_counter: get_u32(buf, 24),
            db_size: get_u32(buf, 28),
            freelist_trunk: get_u32(buf, 32),
            freelist_count: get_u32(buf, 36),
            schema_cookie: get_u32(buf, 40),
            schema_format: get_u32(buf, 44),
            default_cache_size: get_u32(buf, 48),
            largest_root: get_u32(buf, 52),
            text_encoding: get_u32(buf, 56),
            user_version: get_u32(buf, 60),
            incremental_vacuum: get_u32(buf, 64),
            application_id: get_u32(buf, 68),
            version_valid_for: get_u32(buf, 92),
            writer_version: get_u32(buf, 96),
        };
        if h.read_version == 2 || h.write_version == 2 {
            return Err(Error::Unsupported(
                "the database is in WAL mode (journal_mode=wal), which embedlite does not read \
                 yet; run `PRAGMA journal_mode=DELETE` on it with sqlite3 first"
                    .into(),
            ));
        }
        if h.read_version > 2 {
            return Err(Error::Unsupported(format!(
                "file format read version {} is newer than this library understands",
                h.read_version
            )));
        }
        if page_size - u32::from(h.reserved) < 480 {
            return Err(Error::corrupt_file(format!(
                "{} reserved bytes leave too little of a {page_size}-byte page",
                h.reserved
            )));
        }
        if buf[21] != 64 || buf[22] != 32 || buf[23] != 32 {
            return Err(Error::corrupt_file("payload fractions in the header are not 64/32/32"));
        }
        if h.schema_format > 4 {
            return Err(Error::Unsupported(format!(
                "schema format {} is unknown",
                h.schema_format
            )));
        }
        match h.text_encoding {
            0 | 1 => {}
            2 | 3 => {
                return Err(Error::Unsupported(
                    "the database uses UTF-16 text; embedlite reads UTF-8 databases only".into(),
                ))
            }
            other => return Err(Error::corrupt_file(format!("unknown text encoding {other}"))),
        }
        Ok(h)
    }

    /// Encodes the header into the first 100 bytes of `buf`.
    pub fn write(&self, buf: &mut [u8]) {
        buf[..16].copy_from_slice(MAGIC);
        put_u16(buf, 16, if self.page_size == 65536 { 1 } else { self.page_size as u16 });
        buf[18] = self.write_version;
        buf[19] = self.read_version;
        buf[20] = self.reserved;
        buf[21] = 64;
        buf[22] = 32;
        buf[23] = 32;
        put_u32(buf, 24, self.change_counter);
        put_u32(buf, 28, self.db_size);
        put_u32(buf, 32, self.freelist_trunk);
        put_u32(buf, 36, self.freelist_count);
        put_u32(buf, 40, self.schema_cookie);
        put_u32(buf, 44, self.schema_format);
        put_u32(buf, 48, self.default_cache_size);
        put_u32(buf, 52, self.largest_root);
        put_u32(buf, 56, self.text_encoding);
        put_u32(buf, 60, self.user_version);
        put_u32(buf, 64, self.incremental_vacuum);
        put_u32(buf, 68, self.application_id);
        buf[72..92].fill(0);
        put_u32(buf, 92, self.version_valid_for);
        put_u32(buf, 96, self.writer_version);
    }

    /// Whether `db_size` can be trusted (SQLite's rule: it is valid when non-zero and written by
    /// a writer that also updated the version-valid-for number).
    #[must_use]
    pub fn size_is_valid(&self) -> bool {
        self.db_size != 0 && self.version_valid_for == self.change_counter
    }

    /// Bytes of each page usable by b-trees.
    #[must_use]
    pub fn usable_size(&self) -> usize {
        (self.page_size - u32::from(self.reserved)) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_every_field() {
        let mut h = DbHeader::new(65536);
        h.reserved = 8;
        h.change_counter = 7;
        h.db_size = 9;
        h.freelist_trunk = 3;
        h.freelist_count = 2;
        h.schema_cookie = 11;
        h.user_version = 42;
        h.application_id = 0x1234;
        h.version_valid_for = 7;
        let mut buf = vec![0u8; 100];
        h.write(&mut buf);
        assert_eq!(get_u16(&buf, 16), 1);
        assert_eq!(DbHeader::parse(&buf).expect("valid"), h);
        assert!(h.size_is_valid());
        assert_eq!(h.usable_size(), 65528);
    }

    #[test]
    fn rejects_bad_headers() {
        let mut buf = vec![0u8; 100];
        DbHeader::new(4096).write(&mut buf);
        let mut bad = buf.clone();
        bad[0] = b'X';
        assert!(matches!(DbHeader::parse(&bad), Err(Error::NotADatabase(_))));
        let mut bad = buf.clone();
        put_u16(&mut bad, 16, 1000);
        assert!(matches!(DbHeader::parse(&bad), Err(Error::NotADatabase(_))));
        let mut bad = buf.clone();
        bad[18] = 2;
        bad[19] = 2;
        let err = DbHeader::parse(&bad).expect_err("wal refused");
        assert!(err.to_string().contains("WAL"), "{err}");
        let mut bad = buf.clone();
        bad[20] = 100;
        put_u16(&mut bad, 16, 512);
        assert!(matches!(DbHeader::parse(&bad), Err(Error::Corrupt { .. })));
        let mut bad = buf;
        bad[21] = 10;
        assert!(matches!(DbHeader::parse(&bad), Err(Error::Corrupt { .. })));
    }
}
