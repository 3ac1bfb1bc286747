//! The b-tree page layout.
//!
//! ```text
//! offset (from the page header, which starts at byte 100 on page 1 and 0 elsewhere)
//!  0  1  page type: 2 index interior, 5 table interior, 10 index leaf, 13 table leaf
//!  1  2  first freeblock (0 if none)
//!  3  2  number of cells
//!  5  2  start of the cell content area (0 means 65536)
//!  7  1  fragmented free bytes in the content area
//!  8  4  right-most child (interior pages only)
//! then the cell pointer array: 2 bytes per cell, in key order, offsets from the page start
//! ... unallocated gap ...
//! cell content area up to the usable size; freeblocks inside it form a list sorted by offset:
//!   each freeblock: 2 bytes next freeblock offset, 2 bytes size (>= 4)
//! ```
//! Cells:
//! ```text
//! table leaf     : varint payload-size, varint rowid, payload prefix, [u32 first overflow page]
//! table interior : u32 left child, varint rowid
//! index leaf     : varint payload-size, payload prefix, [u32 first overflow page]
//! index interior : u32 left child, varint payload-size, payload prefix, [u32 first overflow page]
//! ```
//! A cell takes at least 4 bytes of the content area. Overflow pages hold a u32 next-page number
//! then `usable - 4` payload bytes.

use crate::error::{Error, Result};
use crate::storage::format::{get_u16, get_u32, get_varint, put_u16, put_u32, PageNo};

/// The deepest a b-tree may be; a deeper walk means a cycle in a crafted file (SQLite's bound).
pub const MAX_DEPTH: usize = 20;

/// The four kinds of b-tree page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// Index interior (2).
    IndexInterior,
    /// Table interior (5).
    TableInterior,
    /// Index leaf (10).
    IndexLeaf,
    /// Table leaf (13).
    TableLeaf,
}

impl PageKind {
    /// Decodes the type byte.
    pub fn from_byte(b: u8, pgno: PageNo) -> Result<Self> {
        Ok(match b {
            2 => PageKind::IndexInterior,
            5 => PageKind::TableInterior,
            10 => PageKind::IndexLeaf,
            13 => PageKind::TableLeaf,
            other => return Err(bad_page_type(pgno, other)),
        })
    }

    /// The type byte.
    #[must_use]
    pub fn to_byte(self) -> u8 {
        match self {
            PageKind::IndexInterior => 2,
            PageKind::TableInterior => 5,
            PageKind::IndexLeaf => 10,
            PageKind::TableLeaf => 13,
        }
    }

    /// Leaf page?
    #[must_use]
    pub fn is_leaf(self) -> bool {
        matches!(self, PageKind::IndexLeaf | PageKind::TableLeaf)
    }

    /// Table (intkey) page?
    #[must_use]
    pub fn is_table(self) -> bool {
        matches!(self, PageKind::TableInterior | PageKind::TableLeaf)
    }

    /// Size of the page header.
    #[must_use]
    pub fn header_size(self) -> usize {
        if self.is_leaf() {
            8
        } else {
            12
        }
    }

    /// The leaf kind of the same tree.
    #[must_use]
    pub fn leaf(self) -> Self {
        if self.is_table() {
            PageKind::TableLeaf
        } else {
            PageKind::IndexLeaf
        }
    }

    /// The interior kind of the same tree.
    #[must_use]
    pub fn interior(self) -> Self {
        if self.is_table() {
            PageKind::TableInterior
        } else {
            PageKind::IndexInterior
        }
    }
}

/// Offset of the b-tree header within a page.
#[must_use]
pub fn header_offset(pgno: PageNo) -> usize {
    if pgno.0 == 1 {
        100
    } else {
        0
    }
}

/// How many payload bytes of a cell are stored on the b-tree page (SQLite's rule).
#[must_use]
pub fn local_payload(usable: usize, kind: PageKind, payload: u64) -> usize {
    let u = usable as u64;
    let max_local = if kind == PageKind::TableLeaf { u - 35 } else { (u - 12) * 64 / 255 - 23 };
    let min_local = (u - 12) * 32 / 255 - 23;
    if payload <= max_local {
        return payload as usize;
    }
    let k = min_local + (payload - min_local) % (u - 4);
    if k <= max_local {
        k as usize
    } else {
        min_local as usize
    }
}

