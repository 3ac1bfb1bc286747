//! Cursors: positions in a b-tree that move in key order (first, last, next, prev, seek).
//!
//! A cursor keeps the path from the root to its entry: `(page, index)` pairs where an interior
//! page's index is the child taken (`ncells` means the right-most child) and the last pair is the
//! entry (a leaf cell, or for index b-trees possibly an interior cell). The pager is passed to
//! each call, so a cursor holds no borrow; a change to the tree invalidates its cursors, which
//! must seek again.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::storage::format::PageNo;
use crate::storage::pager::Pager;
use crate::storage::record::{compare_record_to_key, KeyInfo, ValueRef};

use super::cell::{read_cell, read_payload};
use super::page::{Node, MAX_DEPTH};
use super::tree::{compare_cell, TreeKind};

/// How `Cursor::seek_key` chooses an entry relative to the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekOp {
    /// The first entry `>=` the probe.
    Ge,
    /// The first entry `>` the probe.
    Gt,
    /// The last entry `<=` the probe.
    Le,
    /// The last entry `<` the probe.
    Lt,
}

/// A position in one b-tree.
#[derive(Debug, Clone)]
pub struct Cursor {
    root: PageNo,
    kind: TreeKind,
    stack: Vec<(PageNo, usize)>,
    /// Pages the cursor may still enter in the current scan. A scan in one direction enters
    /// each page of a well-formed tree at most once, so entering more pages than the file has
    /// means subtrees shared by several parents — a crafted DAG that the depth bound does not
    /// stop and whose scan would take exponential time.
    budget: u64,
    /// Direction of the current scan (`None` after a seek); changing it starts a new budget.
    forward: Option<bool>,
}

impl Cursor {
    /// A cursor on the b-tree rooted at `root`, not yet positioned.
    #[must_use]
    pub fn new(root: PageNo, kind: TreeKind) -> Self {
        Cursor { root, kind, stack: Vec::with_capacity(8), budget: 0, forward: None }
    }

