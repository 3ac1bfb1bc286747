//! `Database` (a file, shareable across threads) and `Connection` (one pager and one file
//! handle, with its own locks, like a SQLite connection).
//!
//! This is the storage-level API: tables and indexes by root page, rows as `Value`s. The SQL
//! layer builds on the same pager and b-trees.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::storage::btree::{self, integrity_check, Cursor, TreeCheck, TreeKind};
use crate::storage::format::PageNo;
use crate::storage::io::{Io, MemIo, OsIo};
use crate::storage::pager::{Pager, PagerOptions, PagerState};
use crate::storage::record::{decode_record, encode_record, KeyInfo, Value};
use crate::storage::schema::{self, name_from_create, SchemaEntry};

/// How a database is opened.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Refuse writes.
    pub read_only: bool,
    /// How long to wait for another connection's lock before `Busy`.
    pub busy_timeout: Duration,
    /// Clean pages each connection caches.
    pub cache_pages: usize,
    /// Page size of a new database (512–65536, a power of two).
    pub page_size: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        let p = PagerOptions::default();
        OpenOptions {
            read_only: false,
            busy_timeout: p.busy_timeout,
            cache_pages: p.cache_pages,
            page_size: p.page_size,
        }
    }
}

/// A database file. Cheap to share (`Send + Sync`); each `connect` opens its own handle.
#[derive(Debug, Clone)]
pub struct Database {
    io: Arc<dyn Io>,
    path: String,
    opts: OpenOptions,
}

impl Database {
    /// Opens (creating if needed) a database file; `":memory:"` gives a private in-memory one.
    pub fn open(path: &str) -> Result<Database> {
        Self::open_with_options(path, OpenOptions::default())
    }

    /// Opens with options.
    pub fn open_with_options(path: &str, opts: OpenOptions) -> Result<Database> {
        if path == ":memory:" {
            return Self::open_with(Arc::new(MemIo::new()), "memory.db", opts);
        }
        Self::open_with(Arc::new(OsIo::new()), path, opts)
    }

    /// A new in-memory database.
    pub fn open_in_memory() -> Result<Database> {
        Self::open(":memory:")
    }

    /// Opens through any `Io` (tests use `SimIo` and `MemIo`). Validates the file and recovers a
    /// hot journal before returning.
    pub fn open_with(io: Arc<dyn Io>, path: &str, opts: OpenOptions) -> Result<Database> {
        let db = Database { io, path: path.to_string(), opts };
        db.connect()?;
        Ok(db)
    }

    /// Opens a new connection.
    pub fn connect(&self) -> Result<Connection> {
        let popts = PagerOptions {
            busy_timeout: self.opts.busy_timeout,
            cache_pages: self.opts.cache_pages,
            read_only: self.opts.read_only,
            page_size: self.opts.page_size,
        };
        Ok(Connection { pager: Pager::open(self.io.clone(), &self.path, popts)? })
    }

    /// The path the database was opened with.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// One connection: a pager with its own cache, file handle and locks.
#[derive(Debug)]
pub struct Connection {
    pager: Pager,
}

impl Connection {
    /// The pager, for layers that work on pages and b-trees directly.
    pub fn pager(&mut self) -> &mut Pager {
        &mut self.pager
    }

    /// Starts a read transaction.
    pub fn begin_read(&mut self) -> Result<()> {
        self.pager.begin_read()
    }

    /// Starts a write transaction.
    pub fn begin_write(&mut self) -> Result<()> {
        self.pager.begin_write()
    }

    /// Commits (or ends a read transaction).
    pub fn commit(&mut self) -> Result<()> {
        self.pager.commit()
    }

    /// Rolls back.
    pub fn rollback(&mut self) -> Result<()> {
        self.pager.rollback()
    }

    /// Whether a transaction is open.
    #[must_use]
    pub fn in_transaction(&self) -> bool {
        matches!(self.pager.state(), PagerState::Reading | PagerState::Writing)
    }

