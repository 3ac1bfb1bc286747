//! Creating, dropping and changing b-trees: insert and delete in table and index b-trees.

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::storage::format::{put_u32, put_varint, PageNo};
use crate::storage::pager::Pager;
use crate::storage::record::{compare_records, KeyInfo};

use super::balance::{rebalance, Content};
use super::cell::{build_leaf_cell, check_overflow_fits, free_overflow, read_overflow};
use super::page::{
    cells_size, drop_cell, header_offset, insert_cell, page_capacity, write_page, Node, PageKind,
    MAX_DEPTH,
};

/// Which kind of b-tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeKind {
    /// Keyed by a 64-bit rowid, with the record as data.
    Table,
    /// Keyed by a record, no data.
    Index,
}

/// A path from the root: each page visited and the child (or cell) index taken there.
pub type Path = Vec<(PageNo, usize)>;

/// Creates an empty b-tree and returns its root page.
pub fn create_tree(pager: &mut Pager, kind: TreeKind) -> Result<PageNo> {
    let root = pager.allocate()?;
    let usable = pager.usable_size();
    let page_kind = match kind {
        TreeKind::Table => PageKind::TableLeaf,
        TreeKind::Index => PageKind::IndexLeaf,
    };
    write_page(pager.get_mut(root)?, root, usable, page_kind, &[], 0);
    Ok(root)
}

/// Frees every page of a b-tree, its root included (unless the root is page 1, which is
/// emptied instead).
pub fn drop_tree(pager: &mut Pager, root: PageNo) -> Result<()> {
    let usable = pager.usable_size();
    let mut seen = HashSet::new();
    let mut stack = vec![(root, 0usize)];
    let mut leaf_kind = PageKind::TableLeaf;
    while let Some((pg, depth)) = stack.pop() {
        if depth > MAX_DEPTH || !seen.insert(pg) {
            return Err(Error::corrupt(pg, "b-tree page reached twice (cycle?)"));
        }
        let node = Node::parse(pager.get(pg)?, pg, usable)?;
        leaf_kind = node.kind.leaf();
        let mut infos = Vec::with_capacity(node.ncells);
        for i in 0..node.ncells {
            let info = node.cell(i)?;
            if !node.kind.is_leaf() {
                stack.push((PageNo(info.left_child), depth + 1));
            }
            infos.push(info);
        }
        if !node.kind.is_leaf() {
            stack.push((PageNo(node.right_child()), depth + 1));
        }
        for info in &infos {
            free_overflow(pager, info)?;
        }
        if pg != root {
            pager.free(pg)?;
        }
    }
    if root.0 == 1 {
        write_page(pager.get_mut(root)?, root, usable, leaf_kind, &[], 0);
    } else {
        pager.free(root)?;
    }
    Ok(())
}

fn too_deep(pg: PageNo) -> Error {
    Error::corrupt(pg, format!("b-tree deeper than {MAX_DEPTH} levels (cycle?)"))
}

/// Descends a table b-tree to the leaf where `rowid` is or would be.
pub(super) fn table_path(pager: &mut Pager, root: PageNo, rowid: i64) -> Result<(Path, bool)> {
    let usable = pager.usable_size();
    let mut path = Vec::with_capacity(6);
    let mut pg = root;
    loop {
        if path.len() >= MAX_DEPTH {
            return Err(too_deep(pg));
        }
        let node = Node::parse(pager.get(pg)?, pg, usable)?;
        match node.kind {
            PageKind::TableInterior => {
                let lo = node.child_index_for_rowid(rowid)?;
                path.push((pg, lo));
                pg = node.child(lo)?;
            }
            PageKind::TableLeaf => {
                let (i, found) = node.search_rowid(rowid)?;
                path.push((pg, i));
                return Ok((path, found));
            }
            _ => return Err(Error::corrupt(pg, "index page inside a table b-tree")),
        }
    }
}

