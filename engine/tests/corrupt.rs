//! Corrupt files: every crafted corruption of a real database gives `Error::Corrupt` (or
//! `NotADatabase` where the header is not SQLite's), on open or on read, or makes the integrity
//! check report a problem — and never a panic, a hang or an unbounded allocation.
//!
//! Each case takes a real multi-level database made by embedlite (512-byte pages, 3000 rows with
//! overflowing blobs, an index with overflowing keys, a freelist), breaks one structure with a
//! few bytes, and runs the walk of `common` (schema, rows, index entries, seeks, integrity
//! check, a write transaction, a rolled-back drop) on its own thread under a time limit. The
//! last test mutates real images (embedlite's and SQLite's) at random with a seeded RNG.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use common::{walk_image, Walk, WALK_LIMIT};
use embedlite::storage::format::{get_varint, put_varint};
use embedlite::storage::io::{SimConfig, SimIo};
use embedlite::storage::{Database, PageNo, Value};
use embedlite::Error;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PAGE: usize = 512;

/// The system allocator, recording the largest single request, so that a test can check that a
/// crafted length never becomes a huge allocation (which the OS would grant lazily, so nothing
/// else would notice).
struct LargestRequest;

static LARGEST_REQUEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed unchanged to the system allocator; only a counter is added.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for LargestRequest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST_REQUEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract, which is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc`/`realloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST_REQUEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: the caller upholds `realloc`'s contract, which is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestRequest = LargestRequest;

/// The image every case starts from, built once per test binary.
struct Base {
    image: Vec<u8>,
    /// Root of table `t`.
    t: u32,
    /// Root of index `t_b`.
    i: u32,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let image = common::embedlite_image(PAGE as u32, 3000);
        assert!(common::freelist_count(&image) > 0, "the base image has a freelist");
        let sim = SimIo::new(SimConfig::new(0));
        sim.set_file_bytes(common::DB_PATH, &image);
        let db = Database::open_with(Arc::new(sim), common::DB_PATH, common::open_options(512))
            .expect("open base");
        let schema = db.connect().expect("connect").schema().expect("schema");
        let root = |name: &str| {
            schema.iter().find(|e| e.name == name).expect("object in the schema").rootpage
        };
        let b = Base { image, t: root("t"), i: root("t_b") };
        let img = Img(b.image.clone());
        assert!(img.levels(b.t).len() >= 3, "table t has at least three levels");
        assert!(img.levels(b.i).len() >= 3, "index t_b has at least three levels");
        b
    })
}

/// A database image with helpers to find and change its structures.
#[derive(Clone)]
struct Img(Vec<u8>);

fn hdr(pg: u32) -> usize {
    if pg == 1 {
        100
    } else {
        0
    }
}

impl Img {
    fn base() -> Img {
        Img(base().image.clone())
    }

    /// Absolute file offset of byte `off` of page `pg`.
    fn pos(pg: u32, off: usize) -> usize {
        (pg as usize - 1) * PAGE + off
    }

    fn u16_at(&self, pos: usize) -> usize {
        u16::from_be_bytes([self.0[pos], self.0[pos + 1]]) as usize
    }

    fn u32_at(&self, pos: usize) -> u32 {
        u32::from_be_bytes([self.0[pos], self.0[pos + 1], self.0[pos + 2], self.0[pos + 3]])
    }

    fn set_u16(&mut self, pos: usize, v: u16) {
        self.0[pos..pos + 2].copy_from_slice(&v.to_be_bytes());
    }

    fn set_u32(&mut self, pos: usize, v: u32) {
        self.0[pos..pos + 4].copy_from_slice(&v.to_be_bytes());
    }

    fn db_size(&self) -> u32 {
        self.u32_at(28)
    }

    fn kind(&self, pg: u32) -> u8 {
        self.0[Self::pos(pg, hdr(pg))]
    }

    fn is_interior(&self, pg: u32) -> bool {
        matches!(self.kind(pg), 2 | 5)
    }

    fn ncells(&self, pg: u32) -> usize {
        self.u16_at(Self::pos(pg, hdr(pg) + 3))
    }

    /// Absolute position of cell pointer `i` of page `pg`.
    fn ptr_pos(&self, pg: u32, i: usize) -> usize {
        let hsize = if self.is_interior(pg) { 12 } else { 8 };
        Self::pos(pg, hdr(pg) + hsize + 2 * i)
    }

    /// Absolute position of cell `i` of page `pg`.
    fn cell_pos(&self, pg: u32, i: usize) -> usize {
        Self::pos(pg, self.u16_at(self.ptr_pos(pg, i)))
    }