    /// Runs `f` in the current transaction, or in its own read transaction if none is open.
    fn read<T>(&mut self, f: impl FnOnce(&mut Pager) -> Result<T>) -> Result<T> {
        if self.pager.state() != PagerState::Idle {
            return f(&mut self.pager);
        }
        self.pager.begin_read()?;
        let r = f(&mut self.pager);
        let end = self.pager.end_read();
        let v = r?;
        end?;
        Ok(v)
    }

    /// Runs `f` in the current write transaction, or in its own (committed on success, rolled
    /// back on error) if none is open.
    fn write<T>(&mut self, f: impl FnOnce(&mut Pager) -> Result<T>) -> Result<T> {
        match self.pager.state() {
            PagerState::Writing => f(&mut self.pager),
            PagerState::Reading => {
                Err(Error::Misuse("write inside a read transaction; use begin_write".into()))
            }
            _ => {
                self.pager.begin_write()?;
                match f(&mut self.pager) {
                    Ok(v) => {
                        self.pager.commit()?;
                        Ok(v)
                    }
                    Err(e) => {
                        self.pager.rollback()?;
                        Err(e)
                    }
                }
            }
        }
    }

    /// The rows of `sqlite_schema`.
    pub fn schema(&mut self) -> Result<Vec<SchemaEntry>> {
        self.read(|p| Ok(schema::read_schema(p)?.into_iter().map(|(_, e)| e).collect()))
    }

    /// Creates a table from its `CREATE TABLE` statement (stored as given) and returns its root.
    pub fn create_table(&mut self, sql: &str) -> Result<PageNo> {
        let name = name_from_create(sql)?;
        self.write(|p| {
            let root = btree::create_tree(p, TreeKind::Table)?;
            let entry = SchemaEntry {
                kind: "table".into(),
                name: name.clone(),
                tbl_name: name,
                rootpage: root.0,
                sql: Some(sql.to_string()),
            };
            schema::add_entry(p, &entry)?;
            Ok(root)
        })
    }

    /// Creates an index on `table` from its `CREATE INDEX` statement and returns its root. The
    /// caller fills it (`index_insert`) with one entry per row: the indexed values then the rowid.
    pub fn create_index(&mut self, sql: &str, table: &str) -> Result<PageNo> {
        let name = name_from_create(sql)?;
        self.write(|p| {
            let root = btree::create_tree(p, TreeKind::Index)?;
            let entry = SchemaEntry {
                kind: "index".into(),
                name,
                tbl_name: table.to_string(),
                rootpage: root.0,
                sql: Some(sql.to_string()),
            };
            schema::add_entry(p, &entry)?;
            Ok(root)
        })
    }

    /// Drops a table or index by name: frees its pages and removes its schema row.
    pub fn drop_object(&mut self, name: &str) -> Result<()> {
        self.write(|p| {
            let entries = schema::read_schema(p)?;
            let (rowid, e) =
                entries
                    .into_iter()
                    .find(|(_, e)| e.name.eq_ignore_ascii_case(name))
                    .ok_or_else(|| Error::Misuse(format!("no such table or index: {name}")))?;
            if e.rootpage != 0 {
                btree::drop_tree(p, PageNo(e.rootpage))?;
            }
            schema::remove_entry(p, rowid)
        })
    }

    /// Inserts or replaces a row.
    pub fn table_insert(&mut self, root: PageNo, rowid: i64, values: &[Value]) -> Result<()> {
        let mut rec = Vec::new();
        encode_record(values, &mut rec);
        self.write(|p| btree::table_insert(p, root, rowid, &rec))
    }

    /// Deletes a row; returns whether it existed.
    pub fn table_delete(&mut self, root: PageNo, rowid: i64) -> Result<bool> {
        self.write(|p| btree::table_delete(p, root, rowid))
    }

    /// Reads one row.
    pub fn table_get(&mut self, root: PageNo, rowid: i64) -> Result<Option<Vec<Value>>> {
        self.read(|p| {
            let mut cur = Cursor::new(root, TreeKind::Table);
            if !cur.seek_rowid(p, rowid)? {
                return Ok(None);
            }
            Ok(Some(decode_record(&cur.payload(p)?)?))
        })
    }

