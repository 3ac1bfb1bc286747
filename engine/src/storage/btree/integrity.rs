//! The page-level integrity check, equivalent to the structural part of SQLite's
//! `PRAGMA integrity_check`: every page used exactly once (b-trees, overflow chains, freelist),
//! page layouts consistent, keys in order, all leaves at the same depth.

use std::cmp::Ordering;

use crate::error::Result;
use crate::storage::format::{get_u16, get_u32, PageNo};
use crate::storage::pager::{pending_byte_page, Pager};
use crate::storage::record::{compare_records, KeyInfo};

use super::cell::{overflow_page_count, read_payload};
use super::page::{Node, MAX_DEPTH};
use super::tree::TreeKind;

/// One b-tree to check.
#[derive(Debug, Clone)]
pub struct TreeCheck {
    /// Root page.
    pub root: PageNo,
    /// Table or index.
    pub kind: TreeKind,
    /// Key order of an index (`None` skips the key-order check).
    pub key_info: Option<KeyInfo>,
    /// Name used in messages.
    pub name: String,
}

const MAX_ERRORS: usize = 100;

struct Checker<'p> {
    pager: &'p mut Pager,
    used: Vec<bool>,
    errors: Vec<String>,
}

impl Checker<'_> {
    fn err(&mut self, msg: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(msg);
        }
    }

    /// Marks a page as used; false (with an error) if it is out of range or already used.
    fn mark(&mut self, pg: u32, what: &str) -> bool {
        if pg == 0 || pg as usize >= self.used.len() {
            self.err(format!("{what}: invalid page number {pg}"));
            return false;
        }
        if self.used[pg as usize] {
            self.err(format!("{what}: 2nd reference to page {pg}"));
            return false;
        }
        self.used[pg as usize] = true;
        true
    }

    fn check_overflow(&mut self, first: u32, pages: usize, name: &str) -> Result<()> {
        let mut next = first;
        for i in 0..pages {
            if !self.mark(next, &format!("{name}: overflow chain")) {
                return Ok(());
            }
            let data = self.pager.get(PageNo(next))?;
            let n = get_u32(data, 0);
            if i + 1 == pages && n != 0 {
                self.err(format!("{name}: extra overflow page after page {next}"));
            }
            next = n;
        }
        Ok(())
    }

    /// Checks the layout of one page: cells and freeblocks inside the content area without
    /// overlap, and the fragment count.
    fn check_layout(&mut self, node: &Node<'_>, name: &str) {
        let pg = node.pgno;
        let usable = node.usable;
        let start = node.content_start();
        if start < node.ptr_end() || start > usable {
            self.err(format!("{name}: page {pg}: cell content area starts at {start}"));
            return;
        }
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(node.ncells + 4);
        for i in 0..node.ncells {
            match node.cell_offset(i).and_then(|off| node.cell_at(off).map(|c| (off, c.size))) {
                Ok((off, size)) => {
                    if off < start || off + size > usable {
                        self.err(format!(
                            "{name}: page {pg}: cell {i} lies outside the content area"
                        ));
                    }
                    spans.push((off, size));
                }
                Err(e) => self.err(format!("{name}: page {pg}: cell {i}: {e}")),
            }
        }
        let mut fb = get_u16(node.data, node.hdr + 1) as usize;
        let (mut last, mut last_end) = (0, 0);
        while fb != 0 {
            if fb <= last || fb < start || fb + 4 > usable {
                self.err(format!("{name}: page {pg}: freeblock at {fb} out of order or bounds"));
                return;
            }
            // SQLite's own check accepts these two, but SQLite never writes them and reports the
            // page as corrupt when it next frees space on it (`freeSpace`,
            // `btreeComputeFreeSpace`).
            if fb == start {
                self.err(format!("{name}: page {pg}: freeblock at {fb} starts the content area"));
            } else if last != 0 && fb < last_end + 4 {
                self.err(format!(
                    "{name}: page {pg}: freeblocks at {last} and {fb} are less than 4 bytes apart"
                ));
            }
            let size = get_u16(node.data, fb + 2) as usize;
            spans.push((fb, size));
            last = fb;
            last_end = fb + size;
            fb = get_u16(node.data, fb) as usize;
        }
        spans.sort_unstable();
        let mut covered = 0;
        let mut end = start;
        for &(off, size) in &spans {
            if off < end {
                self.err(format!("{name}: page {pg}: cells or freeblocks overlap at offset {off}"));
                return;
            }
            covered += size;
            end = off + size;
        }
        if end > usable {
            self.err(format!("{name}: page {pg}: content runs past the usable size"));
            return;
        }
        let frag = usable - start - covered;
        if frag != node.frag() {
            self.err(format!(
                "{name}: page {pg}: fragmentation of {frag} bytes reported as {} bytes",
                node.frag()
            ));
        }
    }

    /// Walks a subtree; returns the depth of its leaves (None after an error that stops it).
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        pg: u32,
        depth: usize,
        tree: &TreeCheck,
        lower: Option<i64>,
        upper: Option<i64>,
        last_key: &mut Option<Vec<u8>>,
    ) -> Result<Option<usize>> {
        let name = tree.name.as_str();
        if depth > MAX_DEPTH {
            self.err(format!("{name}: b-tree deeper than {MAX_DEPTH} levels"));
            return Ok(None);
        }
        if !self.mark(pg, &format!("{name}: b-tree page")) {
            return Ok(None);
        }
        let usable = self.pager.usable_size();
        let pgno = PageNo(pg);
        let data = self.pager.get(pgno)?.to_vec();
        let node = match Node::parse(&data, pgno, usable) {
            Ok(n) => n,
            Err(e) => {
                self.err(format!("{name}: {e}"));
                return Ok(None);
            }
        };
        if node.kind.is_table() != (tree.kind == TreeKind::Table) {
            self.err(format!("{name}: page {pg} is of the wrong b-tree kind"));
            return Ok(None);
        }
        self.check_layout(&node, name);
        let mut cells = Vec::with_capacity(node.ncells);
        for i in 0..node.ncells {
            match node.cell(i) {
                Ok(c) => cells.push(c),
                Err(e) => {
                    self.err(format!("{name}: {e}"));
                    return Ok(None);
                }
            }
        }
        for c in &cells {
            if c.overflow != 0 {
                self.check_overflow(c.overflow, overflow_page_count(c, usable), name)?;
            }
        }
        let mut leaf_depth = None;
        let mut lo = lower;
        for (i, c) in cells.iter().enumerate() {
            if !node.kind.is_leaf() {
                let hi = if tree.kind == TreeKind::Table { Some(c.rowid) } else { None };
                let d = self.walk(c.left_child, depth + 1, tree, lo, hi, last_key)?;
                leaf_depth = self.same_depth(leaf_depth, d, pg, name);
            }
            if tree.kind == TreeKind::Table {
                if lo.is_some_and(|l| c.rowid <= l) || upper.is_some_and(|u| c.rowid > u) {
                    self.err(format!("{name}: page {pg}: rowid {} out of order", c.rowid));
                }
                lo = Some(c.rowid);
            } else if let Some(info) = &tree.key_info {
                let key = read_payload(self.pager, pgno, i)?.into_owned();
                if let Some(prev) = last_key.as_ref() {
                    if compare_records(prev, &key, info).map_or(true, |o| o != Ordering::Less) {
                        self.err(format!("{name}: page {pg}: index keys out of order at cell {i}"));
                    }
                }
                *last_key = Some(key);
            }
        }
        if node.kind.is_leaf() {
            return Ok(Some(depth));
        }
        let d = self.walk(node.right_child(), depth + 1, tree, lo, upper, last_key)?;
        Ok(self.same_depth(leaf_depth, d, pg, name))
    }

    fn same_depth(
        &mut self,
        a: Option<usize>,
        b: Option<usize>,
        pg: u32,
        name: &str,
    ) -> Option<usize> {
        match (a, b) {
            (Some(x), Some(y)) if x != y => {
                self.err(format!("{name}: page {pg}: child page depth differs"));
                Some(x)
            }
            (Some(x), _) | (None, Some(x)) => Some(x),
            (None, None) => None,
        }
    }
}