    /// Absolute position of the pointer to child `i` (`ncells` is the right-most child).
    fn child_pos(&self, pg: u32, i: usize) -> usize {
        assert!(self.is_interior(pg), "page {pg} is interior");
        if i == self.ncells(pg) {
            Self::pos(pg, hdr(pg) + 8)
        } else {
            self.cell_pos(pg, i)
        }
    }

    fn child(&self, pg: u32, i: usize) -> u32 {
        self.u32_at(self.child_pos(pg, i))
    }

    fn children(&self, pg: u32) -> Vec<u32> {
        (0..=self.ncells(pg)).map(|i| self.child(pg, i)).collect()
    }

    /// The pages of the tree under `root`, level by level.
    fn levels(&self, root: u32) -> Vec<Vec<u32>> {
        let mut levels = vec![vec![root]];
        loop {
            let last = levels.last().expect("non-empty");
            if !self.is_interior(last[0]) {
                return levels;
            }
            let next = last.iter().flat_map(|&p| self.children(p)).collect();
            levels.push(next);
        }
    }

    fn leaves(&self, root: u32) -> Vec<u32> {
        self.levels(root).pop().expect("a tree has leaves")
    }

    /// A table-leaf cell: (payload length, rowid, absolute position of the payload).
    fn table_cell(&self, pg: u32, i: usize) -> (u64, i64, usize) {
        let at = self.cell_pos(pg, i);
        let (len, n) = get_varint(&self.0[at..]).expect("payload size");
        let (rowid, m) = get_varint(&self.0[at + n..]).expect("rowid");
        (len, rowid as i64, at + n + m)
    }

    /// The table-leaf cells of `t` with an overflow chain: (leaf, cell index, absolute position
    /// of its overflow pointer).
    fn overflow_cells(&self) -> Vec<(u32, usize, usize)> {
        let (max_local, min_local) = (PAGE - 35, (PAGE - 12) * 32 / 255 - 23);
        let mut out = Vec::new();
        for leaf in self.leaves(base().t) {
            for i in 0..self.ncells(leaf) {
                let (len, _, payload) = self.table_cell(leaf, i);
                let len = len as usize;
                if len > max_local {
                    let k = min_local + (len - min_local) % (PAGE - 4);
                    let local = if k <= max_local { k } else { min_local };
                    out.push((leaf, i, payload + local));
                }
            }
        }
        out
    }

    /// The first table-leaf cell of `t` with an overflow chain.
    fn overflow_cell(&self) -> (u32, usize, usize) {
        *self.overflow_cells().first().expect("the base image has an overflowing row")
    }

    /// The overflow chain starting at `first`, followed `n` pages.
    fn chain(&self, first: u32, n: usize) -> Vec<u32> {
        let mut out = vec![first];
        while out.len() < n {
            out.push(self.u32_at(Self::pos(*out.last().expect("non-empty"), 0)));
        }
        out
    }

    /// A leaf of `root` with a freeblock: (leaf, offset of its first freeblock).
    fn leaf_with_freeblock(&self, root: u32) -> Option<(u32, usize)> {
        self.leaves(root).into_iter().find_map(|pg| {
            let fb = self.u16_at(Self::pos(pg, hdr(pg) + 1));
            (fb != 0).then_some((pg, fb))
        })
    }

    fn walk(self, case: &str) -> Walk {
        walk_image(self.0, WALK_LIMIT, case)
    }
}

/// Asserts that the walk reported the corruption: a `Corrupt` error or an integrity problem,
/// and no error of a kind that would point at a bug rather than at the file.
#[track_caller]
fn assert_reported(w: &Walk, case: &str) {
    assert!(w.found_corruption(), "{case}: the corruption went unnoticed: {}", w.summary());
    for e in &w.errors {
        assert!(
            matches!(e, Error::Corrupt { .. } | Error::NotADatabase(_)),
            "{case}: unexpected error kind {e:?}; {}",
            w.summary()
        );
    }
}

#[track_caller]
fn assert_not_a_database(w: &Walk, case: &str) {
    assert!(
        matches!(w.errors.first(), Some(Error::NotADatabase(_))),
        "{case}: expected NotADatabase on open: {}",
        w.summary()
    );
}

#[test]
fn the_base_image_walks_clean() {
    let w = Img::base().walk("base");
    assert!(w.is_clean(), "{}", w.summary());
    assert!(w.committed);
    assert!(w.entries > 3000, "{}", w.summary());
}

#[test]
fn bad_magic() {
    let mut img = Img::base();
    img.0[0] = b'X';
    assert_not_a_database(&img.walk("bad magic"), "bad magic");
}

