//! Whole-table scans that other threads can share: the leaf pages of a table b-tree, listed by
//! a walk of its interior pages, and copied out of the pager in batches that need no pager to
//! read.

use crate::error::{Error, Result};
use crate::storage::format::PageNo;
use crate::storage::pager::Pager;

use super::page::{Node, PageKind, MAX_DEPTH};

/// The leaf pages of the table b-tree rooted at `root`, in key order. The walk reads interior
/// pages only (a few hundred for a million rows): every leaf of a b-tree is at the same depth,
/// which the left-most path tells, so the children of the last interior level are listed
/// unread ([`LeafBatch::for_each_cell`] checks that each is a leaf). It stops with an error on
/// a page of the wrong kind, a tree deeper than [`MAX_DEPTH`] or more pages than the file has.
pub fn table_leaves(pager: &mut Pager, root: PageNo) -> Result<Vec<PageNo>> {
    let usable = pager.usable_size();
    let mut depth = 0;
    let mut pg = root;
    loop {
        let node = Node::parse(pager.get(pg)?, pg, usable)?;
        match node.kind {
            PageKind::TableLeaf => break,
            PageKind::TableInterior if depth < MAX_DEPTH => {
                pg = node.child(0)?;
                depth += 1;
            }
            PageKind::TableInterior => return Err(too_deep(pg)),
            _ => return Err(Error::corrupt(pg, "index page in a table b-tree")),
        }
    }
    let mut budget = pager.db_size();
    let mut leaves = Vec::new();
    let mut stack = vec![(root, 0usize)];
    while let Some((pg, d)) = stack.pop() {
        if d == depth {
            leaves.push(pg);
            continue;
        }
        if budget == 0 {
            return Err(too_deep(pg));
        }
        budget -= 1;
        let node = Node::parse(pager.get(pg)?, pg, usable)?;
        if node.kind != PageKind::TableInterior {
            return Err(Error::corrupt(pg, "leaves of a table b-tree at different depths"));
        }
        // Pushed right to left, so that the left-most child comes off the stack first.
        stack.push((PageNo(node.right_child()), d + 1));
        for i in (0..node.ncells).rev() {
            stack.push((node.child(i)?, d + 1));
        }
    }
    Ok(leaves)
}

fn too_deep(pg: PageNo) -> Error {
    Error::corrupt(pg, "b-tree with a cycle or deeper than the limit")
}

/// Table leaf pages copied out of the pager, readable from any thread.
#[derive(Debug)]
pub struct LeafBatch {
    page_size: usize,
    pages: Vec<PageNo>,
    data: Vec<u8>,
}

impl LeafBatch {
    /// Copies `pages` (table leaves, as [`table_leaves`] lists them) out of the pager into
    /// `buf` (see [`Pager::copy_pages`]), which the batch then owns.
    pub fn load(pager: &mut Pager, pages: &[PageNo], mut buf: Vec<u8>) -> Result<LeafBatch> {
        pager.copy_pages(pages, &mut buf)?;
        Ok(LeafBatch { page_size: pager.page_size(), pages: pages.to_vec(), data: buf })
    }

    /// Each page with its number.
    #[must_use]
    pub fn pages(&self) -> Vec<(PageNo, &[u8])> {
        self.pages.iter().copied().zip(self.data.chunks_exact(self.page_size)).collect()
    }

    /// The buffer, for the next batch.
    #[must_use]
    pub fn into_buffer(self) -> Vec<u8> {
        self.data
    }
}

/// Calls `f(rowid, payload)` for every cell of table leaf `pages` (`usable` bytes of each are
/// used), in order, with the payload when it lies wholly on the page and `None` when it spills
/// to overflow pages (the caller reads those rows through the pager).
pub fn for_each_leaf_cell(
    pages: &[(PageNo, &[u8])],
    usable: usize,
    mut f: impl FnMut(i64, Option<&[u8]>) -> Result<()>,
) -> Result<()> {
    for &(pg, data) in pages {
        let node = Node::parse(data, pg, usable)?;
        if node.kind != PageKind::TableLeaf {
            return Err(Error::corrupt(pg, "leaves of a table b-tree at different depths"));
        }
        for c in 0..node.ncells {
            let info = node.cell(c)?;
            if info.overflow == 0 {
                f(info.rowid, Some(&data[info.payload_off..info.payload_off + info.local_len]))?;
            } else {
                f(info.rowid, None)?;
            }
        }
    }
    Ok(())
}
