//! Building cells (spilling large payloads to overflow chains), reading payloads back and
//! freeing overflow chains.

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::storage::format::{get_u32, put_u32, put_varint, PageNo};
use crate::storage::pager::Pager;

use super::page::{local_payload, CellInfo, Node, PageKind};

/// Largest payload accepted (SQLite's default `SQLITE_MAX_LENGTH`).
pub const MAX_PAYLOAD: usize = 1_000_000_000;

/// Builds a leaf cell for `payload` (with `rowid` for table leaves), writing any overflow pages.
pub fn build_leaf_cell(
    pager: &mut Pager,
    kind: PageKind,
    rowid: i64,
    payload: &[u8],
) -> Result<Vec<u8>> {
    if payload.len() > MAX_PAYLOAD {
        return Err(Error::TooBig(format!(
            "payload of {} bytes exceeds {MAX_PAYLOAD}",
            payload.len()
        )));
    }
    let usable = pager.usable_size();
    let mut cell = Vec::with_capacity(payload.len().min(usable) + 18);
    put_varint(&mut cell, payload.len() as u64);
    if kind == PageKind::TableLeaf {
        put_varint(&mut cell, rowid as u64);
    }
    let local = local_payload(usable, kind, payload.len() as u64);
    cell.extend_from_slice(&payload[..local]);
    if local < payload.len() {
        let first = write_overflow(pager, &payload[local..])?;
        cell.extend_from_slice(&first.0.to_be_bytes());
    }
    Ok(cell)
}

/// Writes `rest` to a new overflow chain and returns its first page.
fn write_overflow(pager: &mut Pager, rest: &[u8]) -> Result<PageNo> {
    let per_page = pager.usable_size() - 4;
    let chunks: Vec<&[u8]> = rest.chunks(per_page).collect();
    let mut pages = Vec::with_capacity(chunks.len());
    for _ in &chunks {
        pages.push(pager.allocate()?);
    }
    for (i, chunk) in chunks.iter().enumerate() {
        let next = pages.get(i + 1).map_or(0, |p| p.0);
        let data = pager.get_mut(pages[i])?;
        put_u32(data, 0, next);
        data[4..4 + chunk.len()].copy_from_slice(chunk);
    }
    Ok(pages[0])
}

/// Number of overflow pages a cell's payload uses.
#[must_use]
pub fn overflow_page_count(info: &CellInfo, usable: usize) -> usize {
    let rest = info.payload_len as usize - info.local_len;
    rest.div_ceil(usable - 4)
}

/// Checks, before a buffer for a cell's payload is allocated, that its overflow chain could
/// fit in the file: a crafted payload size (up to 2 GiB) must not become a huge allocation.
pub fn check_overflow_fits(
    info: &CellInfo,
    usable: usize,
    db_size: u32,
    pgno: PageNo,
) -> Result<()> {
    if info.overflow != 0 && overflow_page_count(info, usable) > db_size as usize {
        return Err(Error::corrupt(
            pgno,
            format!(
                "payload of {} bytes needs more overflow pages than the file's {db_size}",
                info.payload_len
            ),
        ));
    }
    Ok(())
}

/// The full payload of a cell: borrowed from the page when it has no overflow.
pub fn read_payload(pager: &mut Pager, pgno: PageNo, cell_index: usize) -> Result<Cow<'_, [u8]>> {
    read_cell(pager, pgno, cell_index).map(|(_, payload)| payload)
}

/// A cell's rowid (0 on index pages) and full payload, borrowed from the page when it has no
/// overflow.
pub fn read_cell(
    pager: &mut Pager,
    pgno: PageNo,
    cell_index: usize,
) -> Result<(i64, Cow<'_, [u8]>)> {
    let usable = pager.usable_size();
    let db_size = pager.db_size();
    let data = pager.get(pgno)?;
    let node = Node::parse(data, pgno, usable)?;
    let info = node.cell(cell_index)?;
    if info.overflow == 0 {
        // Fetched again so that the borrow lives as long as the pager borrow.
        let data = pager.get_again(pgno)?;
        let local = &data[info.payload_off..info.payload_off + info.local_len];
        return Ok((info.rowid, Cow::Borrowed(local)));
    }
    check_overflow_fits(&info, usable, db_size, pgno)?;
    let mut out = Vec::with_capacity(info.payload_len as usize);
    out.extend_from_slice(&data[info.payload_off..info.payload_off + info.local_len]);
    read_overflow(pager, &info, &mut out)?;
    Ok((info.rowid, Cow::Owned(out)))
}

/// Appends the overflow part of a cell's payload to `out`, following the chain with a bound.
pub fn read_overflow(pager: &mut Pager, info: &CellInfo, out: &mut Vec<u8>) -> Result<()> {
    let usable = pager.usable_size();
    let total = info.payload_len as usize;
    let mut next = info.overflow;
    let mut pages = 0;
    let max_pages = overflow_page_count(info, usable);
    while out.len() < total {
        if next == 0 || pages >= max_pages {
            return Err(Error::corrupt(PageNo(next), "overflow chain ends early or loops"));
        }
        let pg = PageNo(next);
        let data = pager.get(pg)?;
        let take = (total - out.len()).min(usable - 4);
        out.extend_from_slice(&data[4..4 + take]);
        next = get_u32(data, 0);
        pages += 1;
    }
    Ok(())
}

/// Frees the overflow chain of a cell.
pub fn free_overflow(pager: &mut Pager, info: &CellInfo) -> Result<()> {
    if info.overflow == 0 {
        return Ok(());
    }
    let usable = pager.usable_size();
    let count = overflow_page_count(info, usable);
    let mut next = info.overflow;
    for _ in 0..count {
        if next == 0 || next > pager.db_size() {
            return Err(Error::corrupt(PageNo(next), "overflow chain ends early"));
        }
        let pg = PageNo(next);
        next = get_u32(pager.get(pg)?, 0);
        pager.free(pg)?;
    }
    Ok(())
}
