//! `VACUUM`: rebuilds the database without free pages.
//!
//! Every b-tree named in `sqlite_schema` is copied, in key order, into a fresh database in
//! memory (appends fill pages densely), `sqlite_schema` is copied with the new root pages and
//! the same rowids, and the header keeps the old file's settings — page size, text encoding,
//! user version, application id, ... — with the schema cookie bumped, as SQLite's VACUUM does.
//! The compact image then replaces the file's pages inside the caller's write transaction
//! ([`Pager::replace_image`]), so it commits through the rollback journal like any other
//! transaction: a crash part-way leaves a hot journal that restores the old file whole.
//!
//! The old image (journaled), the new one and the copy being built are all held in memory until
//! the commit, like every write transaction's dirty pages.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::storage::btree::{self, Cursor, TreeKind};
use crate::storage::format::{put_u32, PageNo};
use crate::storage::header::{offset, HEADER_SIZE};
use crate::storage::io::MemIo;
use crate::storage::pager::{Pager, PagerOptions};
use crate::storage::record::encode_record;
use crate::storage::schema;

/// Rebuilds the database `pager` holds open for writing (no savepoint open).
pub fn vacuum(pager: &mut Pager) -> Result<()> {
    if pager.db_size() == 0 {
        return Ok(());
    }
    let header = pager.header()?;
    if header.reserved != 0 {
        return Err(Error::Unsupported(format!(
            "VACUUM of a database with {} reserved bytes per page",
            header.reserved
        )));
    }
    let opts = PagerOptions { page_size: header.page_size, ..PagerOptions::default() };
    let mut copy = Pager::open(Arc::new(MemIo::new()), "vacuum", opts)?;
    copy.begin_write()?;
    for (rowid, mut entry) in schema::read_schema(pager)? {
        if entry.rootpage != 0 {
            entry.rootpage = copy_tree(pager, &mut copy, PageNo(entry.rootpage))?.0;
        }
        let mut rec = Vec::new();
        encode_record(&entry.to_values(), &mut rec);
        btree::table_insert(&mut copy, PageNo::ONE, rowid, &rec)?;
    }
    // The old header, less its freelist, with a new schema cookie (prepared statements of
    // other connections name the old root pages).
    let mut head = pager.get(PageNo::ONE)?[..HEADER_SIZE].to_vec();
    put_u32(&mut head, offset::FREELIST_TRUNK, 0);
    put_u32(&mut head, offset::FREELIST_COUNT, 0);
    put_u32(&mut head, offset::SCHEMA_COOKIE, header.schema_cookie.wrapping_add(1));
    copy.get_mut(PageNo::ONE)?[..HEADER_SIZE].copy_from_slice(&head);
    let n = copy.db_size();
    pager.replace_image(n, |pg| Ok(copy.get(pg)?.to_vec()))
}

/// Copies the b-tree rooted at `root` of `from` into a new b-tree of `to`, in key order.
fn copy_tree(from: &mut Pager, to: &mut Pager, root: PageNo) -> Result<PageNo> {
    let kind = btree::tree_kind(from, root)?;
    let new = btree::create_tree(to, kind)?;
    let mut cur = Cursor::new(root, kind);
    let mut ok = cur.first(from)?;
    while ok {
        match kind {
            TreeKind::Table => {
                let rowid = cur.rowid(from)?;
                btree::table_insert(to, new, rowid, &cur.payload(from)?)?;
            }
            TreeKind::Index => btree::index_append(to, new, &cur.payload(from)?)?,
        }
        ok = cur.next(from)?;
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Value;

    #[test]
    fn vacuum_drops_free_pages_and_keeps_rows() {
        let mut pager =
            Pager::open(Arc::new(MemIo::new()), "db", PagerOptions::default()).expect("open");
        pager.begin_write().expect("write");
        let table = btree::create_tree(&mut pager, TreeKind::Table).expect("table");
        let entry = schema::SchemaEntry {
            kind: "table".into(),
            name: "t".into(),
            tbl_name: "t".into(),
            rootpage: table.0,
            sql: Some("CREATE TABLE t(a)".into()),
        };
        schema::add_entry(&mut pager, &entry).expect("schema");
        for i in 0..2000i64 {
            let mut rec = Vec::new();
            encode_record(&[Value::Text(format!("row {i:0>200}"))], &mut rec);
            btree::table_insert(&mut pager, table, i, &rec).expect("insert");
        }
        for i in 0..1990i64 {
            btree::table_delete(&mut pager, table, i).expect("delete");
        }
        pager.commit().expect("commit");
        pager.begin_write().expect("write");
        let before = pager.db_size();
        assert!(pager.header().expect("header").freelist_count > 0);
        vacuum(&mut pager).expect("vacuum");
        pager.commit().expect("commit");
        pager.begin_read().expect("read");
        assert!(pager.db_size() < before / 10, "{} pages, {before} before", pager.db_size());
        assert_eq!(pager.header().expect("header").freelist_count, 0);
        let entries = schema::read_schema(&mut pager).expect("schema");
        let mut cur = Cursor::new(PageNo(entries[0].1.rootpage), TreeKind::Table);
        let mut rowids = Vec::new();
        let mut ok = cur.first(&mut pager).expect("first");
        while ok {
            rowids.push(cur.rowid(&mut pager).expect("rowid"));
            ok = cur.next(&mut pager).expect("next");
        }
        assert_eq!(rowids, (1990..2000).collect::<Vec<i64>>());
        pager.check_invariants();
    }
}