/// A decoded cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellInfo {
    /// Left child (interior pages).
    pub left_child: u32,
    /// Rowid (table pages).
    pub rowid: i64,
    /// Total payload size (0 for table interior cells).
    pub payload_len: u64,
    /// Offset of the payload's first byte within the page.
    pub payload_off: usize,
    /// Payload bytes on the page.
    pub local_len: usize,
    /// First overflow page, 0 if none.
    pub overflow: u32,
    /// Bytes the cell occupies in the content area (at least 4).
    pub size: usize,
}

/// A read-only view of one b-tree page with its bounds checked.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    /// The page's bytes.
    pub data: &'a [u8],
    /// Its number.
    pub pgno: PageNo,
    /// Its kind.
    pub kind: PageKind,
    /// Offset of the b-tree header.
    pub hdr: usize,
    /// Usable bytes of the page.
    pub usable: usize,
    /// Number of cells.
    pub ncells: usize,
}

/// The error for a cell that runs off its page (out of line, as [`bad_cell_offset`]).
#[cold]
#[inline(never)]
fn cell_off_page(pgno: PageNo, off: usize) -> Error {
    Error::corrupt(pgno, format!("cell at offset {off} runs off the page"))
}

/// The error for a cell pointer outside the content area (out of line: the cell readers it
/// keeps small run for every cell a search visits).
#[cold]
#[inline(never)]
fn bad_cell_offset(pgno: PageNo, i: usize, off: usize) -> Error {
    Error::corrupt(pgno, format!("cell {i} offset {off} out of bounds"))
}

/// The error for an unknown page type byte, built out of line.
#[cold]
#[inline(never)]
fn bad_page_type(pgno: PageNo, b: u8) -> Error {
    Error::corrupt(pgno, format!("invalid b-tree page type {b}"))
}

/// The error for a cell count whose pointer array overruns the page, built out of line.
#[cold]
#[inline(never)]
fn cells_do_not_fit(pgno: PageNo, ncells: usize) -> Error {
    Error::corrupt(pgno, format!("{ncells} cells do not fit on the page"))
}