/// Compares the key of index cell `i` on page `pg` with `probe` using `cmp`.
pub(super) fn compare_cell(
    pager: &mut Pager,
    pg: PageNo,
    i: usize,
    cmp: &mut dyn FnMut(&[u8]) -> Result<Ordering>,
) -> Result<Ordering> {
    let usable = pager.usable_size();
    let db_size = pager.db_size();
    let node = Node::parse(pager.get(pg)?, pg, usable)?;
    let info = node.cell(i)?;
    let local = &node.data[info.payload_off..info.payload_off + info.local_len];
    if info.overflow == 0 {
        return cmp(local);
    }
    check_overflow_fits(&info, usable, db_size, pg)?;
    let mut buf = Vec::with_capacity(info.payload_len as usize);
    buf.extend_from_slice(local);
    read_overflow(pager, &info, &mut buf)?;
    cmp(&buf)
}

/// Descends an index b-tree looking for the first entry not less than the probe (as `cmp`
/// orders cell keys against it). Returns the path and whether an equal entry was found (then
/// the path ends at it, on a leaf or an interior page).
pub(super) fn index_path(
    pager: &mut Pager,
    root: PageNo,
    cmp: &mut dyn FnMut(&[u8]) -> Result<Ordering>,
) -> Result<(Path, bool)> {
    let usable = pager.usable_size();
    let mut path = Vec::with_capacity(6);
    let mut pg = root;
    loop {
        if path.len() >= MAX_DEPTH {
            return Err(too_deep(pg));
        }
        let node = Node::parse(pager.get(pg)?, pg, usable)?;
        if node.kind.is_table() {
            return Err(Error::corrupt(pg, "table page inside an index b-tree"));
        }
        let (ncells, leaf) = (node.ncells, node.kind.is_leaf());
        let (mut lo, mut hi) = (0, ncells);
        while lo < hi {
            // Cells whose payload is all on the page compare in place, on one parse of the
            // page; a cell with overflow pages is read whole first.
            let (mid, ord) = {
                let node = Node::parse(pager.get(pg)?, pg, usable)?;
                let mut spilled = None;
                let mut found = None;
                while lo < hi {
                    let mid = lo.midpoint(hi);
                    let info = node.cell(mid)?;
                    if info.overflow != 0 {
                        spilled = Some(mid);
                        break;
                    }
                    match cmp(&node.data[info.payload_off..info.payload_off + info.local_len])? {
                        Ordering::Less => lo = mid + 1,
                        Ordering::Greater => hi = mid,
                        Ordering::Equal => {
                            found = Some(mid);
                            break;
                        }
                    }
                }
                match (found, spilled) {
                    (Some(mid), _) => (mid, Ordering::Equal),
                    (None, Some(mid)) => (mid, compare_cell(pager, pg, mid, cmp)?),
                    (None, None) => break,
                }
            };
            match ord {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => {
                    path.push((pg, mid));
                    return Ok((path, true));
                }
            }
        }
        path.push((pg, lo));
        if leaf {
            return Ok((path, false));
        }
        let node = Node::parse(pager.get(pg)?, pg, usable)?;
        pg = node.child(lo)?;
    }
}

/// Inserts `cell` at `path`'s leaf position, balancing if the leaf is full.
fn insert_at(pager: &mut Pager, path: &Path, cell: Vec<u8>) -> Result<()> {
    let usable = pager.usable_size();
    let depth = path.len() - 1;
    let (leaf, idx) = path[depth];
    if insert_cell(pager.get_mut(leaf)?, leaf, usable, idx, &cell)? {
        return Ok(());
    }
    let node = Node::parse(pager.get(leaf)?, leaf, usable)?;
    let (kind, ncells) = (node.kind, node.ncells);
    if kind == PageKind::TableLeaf && idx == ncells && depth > 0 && ncells > 0 {
        let last_rowid = node.cell(ncells - 1)?.rowid;
        if is_rightmost(pager, path)? {
            return balance_quick(pager, path, &cell, last_rowid);
        }
    }
    if kind == PageKind::IndexLeaf
        && idx == ncells
        && depth > 0
        && ncells > 1
        && is_rightmost(pager, path)?
    {
        return balance_quick_index(pager, path, &cell);
    }
    let mut content = Content::read(pager, leaf)?;
    content.cells.insert(idx, cell);
    if depth > 0 && split_leaf(pager, path, &content)? {
        return Ok(());
    }
    rebalance(pager, path, depth, content)
}

