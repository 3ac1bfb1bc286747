//! Balancing: after an insert overflows a page or a delete leaves it underfull, the page and up
//! to two siblings are repacked into as many pages as their cells need, and the parent's
//! dividers are rewritten — recursively up to the root, which grows (`deeper`) or shrinks
//! (`shallower`) the tree by one level. Work is done on the pages' *logical content* (a list of
//! cell images) so that an overfull page never exists in the file.

use crate::error::{Error, Result};
use crate::storage::format::{get_varint, put_varint, PageNo};
use crate::storage::pager::Pager;

use super::page::{cells_size, page_capacity, write_page, Node, PageKind};

/// The logical content of a b-tree page.
#[derive(Debug)]
pub struct Content {
    /// Page kind.
    pub kind: PageKind,
    /// Cell images in key order.
    pub cells: Vec<Vec<u8>>,
    /// Right-most child (interior pages).
    pub right: u32,
}

impl Content {
    /// Reads a page's content.
    pub fn read(pager: &mut Pager, pgno: PageNo) -> Result<Content> {
        let usable = pager.usable_size();
        let node = Node::parse(pager.get(pgno)?, pgno, usable)?;
        let cells = (0..node.ncells)
            .map(|i| node.cell_bytes(i).map(<[u8]>::to_vec))
            .collect::<Result<_>>()?;
        let right = if node.kind.is_leaf() { 0 } else { node.right_child() };
        Ok(Content { kind: node.kind, cells, right })
    }

    fn write(&self, pager: &mut Pager, pgno: PageNo) -> Result<()> {
        write_cells(pager, pgno, self.kind, &self.cells, self.right)
    }
}

/// Writes a page of `kind` holding `cells` (and `right`, for interior pages).
fn write_cells(
    pager: &mut Pager,
    pgno: PageNo,
    kind: PageKind,
    cells: &[Vec<u8>],
    right: u32,
) -> Result<()> {
    let usable = pager.usable_size();
    let refs: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
    let data = pager.get_mut(pgno)?;
    write_page(data, pgno, usable, kind, &refs, right);
    Ok(())
}

/// Whether a non-root page with `size` bytes of cells should be merged with its siblings.
fn underfull(size: usize, cap: usize, ncells: usize) -> bool {
    ncells == 0 || size < cap / 3
}

/// The rowid of a table-leaf cell.
fn leaf_rowid(cell: &[u8], pgno: PageNo) -> Result<u64> {
    let bad = || Error::corrupt(pgno, "truncated table-leaf cell");
    let (_, n) = get_varint(cell).ok_or_else(bad)?;
    let (rowid, _) = get_varint(&cell[n..]).ok_or_else(bad)?;
    Ok(rowid)
}

fn set_left_child(cell: &mut [u8], child: u32) {
    cell[..4].copy_from_slice(&child.to_be_bytes());
}

