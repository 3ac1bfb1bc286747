//! The rollback journal, byte-compatible with SQLite's (`journal_mode=DELETE`).
//!
//! ```text
//! journal header, padded to one sector (SECTOR_SIZE bytes):
//!   0  8  magic d9 d5 05 f9 20 a1 63 d7
//!   8  4  number of page records that follow (0xffffffff: "to the end of the file")
//!  12  4  checksum nonce
//!  16  4  database size in pages before the transaction
//!  20  4  sector size
//!  24  4  page size
//! page record, repeated:
//!   0  4  page number
//!   4  P  the page's content before the transaction
//! 4+P  4  checksum: nonce + the bytes at offsets P-200, P-400, ... > 0 of the content
//! ```
//! A journal may hold several header+records segments, each starting on a sector boundary.
//! The transaction commits when the journal is deleted. A journal left behind by a crash ("hot")
//! is played back: pages are restored from records whose checksums hold, the file is truncated to
//! the original size, and the journal is deleted.

use crate::error::Result;
use crate::storage::format::{get_u32, put_u32};
use crate::storage::io::File;

/// Journal magic.
pub const MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
/// Sector size we write (SQLite's default on Unix).
pub const SECTOR_SIZE: u32 = 4096;
/// Offset of the record count in a journal header.
pub const NREC_OFFSET: u64 = 8;

/// SQLite's journal checksum of one page image.
#[must_use]
pub fn checksum(nonce: u32, page: &[u8]) -> u32 {
    let mut sum = nonce;
    let mut i = page.len() as isize - 200;
    while i > 0 {
        sum = sum.wrapping_add(u32::from(page[i as usize]));
        i -= 200;
    }
    sum
}

/// Encodes a journal header with `nrec` records.
#[must_use]
pub fn encode_header(nrec: u32, nonce: u32, orig_pages: u32, page_size: u32) -> Vec<u8> {
    let mut h = vec![0u8; SECTOR_SIZE as usize];
    h[..8].copy_from_slice(&MAGIC);
    put_u32(&mut h, 8, nrec);
    put_u32(&mut h, 12, nonce);
    put_u32(&mut h, 16, orig_pages);
    put_u32(&mut h, 20, SECTOR_SIZE);
    put_u32(&mut h, 24, page_size);
    h
}

/// Appends one page record to `out`.
pub fn encode_record(out: &mut Vec<u8>, pgno: u32, page: &[u8], nonce: u32) {
    out.extend_from_slice(&pgno.to_be_bytes());
    out.extend_from_slice(page);
    out.extend_from_slice(&checksum(nonce, page).to_be_bytes());
}

/// What a playback did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Playback {
    /// Page records restored.
    pub restored: u32,
    /// Database size in pages after playback (`None` when the journal held no valid header).
    pub db_pages: Option<u32>,
    /// Page size the journal was written with.
    pub page_size: Option<u32>,
}

/// Plays a hot journal back into `db`. Stops quietly at the first record that is torn or fails
/// its checksum, as SQLite does (such a record was never followed by database writes). The caller
/// holds an exclusive lock, syncs `db` afterwards and deletes the journal.
pub fn playback(
    journal: &dyn File,
    db: &dyn File,
    pending_page: impl Fn(u32) -> u32,
) -> Result<Playback> {
    let jsize = journal.size()?;
    let mut result = Playback::default();
    let mut off: u64 = 0;
    let mut first = true;
    let mut page = Vec::new();
    loop {
        let mut hdr = [0u8; 28];
        if off + 28 > jsize || journal.read_at(&mut hdr, off)? < 28 || hdr[..8] != MAGIC {
            break;
        }
        let mut nrec = get_u32(&hdr, 8);
        let nonce = get_u32(&hdr, 12);
        let orig_pages = get_u32(&hdr, 16);
        let sector = get_u32(&hdr, 20);
        let page_size = get_u32(&hdr, 24);
        if first {
            if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
                break;
            }
            if !(32..=65536).contains(&sector) || !sector.is_power_of_two() {
                break;
            }
            result.page_size = Some(page_size);
            db.truncate(u64::from(orig_pages) * u64::from(page_size))?;
            result.db_pages = Some(orig_pages);
            page.resize(page_size as usize, 0);
            first = false;
        } else if Some(page_size) != result.page_size
            || !(32..=65536).contains(&sector)
            || !sector.is_power_of_two()
        {
            break;
        }
        let rec_len = u64::from(page_size) + 8;
        off += u64::from(sector);
        if nrec == u32::MAX {
            nrec = u32::try_from(jsize.saturating_sub(off) / rec_len).unwrap_or(u32::MAX);
        }
        let mjpg = pending_page(page_size);
        for _ in 0..nrec {
            if off + rec_len > jsize {
                return Ok(result);
            }
            let mut pg = [0u8; 4];
            journal.read_at(&mut pg, off)?;
            let pgno = u32::from_be_bytes(pg);
            if journal.read_at(&mut page, off + 4)? < page.len() {
                return Ok(result);
            }
            let mut ck = [0u8; 4];
            journal.read_at(&mut ck, off + 4 + u64::from(page_size))?;
            if pgno == 0 || pgno == mjpg || u32::from_be_bytes(ck) != checksum(nonce, &page) {
                return Ok(result);
            }
            if pgno <= orig_pages {
                db.write_at(&page, u64::from(pgno - 1) * u64::from(page_size))?;
                result.restored += 1;
            }
            off += rec_len;
        }
        off = off.div_ceil(u64::from(sector)) * u64::from(sector);
        if off >= jsize {
            break;
        }
    }
    Ok(result)
}

/// Whether the bytes at the start of a journal look like the start of a live journal: SQLite
/// treats a journal whose first byte is zero as not hot.
pub fn looks_hot(journal: &dyn File) -> Result<bool> {
    if journal.size()? == 0 {
        return Ok(false);
    }
    let mut b = [0u8; 1];
    journal.read_at(&mut b, 0)?;
    Ok(b[0] != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_samples_every_200th_byte_from_the_end() {
        let mut page = vec![0u8; 1024];
        page[824] = 1;
        page[624] = 2;
        page[24] = 4;
        page[0] = 100; // offset 0 is never sampled
        assert_eq!(checksum(10, &page), 10 + 1 + 2 + 4);
    }
}
