//! Whole-table scans that other threads can share: the leaf pages of a table b-tree, listed by
//! a walk of its interior pages, and copied out of the pager in batches that need no pager to
//! read.

use std::ops::Range;

use crate::error::{Error, Result};
use crate::storage::format::PageNo;
use crate::storage::pager::Pager;

use super::page::{Node, PageKind, MAX_DEPTH};

/// The leaf pages of the table b-tree rooted at `root`, in key order. The walk reads interior
/// pages only (a few hundred for a million rows) and stops with an error on a page of the wrong
/// kind, a tree deeper than [`MAX_DEPTH`] or more pages than the file has (a cycle).
pub fn table_leaves(pager: &mut Pager, root: PageNo) -> Result<Vec<PageNo>> {
    let usable = pager.usable_size();
    let mut budget = pager.db_size();
    let mut leaves = Vec::new();
    let mut stack = vec![(root, 0usize)];
    while let Some((pg, depth)) = stack.pop() {
        if depth > MAX_DEPTH || budget == 0 {
            return Err(Error::corrupt(pg, "b-tree with a cycle or deeper than the limit"));
        }
        budget -= 1;
        let node = Node::parse(pager.get(pg)?, pg, usable)?;
        match node.kind {
            PageKind::TableLeaf => leaves.push(pg),
            PageKind::TableInterior => {
                // Pushed right to left, so that the left-most child comes off the stack first.
                stack.push((PageNo(node.right_child()), depth + 1));
                for i in (0..node.ncells).rev() {
                    stack.push((node.child(i)?, depth + 1));
                }
            }
            _ => return Err(Error::corrupt(pg, "index page in a table b-tree")),
        }
    }
    Ok(leaves)
}

/// Table leaf pages copied out of the pager, readable from any thread.
#[derive(Debug)]
pub struct LeafBatch {
    page_size: usize,
    usable: usize,
    pages: Vec<PageNo>,
    data: Vec<u8>,
}

impl LeafBatch {
    /// Copies `pages` (table leaves, as [`table_leaves`] lists them) out of the pager.
    pub fn load(pager: &mut Pager, pages: &[PageNo]) -> Result<LeafBatch> {
        let page_size = pager.page_size();
        let mut data = Vec::with_capacity(page_size * pages.len());
        for &pg in pages {
            data.extend_from_slice(pager.get(pg)?);
        }
        Ok(LeafBatch { page_size, usable: pager.usable_size(), pages: pages.to_vec(), data })
    }

    /// The number of pages.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Whether the batch has no pages.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Calls `f(rowid, payload)` for every cell of the pages in `range`, in key order, with the
    /// payload when it lies wholly on the page and `None` when it spills to overflow pages (the
    /// caller reads those rows through the pager).
    pub fn for_each_cell(
        &self,
        range: Range<usize>,
        mut f: impl FnMut(i64, Option<&[u8]>) -> Result<()>,
    ) -> Result<()> {
        for (i, &pg) in self.pages.iter().enumerate().take(range.end).skip(range.start) {
            let data = &self.data[i * self.page_size..(i + 1) * self.page_size];
            let node = Node::parse(data, pg, self.usable)?;
            if node.kind != PageKind::TableLeaf {
                return Err(Error::corrupt(pg, "page is not a table leaf"));
            }
            for c in 0..node.ncells {
                let info = node.cell(c)?;
                if info.overflow == 0 {
                    f(
                        info.rowid,
                        Some(&data[info.payload_off..info.payload_off + info.local_len]),
                    )?;
                } else {
                    f(info.rowid, None)?;
                }
            }
        }
        Ok(())
    }
}