impl<'a> Node<'a> {
    /// Parses a page's header and checks that the cell pointer array fits.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "parsed for every cell a scan reads; as a call, its result goes through memory"
    )]
    pub fn parse(data: &'a [u8], pgno: PageNo, usable: usize) -> Result<Self> {
        let hdr = header_offset(pgno);
        let kind = PageKind::from_byte(data[hdr], pgno)?;
        let ncells = get_u16(data, hdr + 3) as usize;
        let ptr_end = hdr + kind.header_size() + 2 * ncells;
        if ptr_end > usable {
            return Err(cells_do_not_fit(pgno, ncells));
        }
        Ok(Node { data, pgno, kind, hdr, usable, ncells })
    }

    /// The right-most child of an interior page.
    #[must_use]
    pub fn right_child(&self) -> u32 {
        get_u32(self.data, self.hdr + 8)
    }

    /// First byte of the cell content area.
    #[must_use]
    pub fn content_start(&self) -> usize {
        let v = get_u16(self.data, self.hdr + 5) as usize;
        if v == 0 {
            65536
        } else {
            v
        }
    }

    /// Fragmented free bytes.
    #[must_use]
    pub fn frag(&self) -> usize {
        self.data[self.hdr + 7] as usize
    }

    /// End of the cell pointer array.
    #[must_use]
    pub fn ptr_end(&self) -> usize {
        self.hdr + self.kind.header_size() + 2 * self.ncells
    }

    /// Offset of cell `i`, checked to lie inside the content area.
    #[inline]
    pub fn cell_offset(&self, i: usize) -> Result<usize> {
        let off = get_u16(self.data, self.hdr + self.kind.header_size() + 2 * i) as usize;
        if off < self.ptr_end() || off >= self.usable {
            return Err(bad_cell_offset(self.pgno, i, off));
        }
        Ok(off)
    }

    /// The rowid of cell `i` of a table page, decoding nothing else.
    pub fn rowid_at(&self, i: usize) -> Result<i64> {
        let off = self.cell_offset(i)?;
        let d = &self.data[..self.usable];
        let bad = || Error::corrupt(self.pgno, format!("cell at offset {off} runs off the page"));
        let p = match self.kind {
            PageKind::TableInterior => off + 4,
            PageKind::TableLeaf => {
                let (_, n) = get_varint(d.get(off..).ok_or_else(bad)?).ok_or_else(bad)?;
                off + n
            }
            _ => return Err(Error::corrupt(self.pgno, "rowid asked of an index page")),
        };
        let (rowid, _) = get_varint(d.get(p..).ok_or_else(bad)?).ok_or_else(bad)?;
        Ok(rowid as i64)
    }

    /// Table interior pages: the child whose subtree holds `rowid` (the first cell whose key is
    /// not below it, or `ncells` for the right-most child).
    pub fn child_index_for_rowid(&self, rowid: i64) -> Result<usize> {
        let (mut lo, mut hi) = (0, self.ncells);
        while lo < hi {
            let mid = lo.midpoint(hi);
            if self.rowid_at(mid)? < rowid {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// Table leaves: the cell holding `rowid` and `true`, or where it would go and `false`.
    pub fn search_rowid(&self, rowid: i64) -> Result<(usize, bool)> {
        let (mut lo, mut hi) = (0, self.ncells);
        while lo < hi {
            let mid = lo.midpoint(hi);
            match self.rowid_at(mid)?.cmp(&rowid) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok((mid, true)),
            }
        }
        Ok((lo, false))
    }

    /// Index pages: the payload of cell `i` when it lies wholly on the page, `None` when it
    /// spills to overflow pages (then [`Node::cell`] tells where). Decodes only the payload
    /// size, for searches that compare a cell's key and nothing else.
    #[inline]
    pub fn index_payload(&self, i: usize) -> Result<Option<&'a [u8]>> {
        let off = self.cell_offset(i)?;
        let p = match self.kind {
            PageKind::IndexLeaf => off,
            PageKind::IndexInterior => off + 4,
            _ => return Err(Error::corrupt(self.pgno, "index payload asked of a table page")),
        };
        let d = &self.data[..self.usable];
        let (len, n) =
            d.get(p..).and_then(get_varint).ok_or_else(|| cell_off_page(self.pgno, off))?;
        let u = self.usable as u64;
        if len > (u - 12) * 64 / 255 - 23 {
            return Ok(None);
        }
        let start = p + n;
        d.get(start..start + len as usize).map(Some).ok_or_else(|| cell_off_page(self.pgno, off))
    }

    /// Decodes cell `i`.
    #[inline]
    pub fn cell(&self, i: usize) -> Result<CellInfo> {
        let off = self.cell_offset(i)?;
        self.cell_at(off)
    }

    /// Decodes the cell at byte offset `off`.
    pub fn cell_at(&self, off: usize) -> Result<CellInfo> {
        let d = &self.data[..self.usable];
        let bad = || Error::corrupt(self.pgno, format!("cell at offset {off} runs off the page"));
        let mut p = off;
        let mut info = CellInfo {
            left_child: 0,
            rowid: 0,
            payload_len: 0,
            payload_off: 0,
            local_len: 0,
            overflow: 0,
            size: 0,
        };
        if !self.kind.is_leaf() {
            if p + 4 > d.len() {
                return Err(bad());
            }
            info.left_child = get_u32(d, p);
            p += 4;
        }
        if self.kind == PageKind::TableInterior {
            let (rowid, n) = get_varint(&d[p..]).ok_or_else(bad)?;
            info.rowid = rowid as i64;
            info.size = (p + n - off).max(4);
            return Ok(info);
        }
        let (len, n) = get_varint(&d[p..]).ok_or_else(bad)?;
        p += n;
        if self.kind == PageKind::TableLeaf {
            let (rowid, n) = get_varint(&d[p..]).ok_or_else(bad)?;
            info.rowid = rowid as i64;
            p += n;
        }
        if len > i32::MAX as u64 {
            return Err(Error::corrupt(self.pgno, format!("payload size {len} is too large")));
        }
        info.payload_len = len;
        info.payload_off = p;
        info.local_len = local_payload(self.usable, self.kind, len);
        let mut end = p + info.local_len;
        if (info.local_len as u64) < len {
            if end + 4 > d.len() {
                return Err(bad());
            }
            info.overflow = get_u32(d, end);
            if info.overflow == 0 {
                return Err(Error::corrupt(self.pgno, "overflow page number 0 in a cell"));
            }
            end += 4;
        }
        if end > d.len() {
            return Err(bad());
        }
        info.size = (end - off).max(4);
        Ok(info)
    }

    /// The raw bytes of cell `i` (its full extent on the page).
    pub fn cell_bytes(&self, i: usize) -> Result<&'a [u8]> {
        let off = self.cell_offset(i)?;
        let info = self.cell_at(off)?;
        // A cell shorter than 4 bytes is padded to 4 in the content area.
        let end = (off + info.size).min(self.usable);
        Ok(&self.data[off..end])
    }

    /// Child page `i` of an interior page (`i == ncells` is the right-most child).
    pub fn child(&self, i: usize) -> Result<PageNo> {
        let c = if i == self.ncells {
            self.right_child()
        } else {
            let off = self.cell_offset(i)?;
            if off + 4 > self.usable {
                return Err(Error::corrupt(
                    self.pgno,
                    format!("cell {i} at {off} runs off the page"),
                ));
            }
            get_u32(self.data, off)
        };
        if c == 0 {
            return Err(Error::corrupt(self.pgno, format!("child {i} is page 0")));
        }
        Ok(PageNo(c))
    }

    /// Free bytes: the gap plus freeblocks plus fragments. Walks freeblocks with a bound.
    pub fn free_bytes(&self) -> Result<usize> {
        let mut total = self.content_start().saturating_sub(self.ptr_end()) + self.frag();
        let mut fb = get_u16(self.data, self.hdr + 1) as usize;
        let mut guard = 0;
        while fb != 0 {
            if fb + 4 > self.usable || guard > self.usable / 4 {
                return Err(Error::corrupt(self.pgno, "freeblock list out of bounds"));
            }
            total += get_u16(self.data, fb + 2) as usize;
            fb = get_u16(self.data, fb) as usize;
            guard += 1;
        }
        Ok(total)
    }
}