/// Writes `content` to the page at `path[depth]`, balancing as needed. `path[i]` is a page on the
/// way from the root (`path[0]`) and the index of the child taken from it.
pub fn rebalance(
    pager: &mut Pager,
    path: &[(PageNo, usize)],
    depth: usize,
    content: Content,
) -> Result<()> {
    let (pgno, _) = path[depth];
    let usable = pager.usable_size();
    let cap = page_capacity(pgno, usable, content.kind);
    let size = cells_size(&content.cells);
    if depth == 0 {
        if size <= cap {
            if !content.kind.is_leaf() && content.cells.is_empty() {
                return shallower(pager, pgno, content.right);
            }
            return content.write(pager, pgno);
        }
        // Deeper: the root's content moves to a new child that is then split.
        let child = pager.allocate()?;
        let root = Content { kind: content.kind.interior(), cells: Vec::new(), right: child.0 };
        root.write(pager, pgno)?;
        let new_path = [(pgno, 0), (child, 0)];
        return rebalance(pager, &new_path, 1, content);
    }
    if size <= cap && !underfull(size, cap, content.cells.len()) {
        return content.write(pager, pgno);
    }
    let (ppg, ci) = path[depth - 1];
    let parent = Content::read(pager, ppg)?;
    if parent.kind.is_leaf() || parent.kind.is_table() != content.kind.is_table() {
        return Err(Error::corrupt(ppg, "parent page kind does not match its child"));
    }
    let nchild = parent.cells.len() + 1;
    if ci >= nchild {
        return Err(Error::corrupt(ppg, "child index out of range"));
    }
    if nchild == 1 && size <= cap {
        return content.write(pager, pgno);
    }
    let lo = if nchild <= 3 { 0 } else { ci.saturating_sub(1).min(nchild - 3) };
    let hi = (lo + 2).min(nchild - 1);
    let child_of = |i: usize| -> Result<PageNo> {
        let c = if i == parent.cells.len() {
            parent.right
        } else {
            let c = &parent.cells[i];
            if c.len() < 4 {
                return Err(Error::corrupt(ppg, "interior cell too short"));
            }
            u32::from_be_bytes([c[0], c[1], c[2], c[3]])
        };
        if c == 0 {
            return Err(Error::corrupt(ppg, "child page 0"));
        }
        if c == 1 {
            // Page 1 is the schema's root and never a child; its b-tree header sits after the
            // file header, so the sibling capacity below would overfill it.
            return Err(Error::corrupt(ppg, "page 1 as a child"));
        }
        Ok(PageNo(c))
    };
    let kind = content.kind;
    let mut old_pages = Vec::with_capacity(hi - lo + 1);
    let mut combined: Vec<Vec<u8>> = Vec::new();
    let mut final_right = 0;
    let mut own = Some(content);
    for s in lo..=hi {
        let spg = child_of(s)?;
        old_pages.push(spg);
        let sib = if s == ci {
            own.take().expect("the page being balanced is visited once")
        } else {
            let c = Content::read(pager, spg)?;
            if c.kind != kind {
                return Err(Error::corrupt(spg, "sibling page kind differs"));
            }
            c
        };
        let sib_right = sib.right;
        combined.extend(sib.cells);
        if s < hi {
            let div = &parent.cells[s];
            match kind {
                PageKind::TableLeaf => {}
                PageKind::IndexLeaf => combined.push(div[4..].to_vec()),
                PageKind::TableInterior | PageKind::IndexInterior => {
                    let mut d = div.clone();
                    set_left_child(&mut d, sib_right);
                    combined.push(d);
                }
            }
        } else {
            final_right = sib_right;
        }
    }
    let sib_cap = usable - kind.header_size();
    let consume = kind != PageKind::TableLeaf;
    let groups = distribute(&combined, sib_cap, consume, ppg)?;
    // Page numbers for the new siblings: reuse the old ones in order, then allocate.
    let mut new_pages = Vec::with_capacity(groups.len());
    for j in 0..groups.len() {
        new_pages.push(if j < old_pages.len() { old_pages[j] } else { pager.allocate()? });
    }
    for &extra in old_pages.iter().skip(groups.len()) {
        pager.free(extra)?;
    }
    let mut dividers: Vec<Vec<u8>> = Vec::with_capacity(groups.len().saturating_sub(1));
    for (j, g) in groups.iter().enumerate() {
        let cells = &combined[g.clone()];
        let last = j + 1 == groups.len();
        let right = if kind.is_leaf() {
            0
        } else if last {
            final_right
        } else {
            let d = &combined[g.end];
            u32::from_be_bytes([d[0], d[1], d[2], d[3]])
        };
        if !last {
            let div = match kind {
                PageKind::TableLeaf => {
                    let lastcell =
                        cells.last().ok_or_else(|| Error::corrupt(ppg, "empty sibling"))?;
                    let rowid = leaf_rowid(lastcell, new_pages[j])?;
                    let mut d = new_pages[j].0.to_be_bytes().to_vec();
                    put_varint(&mut d, rowid);
                    d
                }
                PageKind::IndexLeaf => {
                    let mut d = new_pages[j].0.to_be_bytes().to_vec();
                    d.extend_from_slice(&combined[g.end]);
                    d
                }
                PageKind::TableInterior | PageKind::IndexInterior => {
                    let mut d = combined[g.end].clone();
                    set_left_child(&mut d, new_pages[j].0);
                    d
                }
            };
            dividers.push(div);
        }
        write_cells(pager, new_pages[j], kind, cells, right)?;
    }
    // The parent: old dividers lo..hi replaced by the new ones; the pointer to the old last
    // sibling now points to the new last sibling.
    let last_page = *new_pages.last().expect("at least one group");
    let mut pcells: Vec<Vec<u8>> = Vec::with_capacity(parent.cells.len() + dividers.len());
    let mut pright = parent.right;
    let mut old = parent.cells.into_iter();
    pcells.extend(old.by_ref().take(lo));
    old.by_ref().take(hi - lo).for_each(drop);
    pcells.extend(dividers);
    match old.next() {
        Some(mut c) => {
            set_left_child(&mut c, last_page.0);
            pcells.push(c);
            pcells.extend(old);
        }
        None => pright = last_page.0,
    }
    let pcontent = Content { kind: kind.interior(), cells: pcells, right: pright };
    rebalance(pager, path, depth - 1, pcontent)
}