/// A full non-root leaf that gained a cell splits in two: the first half stays on the page, the
/// second goes to a new page, and one divider goes into the parent in place. That touches two
/// leaves and one parent cell, where the three-sibling [`rebalance`] reads and rewrites three
/// leaves and the whole parent; random inserts split often, so this is their common case.
/// Returns `false`, having changed nothing, when the halves would not fit (then the caller
/// rebalances).
fn split_leaf(pager: &mut Pager, path: &Path, content: &Content) -> Result<bool> {
    let usable = pager.usable_size();
    let depth = path.len() - 1;
    let (leaf, _) = path[depth];
    let (parent, pidx) = path[depth - 1];
    let kind = content.kind;
    let cells = &content.cells;
    // An index leaf's divider moves up (it belongs to neither half).
    let consume = kind == PageKind::IndexLeaf;
    if cells.len() < 3 || !kind.is_leaf() {
        return Ok(false);
    }
    let total = cells_size(cells);
    let mut acc = 0;
    let mut mid = 0;
    while mid < cells.len() - 1 && acc + cells[mid].len().max(4) + 2 <= total / 2 {
        acc += cells[mid].len().max(4) + 2;
        mid += 1;
    }
    let mid = mid.clamp(1, cells.len() - 2);
    let (left, right) = if consume {
        (&cells[..mid], &cells[mid + 1..])
    } else {
        (&cells[..=mid], &cells[mid + 1..])
    };
    let cap = page_capacity(leaf, usable, kind);
    if left.is_empty() || right.is_empty() || cells_size(left) > cap || cells_size(right) > cap {
        return Ok(false);
    }
    let mut div = leaf.0.to_be_bytes().to_vec();
    if consume {
        div.extend_from_slice(&cells[mid]);
    } else {
        let last = &cells[mid];
        let bad = || Error::corrupt(leaf, "truncated table-leaf cell");
        let (_, n) = crate::storage::format::get_varint(last).ok_or_else(bad)?;
        let (rowid, _) = crate::storage::format::get_varint(&last[n..]).ok_or_else(bad)?;
        put_varint(&mut div, rowid);
    }
    let new = pager.allocate()?;
    let lrefs: Vec<&[u8]> = left.iter().map(Vec::as_slice).collect();
    let rrefs: Vec<&[u8]> = right.iter().map(Vec::as_slice).collect();
    write_page(pager.get_mut(leaf)?, leaf, usable, kind, &lrefs, 0);
    write_page(pager.get_mut(new)?, new, usable, kind, &rrefs, 0);
    // The parent's pointer to the old leaf now points to the new right half; the divider,
    // whose left child is the old page, goes in front of it.
    let data = pager.get_mut(parent)?;
    let node = Node::parse(data, parent, usable)?;
    if pidx > node.ncells {
        return Err(Error::corrupt(parent, "child index out of range"));
    }
    if pidx == node.ncells {
        put_u32(data, header_offset(parent) + 8, new.0);
    } else {
        let off = node.cell_offset(pidx)?;
        put_u32(data, off, new.0);
    }
    if insert_cell(data, parent, usable, pidx, &div)? {
        return Ok(true);
    }
    let mut pcontent = Content::read(pager, parent)?;
    pcontent.cells.insert(pidx, div);
    rebalance(pager, path, depth - 1, pcontent)?;
    Ok(true)
}