/// Writes a complete page from a list of cells (a defragmented layout). `cells` must fit.
pub fn write_page(
    data: &mut [u8],
    pgno: PageNo,
    usable: usize,
    kind: PageKind,
    cells: &[&[u8]],
    right_child: u32,
) {
    let hdr = header_offset(pgno);
    let hsize = kind.header_size();
    data[hdr] = kind.to_byte();
    put_u16(data, hdr + 1, 0);
    put_u16(data, hdr + 3, cells.len() as u16);
    data[hdr + 7] = 0;
    if !kind.is_leaf() {
        put_u32(data, hdr + 8, right_child);
    }
    let mut content = usable;
    for (i, c) in cells.iter().enumerate() {
        let size = c.len().max(4);
        content -= size;
        data[content..content + c.len()].copy_from_slice(c);
        data[content + c.len()..content + size].fill(0);
        put_u16(data, hdr + hsize + 2 * i, content as u16);
    }
    let ptr_end = hdr + hsize + 2 * cells.len();
    data[ptr_end..content].fill(0);
    put_u16(data, hdr + 5, if content == 65536 { 0 } else { content as u16 });
}

/// Space a list of cells needs on a page: content plus pointers.
#[must_use]
pub fn cells_size(cells: &[Vec<u8>]) -> usize {
    cells.iter().map(|c| c.len().max(4) + 2).sum()
}

/// Bytes available for cells and pointers on an empty page.
#[must_use]
pub fn page_capacity(pgno: PageNo, usable: usize, kind: PageKind) -> usize {
    usable - header_offset(pgno) - kind.header_size()
}