#[test]
fn page_size_not_a_power_of_two() {
    for raw in [0u16, 513, 1000, 3, 0x8001] {
        let mut img = Img::base();
        img.set_u16(16, raw);
        let case = format!("page size {raw}");
        assert_not_a_database(&img.walk(&case), &case);
    }
}

#[test]
fn page_size_larger_than_the_pages_it_was_written_with() {
    // A valid page size that is not the one the file was written with: page 1's b-tree header
    // is read from a page of the wrong size and the file is shorter than the page count says.
    let mut img = Img::base();
    img.set_u16(16, 4096);
    let w = img.walk("page size 4096 on a 512-byte-page file");
    assert_reported(&w, "page size 4096");
}

#[test]
fn header_db_size_larger_than_the_file() {
    let mut img = Img::base();
    let n = img.db_size();
    img.set_u32(28, n + 10);
    let w = img.walk("db size too large");
    assert!(matches!(w.errors.first(), Some(Error::Corrupt { .. })), "{}", w.summary());
}

#[test]
fn file_truncated_mid_page() {
    let mut img = Img::base();
    let keep = img.0.len() / 2 + 200;
    img.0.truncate(keep);
    let w = img.walk("truncated mid-page");
    assert!(matches!(w.errors.first(), Some(Error::Corrupt { .. })), "{}", w.summary());

    // With a header size that is not trusted (version-valid-for differs from the change
    // counter), the page count comes from the file size: pages past the end are missing.
    let mut img = Img::base();
    img.0.truncate(keep);
    let stale = img.u32_at(92) ^ 1;
    img.set_u32(92, stale);
    let w = img.walk("truncated mid-page, stale size field");
    assert_reported(&w, "truncated, stale size field");
}

#[test]
fn file_truncated_below_the_header() {
    for keep in [99, 50, 16, 1] {
        let mut img = Img::base();
        img.0.truncate(keep);
        let case = format!("truncated to {keep} bytes");
        assert_not_a_database(&img.walk(&case), &case);
    }
}

#[test]
fn child_pointer_out_of_range() {
    let b = base();
    for (root, name) in [(b.t, "table"), (b.i, "index")] {
        for value in [0, Img::base().db_size() + 1, 0xffff_ffff] {
            let mut img = Img::base();
            let pos = img.child_pos(root, 0);
            img.set_u32(pos, value);
            let case = format!("{name} child pointer {value}");
            assert_reported(&img.walk(&case), &case);
        }
    }
}

#[test]
fn child_pointer_to_an_ancestor() {
    let b = base();
    for (root, name) in [(b.t, "table"), (b.i, "index")] {
        let img = Img::base();
        let levels = img.levels(root);
        let mid = levels[1][0];
        let n = img.ncells(mid);
        // A page pointing at itself, at its parent (left and right-most child), and a
        // grandchild pointing at the root.
        let cases = [
            (root, 0, root, "root points at itself"),
            (mid, 0, root, "first child of a level-1 page points at the root"),
            (mid, n, root, "right-most child of a level-1 page points at the root"),
            (mid, n / 2, mid, "level-1 page points at itself"),
        ];
        for (page, child, target, what) in cases {
            let mut img = Img::base();
            let pos = img.child_pos(page, child);
            img.set_u32(pos, target);
            let case = format!("{name}: {what}");
            assert_reported(&img.walk(&case), &case);
        }
    }
}

#[test]
fn child_pointer_to_a_page_of_the_wrong_kind() {
    let b = base();
    let img = Img::base();
    let t_levels = img.levels(b.t);
    let i_levels = img.levels(b.i);
    let (_, _, ovf_pos) = img.overflow_cell();
    let overflow_page = img.u32_at(ovf_pos);
    let trunk = img.u32_at(32);
    let cases = [
        (b.t, 0, b.i, "table interior -> index interior"),
        (
            t_levels[1][0],
            1,
            *i_levels.last().expect("leaves").first().expect("leaf"),
            "table -> index leaf",
        ),
        (b.i, 0, t_levels[1][0], "index interior -> table interior"),
        (t_levels[1][0], 0, overflow_page, "table -> overflow page"),
        (b.i, 1, trunk, "index -> freelist trunk"),
        // A level-1 interior page pointing at a leaf makes the leaves' depths differ.
        (b.t, 0, t_levels.last().expect("leaves")[0], "table root -> leaf (depth mismatch)"),
    ];
    for (page, child, target, what) in cases {
        let mut img = Img::base();
        let pos = img.child_pos(page, child);
        img.set_u32(pos, target);
        assert_reported(&img.walk(what), what);
    }
}