    /// Whether the cursor is on an entry.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        !self.stack.is_empty()
    }

    fn node(pager: &mut Pager, pg: PageNo) -> Result<Node<'_>> {
        let usable = pager.usable_size();
        let node = Node::parse(pager.get(pg)?, pg, usable)?;
        Ok(node)
    }

    /// Starts a scan (or a seek, with `forward` `None`) with a fresh page budget.
    fn start_scan(&mut self, pager: &Pager, forward: Option<bool>) {
        self.budget = u64::from(pager.db_size()) + MAX_DEPTH as u64;
        self.forward = forward;
    }

    fn push(&mut self, pg: PageNo, i: usize) -> Result<()> {
        if self.budget == 0 {
            return Err(Error::corrupt(
                pg,
                "a scan entered more pages than the file has (subtrees shared by several parents?)",
            ));
        }
        self.budget -= 1;
        if self.stack.len() >= MAX_DEPTH {
            return Err(Error::corrupt(
                pg,
                format!("b-tree deeper than {MAX_DEPTH} levels (cycle?)"),
            ));
        }
        self.stack.push((pg, i));
        Ok(())
    }

    fn check_kind(&self, node: &Node<'_>) -> Result<()> {
        if node.kind.is_table() != (self.kind == TreeKind::Table) {
            return Err(Error::corrupt(node.pgno, "page of the wrong b-tree kind"));
        }
        Ok(())
    }

    /// Descends to the left-most entry under `pg`.
    fn descend_first(&mut self, pager: &mut Pager, mut pg: PageNo) -> Result<bool> {
        loop {
            let node = Self::node(pager, pg)?;
            self.check_kind(&node)?;
            if node.kind.is_leaf() {
                self.push(pg, 0)?;
                return if node.ncells == 0 { self.forward_from_end(pager) } else { Ok(true) };
            }
            let child = node.child(0)?;
            self.push(pg, 0)?;
            pg = child;
        }
    }

    /// Descends to the right-most entry under `pg`.
    fn descend_last(&mut self, pager: &mut Pager, mut pg: PageNo) -> Result<bool> {
        loop {
            let node = Self::node(pager, pg)?;
            self.check_kind(&node)?;
            if node.kind.is_leaf() {
                if node.ncells == 0 {
                    self.push(pg, 0)?;
                    return self.backward_from_start(pager);
                }
                self.push(pg, node.ncells - 1)?;
                return Ok(true);
            }
            let (n, child) = (node.ncells, node.child(node.ncells)?);
            self.push(pg, n)?;
            pg = child;
        }
    }

    /// The top of the stack is a leaf position at or past its end: move to the next entry.
    fn forward_from_end(&mut self, pager: &mut Pager) -> Result<bool> {
        self.stack.pop();
        while let Some(&(pg, j)) = self.stack.last() {
            let node = Self::node(pager, pg)?;
            if j < node.ncells {
                if self.kind == TreeKind::Index {
                    return Ok(true);
                }
                let child = node.child(j + 1)?;
                self.stack.last_mut().expect("non-empty").1 = j + 1;
                return self.descend_first(pager, child);
            }
            self.stack.pop();
        }
        Ok(false)
    }

    /// The top of the stack is a leaf position before its start: move to the previous entry.
    fn backward_from_start(&mut self, pager: &mut Pager) -> Result<bool> {
        self.stack.pop();
        while let Some(&(pg, j)) = self.stack.last() {
            if j > 0 {
                let top = self.stack.last_mut().expect("non-empty");
                top.1 = j - 1;
                if self.kind == TreeKind::Index {
                    return Ok(true);
                }
                let child = Self::node(pager, pg)?.child(j - 1)?;
                return self.descend_last(pager, child);
            }
            self.stack.pop();
        }
        Ok(false)
    }

    /// Moves to the first entry; false if the tree is empty.
    pub fn first(&mut self, pager: &mut Pager) -> Result<bool> {
        self.stack.clear();
        self.start_scan(pager, Some(true));
        self.descend_first(pager, self.root)
    }

    /// Moves to the last entry; false if the tree is empty.
    pub fn last(&mut self, pager: &mut Pager) -> Result<bool> {
        self.stack.clear();
        self.start_scan(pager, Some(false));
        self.descend_last(pager, self.root)
    }

    /// Moves to the next entry; false (and invalid) past the last.
    pub fn next(&mut self, pager: &mut Pager) -> Result<bool> {
        let Some(&(pg, i)) = self.stack.last() else { return Ok(false) };
        if self.forward != Some(true) {
            self.start_scan(pager, Some(true));
        }
        let node = Self::node(pager, pg)?;
        if node.kind.is_leaf() {
            if i + 1 < node.ncells {
                self.stack.last_mut().expect("non-empty").1 = i + 1;
                return Ok(true);
            }
            return self.forward_from_end(pager);
        }
        // On an interior entry of an index: the next entry is the first under child i+1.
        let child = node.child(i + 1)?;
        self.stack.last_mut().expect("non-empty").1 = i + 1;
        self.descend_first(pager, child)
    }

    /// Moves to the previous entry; false (and invalid) before the first.
    pub fn prev(&mut self, pager: &mut Pager) -> Result<bool> {
        let Some(&(pg, i)) = self.stack.last() else { return Ok(false) };
        if self.forward != Some(false) {
            self.start_scan(pager, Some(false));
        }
        let node = Self::node(pager, pg)?;
        if node.kind.is_leaf() {
            if i > 0 {
                self.stack.last_mut().expect("non-empty").1 = i - 1;
                return Ok(true);
            }
            return self.backward_from_start(pager);
        }
        let child = node.child(i)?;
        self.descend_last(pager, child)
    }

    /// Table b-trees: moves to `rowid` if present (returns true), else to the first entry after
    /// it (or invalid if none) and returns false.
    pub fn seek_rowid(&mut self, pager: &mut Pager, rowid: i64) -> Result<bool> {
        self.stack.clear();
        self.start_scan(pager, None);
        let mut pg = self.root;
        loop {
            let node = Self::node(pager, pg)?;
            self.check_kind(&node)?;
            let (mut lo, mut hi) = (0, node.ncells);
            if node.kind.is_leaf() {
                while lo < hi {
                    let mid = lo.midpoint(hi);
                    match node.rowid_at(mid)?.cmp(&rowid) {
                        Ordering::Less => lo = mid + 1,
                        Ordering::Greater => hi = mid,
                        Ordering::Equal => {
                            self.push(pg, mid)?;
                            return Ok(true);
                        }
                    }
                }
                let n = node.ncells;
                self.push(pg, lo)?;
                if lo >= n {
                    self.forward_from_end(pager)?;
                }
                return Ok(false);
            }
            while lo < hi {
                let mid = lo.midpoint(hi);
                if node.rowid_at(mid)? < rowid {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            let child = node.child(lo)?;
            self.push(pg, lo)?;
            pg = child;
        }
    }

    /// Index b-trees: positions by comparing the first `key.len()` fields of each entry with
    /// `key` (a prefix probe). Returns whether the cursor is on an entry.
    pub fn seek_key(
        &mut self,
        pager: &mut Pager,
        key: &[ValueRef<'_>],
        info: &KeyInfo,
        op: SeekOp,
    ) -> Result<bool> {
        // Lower bound: the first entry that compares >= (Ge, Lt) or > (Gt, Le) the probe.
        let strict = matches!(op, SeekOp::Gt | SeekOp::Le);
        let mut cmp = |cell: &[u8]| -> Result<Ordering> {
            let o = compare_record_to_key(cell, key, info)?;
            Ok(if strict && o == Ordering::Equal { Ordering::Less } else { o })
        };
        self.stack.clear();
        self.start_scan(pager, None);
        let mut pg = self.root;
        loop {
            // The binary search compares cells in place on the page, until (rarely) a cell
            // spills to overflow pages; the search then goes on through `compare_cell`.
            let (n, leaf, mut lo, mut hi, spilled) = {
                let node = Self::node(pager, pg)?;
                self.check_kind(&node)?;
                let (mut lo, mut hi) = (0, node.ncells);
                let mut spilled = false;
                while lo < hi {
                    let mid = lo.midpoint(hi);
                    let info = node.cell(mid)?;
                    if info.overflow != 0 {
                        spilled = true;
                        break;
                    }
                    let local = &node.data[info.payload_off..info.payload_off + info.local_len];
                    if cmp(local)? == Ordering::Less {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                (node.ncells, node.kind.is_leaf(), lo, hi, spilled)
            };
            while spilled && lo < hi {
                let mid = lo.midpoint(hi);
                if compare_cell(pager, pg, mid, &mut cmp)? == Ordering::Less {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            self.push(pg, lo)?;
            if leaf {
                if lo >= n {
                    self.forward_from_end(pager)?;
                }
                break;
            }
            let child = Self::node(pager, pg)?.child(lo)?;
            pg = child;
        }
        match op {
            SeekOp::Ge | SeekOp::Gt => Ok(self.is_valid()),
            SeekOp::Le | SeekOp::Lt => {
                if self.is_valid() {
                    self.prev(pager)
                } else {
                    self.last(pager)
                }
            }
        }
    }

    /// The rowid of the current entry (table b-trees).
    pub fn rowid(&self, pager: &mut Pager) -> Result<i64> {
        let &(pg, i) =
            self.stack.last().ok_or_else(|| Error::Misuse("cursor is not on a row".into()))?;
        Ok(Self::node(pager, pg)?.cell(i)?.rowid)
    }

    /// The rowid and payload of the current entry of a table b-tree, decoding its cell once.
    pub fn row<'a>(&self, pager: &'a mut Pager) -> Result<(i64, Cow<'a, [u8]>)> {
        let &(pg, i) =
            self.stack.last().ok_or_else(|| Error::Misuse("cursor is not on a row".into()))?;
        read_cell(pager, pg, i)
    }

    /// The payload of the current entry: the record of a table row or the key of an index entry.
    pub fn payload<'a>(&self, pager: &'a mut Pager) -> Result<Cow<'a, [u8]>> {
        let &(pg, i) =
            self.stack.last().ok_or_else(|| Error::Misuse("cursor is not on a row".into()))?;
        read_payload(pager, pg, i)
    }
}