/// Tries to insert `cell` as cell number `idx` in place. Returns false if the page lacks room
/// (the caller then balances). Defragments when the free space is there but not contiguous.
pub fn insert_cell(
    data: &mut [u8],
    pgno: PageNo,
    usable: usize,
    idx: usize,
    cell: &[u8],
) -> Result<bool> {
    let node = Node::parse(data, pgno, usable)?;
    if node.content_start() > usable {
        // The new cell would be written below a content area that starts past the page.
        return Err(Error::corrupt(
            pgno,
            format!("cell content area starts at {} past the page end", node.content_start()),
        ));
    }
    let size = cell.len().max(4);
    let need = size + 2;
    let gap = node.content_start().saturating_sub(node.ptr_end());
    let hdr = node.hdr;
    // Where the cell goes: below the content area when the gap has room, else in a freeblock
    // big enough (the gap then only needs room for the pointer), else after defragmenting.
    let slot =
        if gap < need && gap >= 2 { find_slot(data, pgno, hdr, usable, size)? } else { None };
    if gap < need && slot.is_none() {
        // `find_slot` changed nothing: the page as it was.
        if Node::parse(data, pgno, usable)?.free_bytes()? < need {
            return Ok(false);
        }
        defragment(data, pgno, usable)?;
    }
    let (ptrs, n, content_start, ptr_end) = {
        let node = Node::parse(data, pgno, usable)?;
        (hdr + node.kind.header_size(), node.ncells, node.content_start(), node.ptr_end())
    };
    let content = if let Some(off) = slot {
        off
    } else {
        if content_start < ptr_end + need {
            // Freeblocks or the fragment count claimed space that defragmenting did not find.
            return Err(Error::corrupt(
                pgno,
                "the page's free space is less than its header claims",
            ));
        }
        let content = content_start - size;
        put_u16(data, hdr + 5, content as u16);
        content
    };
    data[content..content + cell.len()].copy_from_slice(cell);
    data[content + cell.len()..content + size].fill(0);
    data.copy_within(ptrs + 2 * idx..ptrs + 2 * n, ptrs + 2 * idx + 2);
    put_u16(data, ptrs + 2 * idx, content as u16);
    put_u16(data, hdr + 3, (n + 1) as u16);
    Ok(true)
}

/// SQLite's `pageFindSlot`: takes `size` bytes from the first freeblock that holds them and
/// returns their offset, or `None` when no freeblock is big enough (or the fragments would pass
/// SQLite's limit of 60 bytes). The cell takes the end of the block; a remainder under 4 bytes
/// becomes fragment bytes.
fn find_slot(
    data: &mut [u8],
    pgno: PageNo,
    hdr: usize,
    usable: usize,
    size: usize,
) -> Result<Option<usize>> {
    let mut prev_link = hdr + 1;
    let mut block = get_u16(data, prev_link) as usize;
    let mut guard = 0;
    while block != 0 {
        guard += 1;
        if block + 4 > usable || guard > usable / 4 {
            return Err(Error::corrupt(pgno, "freeblock list out of bounds"));
        }
        let next = get_u16(data, block) as usize;
        let bsize = get_u16(data, block + 2) as usize;
        if block + bsize > usable || next != 0 && next < block + bsize {
            return Err(Error::corrupt(pgno, "freeblocks overlap or run past the page"));
        }
        if bsize >= size {
            let rest = bsize - size;
            if rest >= 4 {
                put_u16(data, block + 2, rest as u16);
                return Ok(Some(block + rest));
            }
            if data[hdr + 7] > 57 {
                return Ok(None);
            }
            put_u16(data, prev_link, next as u16);
            data[hdr + 7] += rest as u8;
            return Ok(Some(block));
        }
        prev_link = block;
        block = next;
    }
    Ok(None)
}

/// Removes cell `idx`, turning its space into a freeblock (merged with adjacent ones).
pub fn drop_cell(data: &mut [u8], pgno: PageNo, usable: usize, idx: usize) -> Result<()> {
    let node = Node::parse(data, pgno, usable)?;
    let off = node.cell_offset(idx)?;
    let size = node.cell_at(off)?.size;
    if off + size > usable {
        return Err(Error::corrupt(pgno, "cell extends past the usable area"));
    }
    let hdr = node.hdr;
    let ptrs = hdr + node.kind.header_size();
    let n = node.ncells;
    data.copy_within(ptrs + 2 * idx + 2..ptrs + 2 * n, ptrs + 2 * idx);
    put_u16(data, hdr + 3, (n - 1) as u16);
    free_space(data, pgno, hdr, usable, off, size)
}

