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
    /// The pager's generation when the cursor was last positioned: while it is unchanged the
    /// path is good, and a seek that lands in the same leaf skips the descent.
    generation: u64,
    /// The number of cells of the leaf on top of the stack (`None` when the top is not a leaf),
    /// so that stepping within a leaf needs no page.
    leaf_cells: Option<usize>,
    /// Where in its leaf the last key seek landed, and how far it moved from the one before:
    /// [`Cursor::seek_in_leaf`] looks first where the same stride would land.
    last_seek: usize,
    stride: usize,
}

impl Cursor {
    /// A cursor on the b-tree rooted at `root`, not yet positioned.
    #[must_use]
    pub fn new(root: PageNo, kind: TreeKind) -> Self {
        Cursor {
            root,
            kind,
            stack: Vec::with_capacity(8),
            budget: 0,
            forward: None,
            generation: u64::MAX,
            leaf_cells: None,
            last_seek: 0,
            stride: 0,
        }
    }

    /// The root page of the cursor's b-tree.
    #[must_use]
    pub fn root(&self) -> PageNo {
        self.root
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

    /// Records that the cursor is positioned afresh at the pager's current generation.
    fn positioned(&mut self, pager: &Pager) {
        self.generation = pager.generation();
    }

    /// The leaf the cursor is on, if its path is still good (no page changed since it was
    /// positioned) and the leaf has at least two cells.
    fn hint_leaf<'p>(&self, pager: &'p mut Pager) -> Result<Option<Node<'p>>> {
        if self.generation != pager.generation() || self.leaf_cells.is_none() {
            return Ok(None);
        }
        let Some(&(pg, _)) = self.stack.last() else { return Ok(None) };
        let node = Self::node(pager, pg)?;
        Ok((node.kind.is_leaf() && node.ncells >= 2).then_some(node))
    }

    /// Successive seeks often land near each other (a join probing with keys in order): when
    /// the probe's position lies strictly inside the cursor's current leaf (its first cell
    /// below the probe, its last not), the position in that leaf, found without a descent.
    ///
    /// The search gallops out from the cursor's cell (1, 2, 4, ... cells away) before it
    /// bisects, so a probe near the last one compares cells that are mostly in the CPU cache
    /// already, where a plain bisection of the leaf would miss it on nearly every cell.
    fn seek_in_leaf(
        &mut self,
        pager: &mut Pager,
        cmp: &mut impl FnMut(&[u8]) -> Result<Ordering>,
    ) -> Result<Option<usize>> {
        let Some(&(_, at)) = self.stack.last() else { return Ok(None) };
        let Some(node) = self.hint_leaf(pager)? else { return Ok(None) };
        // Whether cell `i` sorts below the probe (`None`: it spills to overflow pages).
        let mut below = |i: usize| -> Result<Option<bool>> {
            Ok(match node.index_payload(i)? {
                Some(cell) => Some(cmp(cell)? == Ordering::Less),
                None => None,
            })
        };
        let n = node.ncells;
        let p = at.min(n - 1);
        // Cells before `lo` sort below the probe; `hi` and the cells after it do not.
        let (mut lo, mut hi);
        let Some(p_below) = below(p)? else { return Ok(None) };
        let mut step = 1;
        if p_below {
            lo = p + 1;
            // Seeks that advance by a steady stride (a join over keys spaced alike) look first
            // at the cell before the position the stride predicts, so that the gallop's first
            // step lands on it.
            let (mut base, mut bracket) = (p, None);
            let guess = self.last_seek.saturating_add(self.stride);
            if guess > p + 1 && guess < n {
                let Some(b) = below(guess - 1)? else { return Ok(None) };
                if b {
                    (base, lo) = (guess - 1, guess);
                } else {
                    bracket = Some(guess - 1);
                }
            }
            hi = match bracket {
                Some(h) => h,
                None => loop {
                    let q = (base + step).min(n - 1);
                    let Some(b) = below(q)? else { return Ok(None) };
                    if !b {
                        break q;
                    }
                    if q == n - 1 {
                        // Every cell sorts below: the position may be in a later leaf.
                        return Ok(None);
                    }
                    lo = q + 1;
                    step *= 2;
                },
            };
        } else {
            hi = p;
            loop {
                let q = p.saturating_sub(step);
                let Some(b) = below(q)? else { return Ok(None) };
                if b {
                    lo = q + 1;
                    break;
                }
                if q == 0 {
                    // No cell sorts below: equal entries may end an earlier leaf.
                    return Ok(None);
                }
                hi = q;
                step *= 2;
            }
        }
        while lo < hi {
            let mid = lo.midpoint(hi);
            let Some(b) = below(mid)? else { return Ok(None) };
            if b {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(Some(lo))
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
        self.leaf_cells = None;
        Ok(())
    }

    /// Pushes a position in a leaf of `n` cells.
    fn push_leaf(&mut self, pg: PageNo, i: usize, n: usize) -> Result<()> {
        self.push(pg, i)?;
        self.leaf_cells = Some(n);
        Ok(())
    }

    /// Pops the top of the stack.
    fn pop(&mut self) {
        self.stack.pop();
        self.leaf_cells = None;
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
                self.push_leaf(pg, 0, node.ncells)?;
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
                    self.push_leaf(pg, 0, 0)?;
                    return self.backward_from_start(pager);
                }
                self.push_leaf(pg, node.ncells - 1, node.ncells)?;
                return Ok(true);
            }
            let (n, child) = (node.ncells, node.child(node.ncells)?);
            self.push(pg, n)?;
            pg = child;
        }
    }

    /// The top of the stack is a leaf position at or past its end: move to the next entry.
    fn forward_from_end(&mut self, pager: &mut Pager) -> Result<bool> {
        self.pop();
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
            self.pop();
        }
        Ok(false)
    }

    /// The top of the stack is a leaf position before its start: move to the previous entry.
    fn backward_from_start(&mut self, pager: &mut Pager) -> Result<bool> {
        self.pop();
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
            self.pop();
        }
        Ok(false)
    }

    /// Moves to the first entry; false if the tree is empty.
    pub fn first(&mut self, pager: &mut Pager) -> Result<bool> {
        self.stack.clear();
        self.start_scan(pager, Some(true));
        self.positioned(pager);
        self.descend_first(pager, self.root)
    }

    /// Moves to the last entry; false if the tree is empty.
    pub fn last(&mut self, pager: &mut Pager) -> Result<bool> {
        self.stack.clear();
        self.start_scan(pager, Some(false));
        self.positioned(pager);
        self.descend_last(pager, self.root)
    }

    /// Moves to the next entry; false (and invalid) past the last.
    pub fn next(&mut self, pager: &mut Pager) -> Result<bool> {
        let Some(&(pg, i)) = self.stack.last() else { return Ok(false) };
        if self.forward == Some(true)
            && self.generation == pager.generation()
            && self.leaf_cells.is_some_and(|n| i + 1 < n)
        {
            self.stack.last_mut().expect("non-empty").1 = i + 1;
            return Ok(true);
        }
        if self.forward != Some(true) {
            self.start_scan(pager, Some(true));
        }
        let node = Self::node(pager, pg)?;
        if node.kind.is_leaf() {
            self.leaf_cells = Some(node.ncells);
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
        if self.forward == Some(false)
            && self.generation == pager.generation()
            && self.leaf_cells.is_some()
            && i > 0
        {
            self.stack.last_mut().expect("non-empty").1 = i - 1;
            return Ok(true);
        }
        if self.forward != Some(false) {
            self.start_scan(pager, Some(false));
        }
        let node = Self::node(pager, pg)?;
        if node.kind.is_leaf() {
            self.leaf_cells = Some(node.ncells);
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
        if let Some(node) = self.hint_leaf(pager)? {
            let n = node.ncells;
            if node.rowid_at(0)? <= rowid && rowid <= node.rowid_at(n - 1)? {
                let (lo, found) = node.search_rowid(rowid)?;
                self.stack.last_mut().expect("hint_leaf saw the stack").1 = lo;
                self.start_scan(pager, None);
                self.positioned(pager);
                return Ok(found);
            }
        }
        self.stack.clear();
        self.start_scan(pager, None);
        self.positioned(pager);
        let mut pg = self.root;
        loop {
            let node = Self::node(pager, pg)?;
            self.check_kind(&node)?;
            if node.kind.is_leaf() {
                let (lo, found) = node.search_rowid(rowid)?;
                let n = node.ncells;
                self.push_leaf(pg, lo, n)?;
                if found {
                    return Ok(true);
                }
                if lo >= n {
                    self.forward_from_end(pager)?;
                }
                return Ok(false);
            }
            let lo = node.child_index_for_rowid(rowid)?;
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
        if let Some(lo) = self.seek_in_leaf(pager, &mut cmp)? {
            self.stack.last_mut().expect("seek_in_leaf saw the stack").1 = lo;
            self.stride = lo.saturating_sub(self.last_seek);
            self.last_seek = lo;
            self.start_scan(pager, None);
            self.positioned(pager);
            return self.finish_seek(pager, op);
        }
        self.stack.clear();
        self.start_scan(pager, None);
        self.positioned(pager);
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
                    let Some(local) = node.index_payload(mid)? else {
                        spilled = true;
                        break;
                    };
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
            if leaf {
                self.push_leaf(pg, lo, n)?;
                self.last_seek = lo;
                if lo >= n {
                    self.forward_from_end(pager)?;
                }
                break;
            }
            self.push(pg, lo)?;
            let child = Self::node(pager, pg)?.child(lo)?;
            pg = child;
        }
        self.finish_seek(pager, op)
    }

    /// After a seek has put the cursor on the lower bound, moves it to the entry `op` asks for.
    fn finish_seek(&mut self, pager: &mut Pager, op: SeekOp) -> Result<bool> {
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