#[test]
fn overflow_chain_cycle() {
    let img = Img::base();
    let (_, _, ovf_pos) = img.overflow_cell();
    let first = img.u32_at(ovf_pos);
    let chain = img.chain(first, 3);
    // Second page back to the first; last page to itself; first page to itself.
    for (page, target) in [(chain[1], chain[0]), (chain[2], chain[2]), (chain[0], chain[0])] {
        let mut img = Img::base();
        img.set_u32(Img::pos(page, 0), target);
        let case = format!("overflow page {page} -> {target}");
        assert_reported(&img.walk(&case), &case);
    }
}

#[test]
fn overflow_pointer_out_of_range() {
    let img = Img::base();
    let (_, _, ovf_pos) = img.overflow_cell();
    let first = img.u32_at(ovf_pos);
    let n = img.db_size();
    for value in [0, n + 1, 0xffff_ffff] {
        let mut img = Img::base();
        img.set_u32(ovf_pos, value);
        let case = format!("overflow pointer in the cell = {value}");
        assert_reported(&img.walk(&case), &case);
        let mut img = Img::base();
        img.set_u32(Img::pos(first, 0), value);
        let case = format!("overflow pointer in the chain = {value}");
        assert_reported(&img.walk(&case), &case);
    }
}

#[test]
fn overflow_payload_size_that_lies() {
    // The cell claims a payload far larger than its chain: reading must fail without
    // allocating the claimed size up front.
    let mut img = Img::base();
    let (leaf, i, _) = img.overflow_cell();
    let at = img.cell_pos(leaf, i);
    // A 5-byte varint for 0x7fff_0000 would change the cell's length; rewrite the payload size
    // in place keeping its byte count (2 bytes for the base's 1.5 kB payloads): 0x3fff.
    let (_, n) = get_varint(&img.0[at..]).expect("payload size");
    assert_eq!(n, 2, "payload size is a 2-byte varint");
    img.0[at] = 0xff;
    img.0[at + 1] = 0x7f;
    assert_reported(&img.walk("payload size 16383"), "payload size 16383");
}

#[test]
fn huge_payload_size_is_not_allocated() {
    // An overflowing cell rewritten with a 5-byte payload size of 2^31 - 1: reading it (a scan,
    // the integrity check's key order, an index seek) must not allocate that much up front.
    // (Other tests run concurrently, but none allocates anything near the bound.)
    const BOUND: usize = 256 << 20;
    let b = base();
    let img = Img::base();
    let mut crafted = Vec::new();
    for (root, table) in [(b.t, true), (b.i, false)] {
        let (leaf, at) = img
            .leaves(root)
            .into_iter()
            .flat_map(|pg| (0..img.ncells(pg)).map(move |i| (pg, i)))
            .find_map(|(pg, i)| {
                let at = img.cell_pos(pg, i);
                let (len, n) = get_varint(&img.0[at..]).expect("payload size");
                let max_local = if table { PAGE - 35 } else { (PAGE - 12) * 64 / 255 - 23 };
                let fits = at + 60 <= Img::pos(pg, PAGE);
                (len as usize > max_local && n == 2 && fits).then_some((pg, at))
            })
            .expect("an overflowing cell away from the page end");
        // Old cell: 2-byte size, [2-byte rowid], 39 local bytes (the minimum, which a payload
        // of 2^31 - 1 also gets), 4-byte overflow page. The new one is 3 bytes longer.
        let key_len = if table { 2 } else { 0 };
        let rest = img.0[at + 2..at + 2 + key_len + 39 + 4].to_vec();
        let mut cell = Vec::new();
        put_varint(&mut cell, (1 << 31) - 1);
        cell.extend_from_slice(&rest);
        let mut bad = Img::base();
        bad.0[at..at + cell.len()].copy_from_slice(&cell);
        crafted.push((leaf, bad));
    }
    for (leaf, bad) in crafted {
        let case = format!("page {leaf}: payload size 2^31 - 1");
        LARGEST_REQUEST.store(0, Ordering::Relaxed);
        let w = bad.walk(&case);
        let largest = LARGEST_REQUEST.load(Ordering::Relaxed);
        assert!(largest < BOUND, "{case}: an allocation of {largest} bytes");
        assert_reported(&w, &case);
    }
}

#[test]
fn freelist_trunk_cycle() {
    let img = Img::base();
    let first = img.u32_at(32);
    assert_ne!(first, 0, "the base image has a freelist trunk");
    let mut last = first;
    while img.u32_at(Img::pos(last, 0)) != 0 {
        last = img.u32_at(Img::pos(last, 0));
    }
    let mut img = Img::base();
    img.set_u32(Img::pos(last, 0), first);
    assert_reported(&img.walk("freelist trunk cycle"), "freelist trunk cycle");
}