fn is_rightmost(pager: &mut Pager, path: &Path) -> Result<bool> {
    let usable = pager.usable_size();
    for &(pg, i) in &path[..path.len() - 1] {
        if Node::parse(pager.get(pg)?, pg, usable)?.ncells != i {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Appending past the right-most leaf of a table: the new row goes alone on a new right-most
/// leaf, leaving the full leaf full (SQLite's `balance_quick`), which packs bulk appends densely.
fn balance_quick(pager: &mut Pager, path: &Path, cell: &[u8], last_rowid: i64) -> Result<()> {
    let usable = pager.usable_size();
    let depth = path.len() - 1;
    let (leaf, _) = path[depth];
    let new = pager.allocate()?;
    write_page(pager.get_mut(new)?, new, usable, PageKind::TableLeaf, &[cell], 0);
    let (parent, pidx) = path[depth - 1];
    let mut div = leaf.0.to_be_bytes().to_vec();
    put_varint(&mut div, last_rowid as u64);
    let data = pager.get_mut(parent)?;
    if insert_cell(data, parent, usable, pidx, &div)? {
        put_u32(data, header_offset(parent) + 8, new.0);
        return Ok(());
    }
    let mut content = Content::read(pager, parent)?;
    content.cells.push(div);
    content.right = new.0;
    rebalance(pager, path, depth - 1, content)
}

/// Appending past the right-most leaf of an index: the leaf's last entry moves up as the
/// divider and the new entry starts a new right-most leaf, so that sequential keys fill leaves
/// instead of leaving them two-thirds full.
fn balance_quick_index(pager: &mut Pager, path: &Path, cell: &[u8]) -> Result<()> {
    let usable = pager.usable_size();
    let depth = path.len() - 1;
    let (leaf, _) = path[depth];
    let node = Node::parse(pager.get(leaf)?, leaf, usable)?;
    let last = node.ncells - 1;
    let divider_payload = node.cell_bytes(last)?.to_vec();
    drop_cell(pager.get_mut(leaf)?, leaf, usable, last)?;
    let new = pager.allocate()?;
    write_page(pager.get_mut(new)?, new, usable, PageKind::IndexLeaf, &[cell], 0);
    let (parent, pidx) = path[depth - 1];
    let mut div = leaf.0.to_be_bytes().to_vec();
    div.extend_from_slice(&divider_payload);
    let data = pager.get_mut(parent)?;
    if insert_cell(data, parent, usable, pidx, &div)? {
        put_u32(data, header_offset(parent) + 8, new.0);
        return Ok(());
    }
    let mut content = Content::read(pager, parent)?;
    content.cells.push(div);
    content.right = new.0;
    rebalance(pager, path, depth - 1, content)
}

/// After removing a cell from the page at the end of `path`, merges it with its siblings if it
/// became underfull.
fn after_delete(pager: &mut Pager, path: &Path) -> Result<()> {
    let depth = path.len() - 1;
    if depth == 0 {
        return Ok(());
    }
    let (pg, _) = path[depth];
    // The page's use from its header and free list, without copying its cells: what cells and
    // their pointers take is the page's capacity less its free bytes.
    let usable = pager.usable_size();
    let node = Node::parse(pager.get(pg)?, pg, usable)?;
    let cap = page_capacity(pg, usable, node.kind);
    if node.ncells == 0 || cap.saturating_sub(node.free_bytes()?) < cap / 3 {
        let content = Content::read(pager, pg)?;
        rebalance(pager, path, depth, content)?;
    }
    Ok(())
}

/// Inserts or replaces the row `rowid` of a table b-tree.
pub fn table_insert(pager: &mut Pager, root: PageNo, rowid: i64, payload: &[u8]) -> Result<()> {
    let (path, found) = table_path(pager, root, rowid)?;
    let usable = pager.usable_size();
    let (leaf, idx) = *path.last().expect("a path has a leaf");
    if found {
        let info = Node::parse(pager.get(leaf)?, leaf, usable)?.cell(idx)?;
        free_overflow(pager, &info)?;
        drop_cell(pager.get_mut(leaf)?, leaf, usable, idx)?;
    }
    let cell = build_leaf_cell(pager, PageKind::TableLeaf, rowid, payload)?;
    insert_at(pager, &path, cell)
}

/// Deletes the row `rowid`; returns whether it existed.
pub fn table_delete(pager: &mut Pager, root: PageNo, rowid: i64) -> Result<bool> {
    let (path, found) = table_path(pager, root, rowid)?;
    if !found {
        return Ok(false);
    }
    let usable = pager.usable_size();
    let (leaf, idx) = *path.last().expect("a path has a leaf");
    let info = Node::parse(pager.get(leaf)?, leaf, usable)?.cell(idx)?;
    free_overflow(pager, &info)?;
    drop_cell(pager.get_mut(leaf)?, leaf, usable, idx)?;
    after_delete(pager, &path)?;
    Ok(true)
}

/// Inserts an index entry (a record whose last field is normally the rowid). Inserting an entry
/// that is already present changes nothing.
pub fn index_insert(pager: &mut Pager, root: PageNo, info: &KeyInfo, record: &[u8]) -> Result<()> {
    let (path, found) = index_path(pager, root, &mut |cell| compare_records(cell, record, info))?;
    if found {
        return Ok(());
    }
    let cell = build_leaf_cell(pager, PageKind::IndexLeaf, 0, record)?;
    insert_at(pager, &path, cell)
}

/// Appends an index entry that sorts after every entry already in the tree (copying a tree in
/// order, as `VACUUM` does): no key comparison is made, so the caller guarantees the order.
/// Appends fill leaves densely (see [`balance_quick_index`]).
pub fn index_append(pager: &mut Pager, root: PageNo, record: &[u8]) -> Result<()> {
    let usable = pager.usable_size();
    let mut path = Vec::with_capacity(6);
    let mut pg = root;
    loop {
        if path.len() >= MAX_DEPTH {
            return Err(too_deep(pg));
        }
        let node = Node::parse(pager.get(pg)?, pg, usable)?;
        if node.kind.is_table() {
            return Err(Error::corrupt(pg, "table page inside an index b-tree"));
        }
        path.push((pg, node.ncells));
        if node.kind.is_leaf() {
            break;
        }
        pg = PageNo(node.right_child());
    }
    let cell = build_leaf_cell(pager, PageKind::IndexLeaf, 0, record)?;
    insert_at(pager, &path, cell)
}

/// Whether the b-tree rooted at `root` is a table or an index b-tree, from its root page.
pub fn tree_kind(pager: &mut Pager, root: PageNo) -> Result<TreeKind> {
    let usable = pager.usable_size();
    let node = Node::parse(pager.get(root)?, root, usable)?;
    Ok(if node.kind.is_table() { TreeKind::Table } else { TreeKind::Index })
}

/// Deletes an index entry; returns whether it existed. An entry on an interior page is replaced
/// by its in-order predecessor, taken from a leaf.
pub fn index_delete(
    pager: &mut Pager,
    root: PageNo,
    info: &KeyInfo,
    record: &[u8],
) -> Result<bool> {
    let mut cmp = |cell: &[u8]| compare_records(cell, record, info);
    let (path, found) = index_path(pager, root, &mut cmp)?;
    if !found {
        return Ok(false);
    }
    let usable = pager.usable_size();
    let (pg, idx) = *path.last().expect("a path has a page");
    let node = Node::parse(pager.get(pg)?, pg, usable)?;
    if node.kind.is_leaf() {
        let cinfo = node.cell(idx)?;
        free_overflow(pager, &cinfo)?;
        drop_cell(pager.get_mut(pg)?, pg, usable, idx)?;
        after_delete(pager, &path)?;
        return Ok(true);
    }
    // Take the predecessor: the last entry of the right-most leaf under child `idx`.
    let mut leaf_path = path.clone();
    let mut child = node.child(idx)?;
    let pred = loop {
        if leaf_path.len() >= MAX_DEPTH {
            return Err(too_deep(child));
        }
        let n = Node::parse(pager.get(child)?, child, usable)?;
        if n.kind.is_leaf() {
            if n.ncells == 0 {
                return Err(Error::corrupt(child, "empty leaf under an interior entry"));
            }
            leaf_path.push((child, n.ncells - 1));
            break n.cell_bytes(n.ncells - 1)?.to_vec();
        }
        leaf_path.push((child, n.ncells));
        child = n.child(n.ncells)?;
    };
    let (leaf, lidx) = *leaf_path.last().expect("pushed above");
    drop_cell(pager.get_mut(leaf)?, leaf, usable, lidx)?;
    after_delete(pager, &leaf_path)?;
    // Balancing may have moved the entry being deleted: find it again and put the predecessor
    // in its place.
    let (path, found) = index_path(pager, root, &mut cmp)?;
    if !found {
        return Err(Error::corrupt(root, "index entry vanished while deleting"));
    }
    let (pg, idx) = *path.last().expect("a path has a page");
    let node = Node::parse(pager.get(pg)?, pg, usable)?;
    let old = node.cell(idx)?;
    let new_cell = if node.kind.is_leaf() {
        pred
    } else {
        let mut c = old.left_child.to_be_bytes().to_vec();
        c.extend_from_slice(&pred);
        c
    };
    free_overflow(pager, &old)?;
    drop_cell(pager.get_mut(pg)?, pg, usable, idx)?;
    if !insert_cell(pager.get_mut(pg)?, pg, usable, idx, &new_cell)? {
        let mut content = Content::read(pager, pg)?;
        content.cells.insert(idx, new_cell);
        rebalance(pager, &path, path.len() - 1, content)?;
    }
    Ok(true)
}