/// Checks the given b-trees and the freelist; returns the problems found (empty means `ok`).
/// The caller must be in a read or write transaction.
pub fn integrity_check(pager: &mut Pager, trees: &[TreeCheck]) -> Result<Vec<String>> {
    let n = pager.db_size() as usize;
    let page_size = pager.page_size() as u32;
    let mut c = Checker { pager, used: vec![false; n + 1], errors: Vec::new() };
    match c.pager.freelist_pages() {
        Ok(free) => {
            for p in free {
                c.mark(p.0, "freelist");
            }
        }
        Err(e) => c.err(format!("freelist: {e}")),
    }
    let pending = pending_byte_page(page_size) as usize;
    if pending <= n {
        c.used[pending] = true;
    }
    for t in trees {
        let mut last_key = None;
        c.walk(t.root.0, 0, t, None, None, &mut last_key)?;
    }
    for p in 1..=n {
        if !c.used[p] {
            c.err(format!("page {p} is never used"));
        }
    }
    Ok(c.errors)
}

#[cfg(test)]
mod tests {
    use crate::storage::format::put_u16;
    use crate::storage::{Database, PageNo, Value};

    /// Rows 0..4 of a one-column table on a 4096-byte page: cells of 4, 4, 5 and 5 bytes at
    /// 4092, 4088, 4083 and 4078. `craft` then rewrites the leaf.
    fn check_crafted_leaf(craft: impl FnOnce(&mut [u8])) -> Vec<String> {
        let db = Database::open_in_memory().expect("db");
        let mut conn = db.connect().expect("connect");
        let t = conn.create_table("CREATE TABLE t(a)").expect("create");
        for i in 0..4 {
            conn.table_insert(t, i, &[Value::Integer(i)]).expect("insert");
        }
        assert!(conn.integrity_check().expect("check").is_empty());
        conn.begin_write().expect("begin");
        assert_eq!(t, PageNo(2));
        craft(conn.pager().get_mut(t).expect("leaf"));
        conn.commit().expect("commit");
        conn.integrity_check().expect("check")
    }

    #[test]
    fn reports_freeblocks_that_sqlite_cannot_free_next_to() {
        // Cells 0, 1, 2 stay; cell 3's space (4078, 5 bytes) becomes a freeblock at the start
        // of the content area.
        let problems = check_crafted_leaf(|p| {
            put_u16(p, 3, 3);
            put_u16(p, 1, 4078);
            put_u16(p, 4078, 0);
            put_u16(p, 4078 + 2, 5);
        });
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("starts the content area"), "{problems:?}");
        // Cells 0 and 3 stay; 4083..4087 and 4088..4092 are freeblocks with a 1-byte fragment
        // between them.
        let problems = check_crafted_leaf(|p| {
            put_u16(p, 3, 2);
            put_u16(p, 8, 4092);
            put_u16(p, 10, 4078);
            put_u16(p, 1, 4083);
            put_u16(p, 4083, 4088);
            put_u16(p, 4083 + 2, 4);
            put_u16(p, 4088, 0);
            put_u16(p, 4088 + 2, 4);
            p[7] = 1;
        });
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("less than 4 bytes apart"), "{problems:?}");
    }
}