#[test]
fn freelist_count_that_lies() {
    let count = common::freelist_count(&base().image);
    for lie in [count + 3, count - 1, 0] {
        let mut img = Img::base();
        img.set_u32(36, lie);
        let case = format!("freelist count {lie} instead of {count}");
        assert_reported(&img.walk(&case), &case);
    }
    // A count at or past the page count is refused on open.
    let mut img = Img::base();
    let n = img.db_size();
    img.set_u32(36, n);
    let w = img.walk("freelist count = page count");
    assert!(matches!(w.errors.first(), Some(Error::Corrupt { .. })), "{}", w.summary());
}

#[test]
fn freelist_leaf_out_of_range_or_in_use() {
    let img = Img::base();
    let trunk = img.u32_at(32);
    let nleaves = img.u32_at(Img::pos(trunk, 4)) as usize;
    assert!(nleaves > 0, "the first trunk has leaves");
    let last_leaf_pos = Img::pos(trunk, 8 + 4 * (nleaves - 1));
    for (value, what) in [(img.db_size() + 7, "out of range"), (1, "page 1"), (base().t, "a root")]
    {
        let mut img = Img::base();
        img.set_u32(last_leaf_pos, value);
        let case = format!("freelist leaf {what}");
        assert_reported(&img.walk(&case), &case);
    }
}

#[test]
fn cell_pointer_past_the_page_end() {
    let b = base();
    let img = Img::base();
    let leaf = img.leaves(b.t)[3];
    let ileaf = img.leaves(b.i)[3];
    let cases = [
        (leaf, 0xfff0u16),
        (leaf, 511),
        (leaf, 2),
        (ileaf, 600),
        (b.t, 513),
        // Inside the page, but the 4-byte child pointer of an interior cell runs off its end.
        (b.t, 510),
        (b.i, 509),
    ];
    for (page, value) in cases {
        let mut img = Img::base();
        let pos = img.ptr_pos(page, 0);
        img.set_u16(pos, value);
        let case = format!("page {page}: cell pointer {value}");
        assert_reported(&img.walk(&case), &case);
    }
}

#[test]
fn cell_count_larger_than_the_page_can_hold() {
    let b = base();
    let img = Img::base();
    let leaf = img.leaves(b.t)[5];
    for (page, value) in [(leaf, 0xffffu16), (leaf, 252), (leaf, 200), (b.i, 300), (b.t, 100)] {
        let mut img = Img::base();
        img.set_u16(Img::pos(page, hdr(page) + 3), value);
        let case = format!("page {page}: cell count {value}");
        assert_reported(&img.walk(&case), &case);
    }
}

#[test]
fn record_header_that_lies_about_lengths() {
    let b = base();
    let img = Img::base();
    // A short row: a one-byte header size and three one-byte serial types.
    let payload = img.leaves(b.t)[7..]
        .iter()
        .flat_map(|&pg| (0..img.ncells(pg)).map(move |i| (pg, i)))
        .map(|(pg, i)| img.table_cell(pg, i))
        .find(|&(len, _, payload)| len < 100 && img.0[payload] == 4)
        .map(|(_, _, payload)| payload)
        .expect("a short row");
    let cases: [(usize, u8, &str); 5] = [
        (0, 0x7f, "header size larger than the payload"),
        (0, 0, "header size zero"),
        (2, 0x7f, "text longer than the payload"),
        (3, 0x7e, "blob longer than the payload"),
        (1, 10, "reserved serial type"),
    ];
    for (off, value, what) in cases {
        let mut img = Img::base();
        img.0[payload + off] = value;
        assert_reported(&img.walk(what), what);
    }
    // The same in an index key.
    let ileaf = img.leaves(b.i)[7];
    let at = img.cell_pos(ileaf, 0);
    let (_, n) = get_varint(&img.0[at..]).expect("payload size");
    let mut bad = Img::base();
    bad.0[at + n + 1] = 0x7f;
    assert_reported(&bad.walk("index key text longer than the payload"), "index key");
}