/// Splits `cells` into consecutive groups that each fit in `cap` bytes. With `consume`, the cell
/// between two groups becomes their divider and belongs to neither. Groups are evened out so
/// that the last one is not left nearly empty.
fn distribute(
    cells: &[Vec<u8>],
    cap: usize,
    consume: bool,
    at: PageNo,
) -> Result<Vec<std::ops::Range<usize>>> {
    let sizes: Vec<usize> = cells.iter().map(|c| c.len().max(4) + 2).collect();
    let n = sizes.len();
    let greedy = |limit: &dyn Fn(usize) -> usize| -> Result<Vec<std::ops::Range<usize>>> {
        let mut groups = Vec::new();
        let mut i = 0;
        while i < n {
            let start = i;
            let mut acc = 0;
            let lim = limit(groups.len());
            while i < n && acc + sizes[i] <= lim.min(cap) {
                acc += sizes[i];
                i += 1;
            }
            if i == start {
                if sizes[i] > cap {
                    return Err(Error::corrupt(at, "a cell is larger than a page"));
                }
                i += 1;
            }
            if consume && i < n {
                if i == n - 1 {
                    // The divider would leave an empty last group: use the previous cell.
                    if i - start < 2 {
                        return Err(Error::corrupt(at, "cannot split cells around a divider"));
                    }
                    i -= 1;
                }
                groups.push(start..i);
                i += 1;
            } else {
                groups.push(start..i);
            }
        }
        if groups.is_empty() {
            groups.push(0..0);
        }
        Ok(groups)
    };
    let first = greedy(&|_| cap)?;
    if first.len() <= 1 {
        return Ok(first);
    }
    let k = first.len();
    let total: usize = sizes.iter().sum();
    let target = total.div_ceil(k);
    let even = greedy(&|g| if g + 1 < k { target } else { cap })?;
    let fits =
        even.len() == k && even.iter().all(|g| sizes[g.clone()].iter().sum::<usize>() <= cap);
    Ok(if fits { even } else { first })
}

/// The root is an interior page without cells: copy its only child into it when it fits (the
/// tree loses a level), else keep it as a pointer to the child (possible only on page 1).
fn shallower(pager: &mut Pager, root: PageNo, child: u32) -> Result<()> {
    if child == 0 {
        return Err(Error::corrupt(root, "interior root without children"));
    }
    let child = PageNo(child);
    let usable = pager.usable_size();
    let content = Content::read(pager, child)?;
    if cells_size(&content.cells) <= page_capacity(root, usable, content.kind) {
        content.write(pager, root)?;
        pager.free(child)?;
        return Ok(());
    }
    let kind = content.kind.interior();
    Content { kind, cells: Vec::new(), right: child.0 }.write(pager, root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribute_evens_groups_and_consumes_dividers() {
        let cells: Vec<Vec<u8>> = (0..10).map(|_| vec![0u8; 98]).collect();
        let g = distribute(&cells, 400, false, PageNo(2)).expect("fits");
        assert_eq!(g.len(), 3);
        assert!(g.iter().all(|r| r.len() >= 3), "{g:?}");
        let g = distribute(&cells, 400, true, PageNo(2)).expect("fits");
        let used: usize = g.iter().map(std::ops::Range::len).sum::<usize>() + g.len() - 1;
        assert_eq!(used, 10);
    }
}