    /// Every row of a table in rowid order.
    pub fn table_rows(&mut self, root: PageNo) -> Result<Vec<(i64, Vec<Value>)>> {
        self.read(|p| {
            let mut out = Vec::new();
            let mut cur = Cursor::new(root, TreeKind::Table);
            let mut ok = cur.first(p)?;
            while ok {
                let rowid = cur.rowid(p)?;
                out.push((rowid, decode_record(&cur.payload(p)?)?));
                ok = cur.next(p)?;
            }
            Ok(out)
        })
    }

    /// Inserts an index entry (binary collation, ascending).
    pub fn index_insert(&mut self, root: PageNo, key: &[Value]) -> Result<()> {
        let mut rec = Vec::new();
        encode_record(key, &mut rec);
        self.write(|p| btree::index_insert(p, root, &KeyInfo::binary(), &rec))
    }

    /// Deletes an index entry; returns whether it existed.
    pub fn index_delete(&mut self, root: PageNo, key: &[Value]) -> Result<bool> {
        let mut rec = Vec::new();
        encode_record(key, &mut rec);
        self.write(|p| btree::index_delete(p, root, &KeyInfo::binary(), &rec))
    }

    /// Every entry of an index in key order.
    pub fn index_entries(&mut self, root: PageNo) -> Result<Vec<Vec<Value>>> {
        self.read(|p| {
            let mut out = Vec::new();
            let mut cur = Cursor::new(root, TreeKind::Index);
            let mut ok = cur.first(p)?;
            while ok {
                out.push(decode_record(&cur.payload(p)?)?);
                ok = cur.next(p)?;
            }
            Ok(out)
        })
    }

    /// The page-level integrity check over every b-tree in the schema and the freelist. Empty
    /// means `ok`. Index key order is checked for indexes without collations or `DESC` (their
    /// order needs the SQL layer's key description).
    pub fn integrity_check(&mut self) -> Result<Vec<String>> {
        self.read(|p| {
            if p.db_size() == 0 {
                return Ok(Vec::new());
            }
            let mut trees = vec![TreeCheck {
                root: PageNo::ONE,
                kind: TreeKind::Table,
                key_info: None,
                name: "sqlite_schema".into(),
            }];
            for (_, e) in schema::read_schema(p)? {
                if e.rootpage == 0 {
                    continue;
                }
                let kind = if e.kind == "index" { TreeKind::Index } else { TreeKind::Table };
                let plain = e.sql.as_deref().is_some_and(|s| {
                    let u = s.to_ascii_uppercase();
                    !u.contains("COLLATE") && !u.contains("DESC") && !u.contains("WITHOUT ROWID")
                });
                let key_info = (kind == TreeKind::Index && plain).then(KeyInfo::binary);
                let kind = if e
                    .sql
                    .as_deref()
                    .is_some_and(|s| s.to_ascii_uppercase().contains("WITHOUT ROWID"))
                {
                    TreeKind::Index
                } else {
                    kind
                };
                trees.push(TreeCheck { root: PageNo(e.rootpage), kind, key_info, name: e.name });
            }
            integrity_check(p, &trees)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}

    #[test]
    fn databases_are_shared_and_connections_move_between_threads() {
        assert_send_sync::<Database>();
        assert_send::<Connection>();
        assert_send::<crate::Connection>();
        let db = Database::open_in_memory().expect("open");
        let handles: Vec<_> = (0..4i64)
            .map(|i| {
                let db = db.clone();
                std::thread::spawn(move || {
                    let mut c = db.connect().expect("connect");
                    c.begin_write().expect("begin");
                    let root = c.create_table(&format!("CREATE TABLE t{i}(a)")).expect("create");
                    c.table_insert(root, 1, &[Value::Integer(i)]).expect("insert");
                    c.commit().expect("commit");
                })
            })
            .collect();
        for h in handles {
            h.join().expect("thread");
        }
        let mut c = db.connect().expect("connect");
        assert_eq!(c.schema().expect("schema").len(), 4);
    }
}