#[test]
fn freeblock_list_cycle() {
    let b = base();
    for root in [b.t, b.i] {
        let img = Img::base();
        let (leaf, fb) = img.leaf_with_freeblock(root).expect("a leaf with a freeblock");
        // The first freeblock points at itself.
        let mut img = Img::base();
        img.set_u16(Img::pos(leaf, fb), fb as u16);
        let case = format!("page {leaf}: freeblock {fb} -> itself");
        assert_reported(&img.walk(&case), &case);
        // A second freeblock (carved from the gap) points back at the first.
        let mut img = Img::base();
        let ptr_end = 8 + 2 * img.ncells(leaf);
        let start = img.u16_at(Img::pos(leaf, 5));
        assert!(start >= ptr_end + 4, "the leaf has a gap");
        let second = start - 4;
        img.set_u16(Img::pos(leaf, second), fb as u16);
        img.set_u16(Img::pos(leaf, second + 2), 4);
        img.set_u16(Img::pos(leaf, 1), second as u16);
        img.set_u16(Img::pos(leaf, 5), second as u16);
        img.set_u16(Img::pos(leaf, fb), second as u16);
        let case = format!("page {leaf}: freeblocks {second} -> {fb} -> {second}");
        assert_reported(&img.walk(&case), &case);
    }
}

#[test]
fn freeblock_past_the_page_end_or_oversized() {
    let b = base();
    let img = Img::base();
    let (leaf, fb) = img.leaf_with_freeblock(b.t).expect("a leaf with a freeblock");
    for (pos, value, what) in [
        (Img::pos(leaf, 1), 510u16, "first freeblock at 510"),
        (Img::pos(leaf, 1), 0xfffc, "first freeblock at 65532"),
        (Img::pos(leaf, fb + 2), 0xfff0, "freeblock size 65520"),
        (Img::pos(leaf, fb), 0xfffe, "next freeblock at 65534"),
    ] {
        let mut img = Img::base();
        img.set_u16(pos, value);
        assert_reported(&img.walk(what), what);
    }
}

#[test]
fn content_area_start_out_of_range() {
    let b = base();
    let img = Img::base();
    // A leaf with a deleted row between its first two: inserting that row again puts a cell on
    // the page without first freeing one.
    let (leaf, rowid) = img
        .leaves(b.t)
        .into_iter()
        .find_map(|pg| {
            let (a, c) = (img.table_cell(pg, 0).1, img.table_cell(pg, 1).1);
            (c > a + 1).then_some((pg, a + 1))
        })
        .expect("a leaf with a gap in its rowids");
    for value in [0u16, 600, 0xffff, 9] {
        let mut img = Img::base();
        img.set_u16(Img::pos(leaf, 5), value);
        let case = format!("page {leaf}: content area starts at {value}");
        assert_reported(&img.clone().walk(&case), &case);
        if value == 9 {
            // Inside the cell pointer array: an insert defragments the page, which repairs it.
            continue;
        }
        let w = write_to(&img, |conn, t| conn.table_insert(t, rowid, &[Value::Blob(vec![1; 60])]));
        assert_reported(&w, &case);
    }
}

#[test]
fn fragment_count_that_lies() {
    // A full leaf whose fragment count claims 255 free bytes: replacing a row with a larger one
    // defragments the page, which finds less room than claimed.
    let b = base();
    let img = Img::base();
    let leaves = img.leaves(b.t);
    let gap = |pg: u32| img.u16_at(Img::pos(pg, 5)) - (8 + 2 * img.ncells(pg));
    let leaf = *leaves[..leaves.len() - 1].iter().min_by_key(|&&pg| gap(pg)).expect("leaves");
    assert!(gap(leaf) < 60, "a full leaf");
    let rowid = img.table_cell(leaf, 1).1;
    let mut img = Img::base();
    img.0[Img::pos(leaf, 7)] = 255;
    assert_reported(&img.clone().walk("fragment count 255"), "fragment count 255");
    let w = write_to(&img, |conn, t| conn.table_insert(t, rowid, &[Value::Blob(vec![3; 200])]));
    assert_reported(&w, "fragment count 255, insert");
}

#[test]
fn cells_that_overlap() {
    // Every cell pointer of a leaf points at its overflowing cell, the content area starts right
    // after the pointers and the fragment count claims the rest: the cells' total size exceeds
    // the page, so a defragmentation must refuse rather than write past it.
    let mut img = Img::base();
    // A leaf with enough cells that copies of its overflowing cell (47 bytes and a pointer)
    // exceed the page.
    let (leaf, i, _) = *img
        .overflow_cells()
        .iter()
        .find(|&&(leaf, _, _)| img.ncells(leaf) * 49 > PAGE)
        .expect("a full leaf with an overflowing cell");
    let target = img.u16_at(img.ptr_pos(leaf, i)) as u16;
    let n = img.ncells(leaf);
    let real: Vec<i64> = (0..n).map(|j| img.table_cell(leaf, j).1).collect();
    for j in 0..n {
        let pos = img.ptr_pos(leaf, j);
        img.set_u16(pos, target);
    }
    img.set_u16(Img::pos(leaf, 5), (8 + 2 * n) as u16);
    img.0[Img::pos(leaf, 7)] = 255;
    let overflow_rowid = real[i];
    // A rowid that routes to this leaf but is not the one every pointer now shows.
    let rowid = if real[0] == overflow_rowid { real[n - 1] } else { real[0] };
    assert_reported(&img.clone().walk("overlapping cells"), "overlapping cells");
    let w = write_to(&img, |conn, t| conn.table_insert(t, rowid, &[Value::Blob(vec![2; 80])]));
    assert_reported(&w, "overlapping cells, insert");
}