/// Adds `[off, off+size)` to the sorted freeblock list, merging with neighbours less than 4 bytes
/// away, or to the cell content area when it starts there (SQLite's `freeSpace`).
fn free_space(
    data: &mut [u8],
    pgno: PageNo,
    hdr: usize,
    usable: usize,
    off: usize,
    size: usize,
) -> Result<()> {
    // Find the insertion point: `prev` is the freeblock before `off` (or the header slot).
    let mut prev_link = hdr + 1;
    let mut prev_block: Option<usize> = None;
    let mut next = get_u16(data, prev_link) as usize;
    let mut guard = 0;
    while next != 0 && next < off {
        if next + 4 > usable || guard > usable / 4 {
            return Err(Error::corrupt(pgno, "freeblock list out of bounds"));
        }
        prev_block = Some(next);
        prev_link = next;
        next = get_u16(data, next) as usize;
        guard += 1;
    }
    if next != 0 && (next + 4 > usable || next < off + size) {
        return Err(Error::corrupt(pgno, "freeblock overlaps a cell"));
    }
    // As SQLite's `freeSpace`: a neighbouring freeblock less than 4 bytes away is merged, the
    // fragment bytes between them included. SQLite reports freeblocks closer than that as
    // corruption (`btreeComputeFreeSpace`).
    let (mut start, mut end) = (off, off + size);
    let mut absorbed = 0;
    if next != 0 && end + 3 >= next {
        absorbed = next - end;
        end = next + get_u16(data, next + 2) as usize;
        if end > usable {
            return Err(Error::corrupt(pgno, "freeblock runs past the page end"));
        }
        next = get_u16(data, next) as usize;
    }
    let mut merged_prev = false;
    if let Some(p) = prev_block {
        let p_end = p + get_u16(data, p + 2) as usize;
        if p_end > off {
            return Err(Error::corrupt(pgno, "freeblock overlaps a cell"));
        }
        if p_end + 3 >= off {
            absorbed += off - p_end;
            start = p;
            merged_prev = true;
        }
    }
    let frag = data[hdr + 7] as usize;
    if absorbed > frag {
        return Err(Error::corrupt(pgno, "fragment count is less than the gaps between cells"));
    }
    data[hdr + 7] = (frag - absorbed) as u8;
    // Space at the start of the cell content area extends that area instead of becoming a
    // freeblock: SQLite never has a freeblock there and reports one as corruption when it frees
    // the next cell (`freeSpace`).
    let content = match get_u16(data, hdr + 5) {
        0 => 65536,
        c => c as usize,
    };
    if start <= content {
        let first = get_u16(data, hdr + 1) as usize;
        if start < content || (prev_block.is_some() && (!merged_prev || first != start)) {
            return Err(Error::corrupt(pgno, "freeblock before the cell content area"));
        }
        put_u16(data, hdr + 1, next as u16);
        put_u16(data, hdr + 5, end as u16);
        return Ok(());
    }
    put_u16(data, start, next as u16);
    put_u16(data, start + 2, (end - start) as u16);
    if !merged_prev {
        put_u16(data, prev_link, start as u16);
    }
    Ok(())
}