#[test]
fn page_one_as_a_child() {
    // A leaf's place in the table is taken by page 1 (the schema's root, whose b-tree header
    // sits after the file header). Changing the rows of its neighbour makes a rebalance take
    // page 1 as a sibling; it must not be written as if it were an ordinary page (whose cells
    // would not fit below the file header).
    let b = base();
    let img = Img::base();
    let levels = img.levels(b.t);
    let parent = levels[levels.len() - 2][0];
    let neighbour = img.child(parent, 0);
    let rowids: Vec<i64> =
        (0..img.ncells(neighbour)).map(|i| img.table_cell(neighbour, i).1).collect();
    let mut img = Img::base();
    let pos = img.child_pos(parent, 1);
    img.set_u32(pos, 1);
    assert_reported(&img.clone().walk("page 1 as a child"), "page 1 as a child");
    let w = write_to(&img, |conn, t| {
        for &r in &rowids {
            conn.table_delete(t, r)?;
        }
        Ok(())
    });
    assert_reported(&w, "page 1 as a child, deletes");
    // Rows that each nearly fill a page: every split makes groups too large for page 1.
    let w = write_to(&img, |conn, t| {
        for &r in &rowids {
            conn.table_insert(t, r, &[Value::Blob(vec![r as u8; 400])])?;
        }
        Ok(())
    });
    assert_reported(&w, "page 1 as a child, large rows");
}

#[test]
fn shared_subtrees_do_not_explode_a_scan() {
    // Appended interior pages, each with 60 children that are all the next page: a DAG, not a
    // cycle, so the depth bound alone does not stop a scan, which would visit 60^6 leaves.
    let b = base();
    let mut img = Img::base();
    let leaf = img.leaves(b.t)[0];
    let levels = 6u32;
    let first_new = img.db_size() + 1;
    for k in 0..levels {
        let pg = first_new + k;
        let next = if k + 1 == levels { leaf } else { pg + 1 };
        img.0.extend(interior_page(next, 60));
        assert_eq!(img.0.len(), pg as usize * PAGE);
    }
    img.set_u32(28, first_new + levels - 1);
    // The table's root now holds one child: the first appended page.
    let root = interior_page(first_new, 0);
    let at = Img::pos(b.t, 0);
    img.0[at..at + PAGE].copy_from_slice(&root);
    assert_reported(&img.walk("shared subtrees"), "shared subtrees");
}

/// A table-interior page whose `n` cells (rowids 1..=n) and right-most child all point at
/// `child`.
fn interior_page(child: u32, n: usize) -> Vec<u8> {
    let mut p = vec![0u8; PAGE];
    p[0] = 5;
    p[3..5].copy_from_slice(&(n as u16).to_be_bytes());
    p[8..12].copy_from_slice(&child.to_be_bytes());
    let mut content = PAGE;
    for i in 0..n {
        content -= 5;
        p[content..content + 4].copy_from_slice(&child.to_be_bytes());
        p[content + 4] = (i + 1) as u8;
        p[12 + 2 * i..14 + 2 * i].copy_from_slice(&(content as u16).to_be_bytes());
    }
    p[5..7].copy_from_slice(&(content as u16).to_be_bytes());
    p
}

/// Opens `img` and runs `f` on table `t` in a write transaction (committing if it succeeds),
/// then the integrity check; returns what happened as a `Walk`.
fn write_to<T>(
    img: &Img,
    f: impl FnOnce(&mut embedlite::storage::Connection, PageNo) -> embedlite::Result<T>,
) -> Walk {
    let sim = SimIo::new(SimConfig::new(0));
    sim.set_file_bytes(common::DB_PATH, &img.0);
    let mut w = Walk::default();
    let db = match Database::open_with(Arc::new(sim), common::DB_PATH, common::open_options(512)) {
        Ok(db) => db,
        Err(e) => {
            w.errors.push(e);
            return w;
        }
    };
    let mut conn = db.connect().expect("connect to an image that opened");
    conn.begin_write().expect("begin");
    match f(&mut conn, PageNo(base().t)) {
        Ok(_) => {
            if let Err(e) = conn.commit() {
                w.errors.push(e);
            }
        }
        Err(e) => {
            w.errors.push(e);
            conn.rollback().expect("rollback");
        }
    }
    match conn.integrity_check() {
        Ok(p) => w.problems.extend(p),
        Err(e) => w.errors.push(e),
    }
    w
}