/// Rewrites a page with its cells packed at the end and no freeblocks.
pub fn defragment(data: &mut [u8], pgno: PageNo, usable: usize) -> Result<()> {
    let node = Node::parse(data, pgno, usable)?;
    let kind = node.kind;
    let right = if kind.is_leaf() { 0 } else { node.right_child() };
    let cells: Vec<Vec<u8>> =
        (0..node.ncells).map(|i| node.cell_bytes(i).map(<[u8]>::to_vec)).collect::<Result<_>>()?;
    if cells_size(&cells) > page_capacity(pgno, usable, kind) {
        // Only cells that overlap (pointers sharing bytes) can add up to more than the page.
        return Err(Error::corrupt(pgno, "cells overlap: together they exceed the page"));
    }
    let refs: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
    write_page(data, pgno, usable, kind, &refs, right);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_payload_matches_sqlite_examples() {
        // 4096-byte pages: table leaf max local 4061, index max local 1002, min local 489.
        assert_eq!(local_payload(4096, PageKind::TableLeaf, 4061), 4061);
        // 489 + (4062 - 489) % 4092 = 4062 exceeds the 4061-byte maximum, so the minimum is kept.
        assert_eq!(local_payload(4096, PageKind::TableLeaf, 4062), 489);
        assert_eq!(local_payload(4096, PageKind::IndexLeaf, 1002), 1002);
        let p = 1_000_000u64;
        let k = 489 + (p - 489) % 4092;
        let expect = if k <= 1002 { k as usize } else { 489 };
        assert_eq!(local_payload(4096, PageKind::IndexLeaf, p), expect);
    }

    /// A cell of `n` bytes: a payload-length varint and `n - 1` payload bytes.
    fn cell_of(n: usize, tag: u8) -> Vec<u8> {
        let mut c = vec![tag; n];
        c[0] = (n - 1) as u8;
        c
    }

    fn freeblocks(page: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut fb = get_u16(page, 1) as usize;
        while fb != 0 {
            out.push((fb, get_u16(page, fb + 2) as usize));
            fb = get_u16(page, fb) as usize;
        }
        out
    }

    #[test]
    fn freed_space_at_the_content_start_extends_the_content_area() {
        // SQLite's `freeSpace` reports a first freeblock that starts the content area as
        // corruption, so such space must move the content start instead.
        let usable = 512;
        let mut page = vec![0u8; 512];
        let cells: Vec<Vec<u8>> = (0..4u8).map(|i| cell_of(5, i)).collect();
        let refs: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
        // Cell i lives at 512 - 5 * (i + 1); cell 3 starts the content area at 492.
        write_page(&mut page, PageNo(2), usable, PageKind::IndexLeaf, &refs, 0);
        drop_cell(&mut page, PageNo(2), usable, 2).expect("drop cell 2");
        assert_eq!(freeblocks(&page), [(497, 5)]);
        // Cell 3 at the content start, next to the freeblock: both join the gap.
        drop_cell(&mut page, PageNo(2), usable, 2).expect("drop cell 3");
        assert_eq!(freeblocks(&page), []);
        assert_eq!(get_u16(&page, 5), 502);
        // The cell at the content start alone.
        drop_cell(&mut page, PageNo(2), usable, 1).expect("drop cell 1");
        assert_eq!((freeblocks(&page), get_u16(&page, 5)), (vec![], 507));
        let node = Node::parse(&page, PageNo(2), usable).expect("parse");
        assert_eq!(node.free_bytes().expect("free"), 507 - 8 - 2);
    }

    #[test]
    fn freeing_next_to_a_fragment_merges_across_it() {
        // SQLite reports freeblocks less than 4 bytes apart as corruption; the bytes between
        // them are fragments, which a merge takes back.
        let usable = 512;
        let mut page = vec![0u8; 512];
        let cells = [cell_of(8, 1), cell_of(8, 2), cell_of(6, 3), cell_of(6, 4)];
        let refs: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
        write_page(&mut page, PageNo(2), usable, PageKind::IndexLeaf, &refs, 0);
        // As SQLite leaves pages: cell 1 shrinks to 6 bytes at 496, leaving a 2-byte fragment.
        page[496..502].copy_from_slice(&cell_of(6, 2));
        page[7] = 2;
        drop_cell(&mut page, PageNo(2), usable, 0).expect("drop cell 0");
        assert_eq!(freeblocks(&page), [(504, 8)]);
        drop_cell(&mut page, PageNo(2), usable, 0).expect("drop cell 1");
        assert_eq!(freeblocks(&page), [(496, 16)], "one block across the fragment");
        assert_eq!(page[7], 0, "the fragment was taken back");
        // With freeblocks on both sides, one of them across the fragment.
        let mut page = vec![0u8; 512];
        write_page(&mut page, PageNo(2), usable, PageKind::IndexLeaf, &refs, 0);
        page[496..502].copy_from_slice(&cell_of(6, 2));
        page[7] = 2;
        drop_cell(&mut page, PageNo(2), usable, 2).expect("drop cell 2 (490..496)");
        drop_cell(&mut page, PageNo(2), usable, 0).expect("drop cell 0 (504..512)");
        drop_cell(&mut page, PageNo(2), usable, 0).expect("drop cell 1 (496..502)");
        assert_eq!(freeblocks(&page), [(490, 22)]);
        assert_eq!(page[7], 0);
    }

    #[test]
    fn inserts_fill_freeblocks_before_defragmenting() {
        // A full page with a hole: the new cell goes into the freeblock (its end), the gap
        // gives only the pointer, and no cell moves.
        let usable = 512;
        let mut page = vec![0u8; 512];
        let cells: Vec<Vec<u8>> = (0..42u8).map(|i| cell_of(10, i)).collect();
        let refs: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
        write_page(&mut page, PageNo(2), usable, PageKind::IndexLeaf, &refs, 0);
        let gap = |p: &[u8]| {
            let n = Node::parse(p, PageNo(2), usable).expect("parse");
            n.content_start() - n.ptr_end()
        };
        assert_eq!(gap(&page), 0, "the page is full");
        drop_cell(&mut page, PageNo(2), usable, 10).expect("drop a 10-byte cell");
        let hole = freeblocks(&page);
        assert_eq!(hole.len(), 1);
        let start = get_u16(&page, 5);
        // 6 bytes: the block keeps its first 4 bytes.
        assert!(insert_cell(&mut page, PageNo(2), usable, 10, &cell_of(6, 99)).expect("insert"));
        assert_eq!(freeblocks(&page), [(hole[0].0, 4)]);
        assert_eq!(get_u16(&page, 5), start, "the content area did not move");
        let node = Node::parse(&page, PageNo(2), usable).expect("parse");
        assert_eq!(node.cell_bytes(10).expect("cell"), cell_of(6, 99).as_slice());
        assert_eq!(node.cell_bytes(11).expect("cell"), cells[11].as_slice());
        // 2 bytes would be left: they become fragment bytes and the block goes.
        drop_cell(&mut page, PageNo(2), usable, 20).expect("drop");
        assert!(insert_cell(&mut page, PageNo(2), usable, 20, &cell_of(8, 98)).expect("insert"));
        assert_eq!(freeblocks(&page), [(hole[0].0, 4)]);
        assert_eq!(page[7], 2);
        let node = Node::parse(&page, PageNo(2), usable).expect("parse");
        assert_eq!(node.cell_bytes(20).expect("cell"), cell_of(8, 98).as_slice());
        let used: usize =
            (0..node.ncells).map(|i| node.cell_bytes(i).expect("cell").len() + 2).sum();
        let cap = page_capacity(PageNo(2), usable, PageKind::IndexLeaf);
        assert_eq!(used + node.free_bytes().expect("free"), cap, "every byte accounted for");
    }

    #[test]
    fn insert_drop_and_defragment_keep_cells() {
        let usable = 512;
        let mut page = vec![0u8; 512];
        write_page(&mut page, PageNo(2), usable, PageKind::IndexLeaf, &[], 0);
        let cells: Vec<Vec<u8>> = (0..10u8).map(|i| vec![3, 1, i]).collect();
        for (i, c) in cells.iter().enumerate() {
            assert!(insert_cell(&mut page, PageNo(2), usable, i, c).expect("insert"));
        }
        drop_cell(&mut page, PageNo(2), usable, 3).expect("drop");
        drop_cell(&mut page, PageNo(2), usable, 3).expect("drop");
        let node = Node::parse(&page, PageNo(2), usable).expect("parse");
        assert_eq!(node.ncells, 8);
        assert_eq!(node.free_bytes().expect("free"), 512 - 8 - 8 * 6);
        assert_eq!(node.cell_bytes(3).expect("cell")[..3], [3, 1, 5]);
        defragment(&mut page, PageNo(2), usable).expect("defrag");
        let node = Node::parse(&page, PageNo(2), usable).expect("parse");
        assert_eq!(node.cell_bytes(7).expect("cell")[..3], [3, 1, 9]);
        assert_eq!(get_u16(&page, 1), 0);
    }
}