// ---------------------------------------------------------------------------------------------
// Random mutations
// ---------------------------------------------------------------------------------------------

/// Cases per image; `EMBEDLITE_CORRUPT_CASES` overrides.
const CASES_PER_IMAGE: usize = 1000;

/// One random change to `img`, described for the failure message.
fn mutate(rng: &mut ChaCha8Rng, img: &mut [u8], page_size: usize) -> String {
    let pages = img.len() / page_size;
    let pg = rng.gen_range(0..pages);
    let base = pg * page_size;
    let hdr = if pg == 0 { 100 } else { 0 };
    // Half the time aim at the structural part of the page (b-tree header and cell pointers,
    // or an overflow/freelist page's leading numbers), else anywhere in it.
    let off = if rng.gen_bool(0.5) {
        hdr + rng.gen_range(0..40)
    } else {
        rng.gen_range(0..page_size - 4)
    };
    let at = base + off;
    let db_size = (img.len() / page_size) as u32;
    match rng.gen_range(0..4) {
        0 => {
            let n = rng.gen_range(1..=4);
            for _ in 0..n {
                let a = base + rng.gen_range(0..page_size);
                img[a] ^= 1 << rng.gen_range(0..8);
            }
            format!("{n} bit flips in page {}", pg + 1)
        }
        1 => {
            let v: u16 = match rng.gen_range(0..6) {
                0 => 0,
                1 => 0xffff,
                2 => page_size as u16,
                3 => rng.gen_range(0..page_size as u16),
                4 => rng.gen_range(0..16),
                _ => rng.gen(),
            };
            img[at..at + 2].copy_from_slice(&v.to_be_bytes());
            format!("u16 {v} at offset {off} of page {}", pg + 1)
        }
        2 => {
            let v: u32 = match rng.gen_range(0..6) {
                0 => 0,
                1 => 1,
                2 => rng.gen_range(1..=db_size),
                3 => db_size + rng.gen_range(1..4),
                4 => u32::MAX,
                _ => rng.gen(),
            };
            img[at..at + 4].copy_from_slice(&v.to_be_bytes());
            format!("u32 {v} at offset {off} of page {}", pg + 1)
        }
        _ => {
            let v: u8 = rng.gen();
            img[at] = v;
            format!("byte {v} at offset {off} of page {}", pg + 1)
        }
    }
}

#[test]
fn random_mutations_never_panic_or_hang() {
    let seed: u64 = std::env::var("EMBEDLITE_CORRUPT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_c0de);
    let cases: usize = std::env::var("EMBEDLITE_CORRUPT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CASES_PER_IMAGE);
    let images = [
        ("embedlite 512", common::embedlite_image(512, 300), 512),
        ("embedlite 1024", common::embedlite_image(1024, 400), 1024),
        ("embedlite 4096", common::embedlite_image(4096, 150), 4096),
        ("sqlite 512", common::sqlite_image(512, 300), 512),
    ];
    println!(
        "random mutations: seed {seed} (set EMBEDLITE_CORRUPT_SEED to replay), {cases} per image"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut reported = 0;
    for (name, image, page_size) in &images {
        assert!(common::open_and_walk(image).is_clean(), "{name}: the clean image walks clean");
        for case in 0..cases {
            let mut img = image.clone();
            let mut what = Vec::new();
            for _ in 0..rng.gen_range(1..=3) {
                what.push(mutate(&mut rng, &mut img, *page_size));
            }
            let context = format!("seed {seed}, image {name}, case {case}: {}", what.join("; "));
            let w = walk_image(img, WALK_LIMIT, &context);
            if !w.is_clean() {
                reported += 1;
            }
        }
    }
    println!("random mutations: {reported} of {} cases reported a problem", cases * images.len());
    // Other tests only ever lower this (by resetting it), so a huge request made by any walk
    // above is still seen here unless one of them reset it in the meantime.
    let largest = LARGEST_REQUEST.load(Ordering::Relaxed);
    assert!(largest < 256 << 20, "seed {seed}: some walk allocated {largest} bytes at once");
}
