//! The SQL API: `Connection` runs SQL text against a database file.
//!
//! ```
//! use embedlite::{Connection, Value};
//!
//! let mut conn = Connection::open(":memory:")?;
//! conn.execute_batch("CREATE TABLE movies(title TEXT, year INTEGER); \
//!                     INSERT INTO movies VALUES ('Alien', 1979), ('Heat', 1995);")?;
//! let r = conn.query("SELECT title FROM movies WHERE year > ?1 ORDER BY title", &[Value::Integer(1980)])?;
//! assert_eq!(r.rows, vec![vec![Value::Text("Heat".into())]]);
//! # Ok::<(), embedlite::Error>(())
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlparser::ast::Statement as Ast;

use crate::error::{Error, RaiseAction, Result};
use crate::exec::{self, ddl, dml, pragma, query, Bound, Cx, Plan};
use crate::functions::FnContext;
use crate::sql::catalog::Catalog;
use crate::sql::parse::{parse_one, split_statements, Parsed};
use crate::storage::header::offset;
use crate::storage::io::Io;
use crate::storage::pager::PagerState;
use crate::storage::schema;
use crate::storage::{self, OpenOptions, Value};
use crate::vector_index;

/// The rows of a query, fully read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    /// Column names as SQLite reports them.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<Value>>,
}

/// A compiled statement, reusable with different parameters. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct Statement {
    inner: Arc<StatementInner>,
}

#[derive(Debug)]
struct StatementInner {
    sql: String,
    parsed: Parsed,
    bound: Bound,
    cookie: u32,
}

impl Statement {
    /// The statement's text.
    #[must_use]
    pub fn sql(&self) -> &str {
        &self.inner.sql
    }

    /// Result column names.
    #[must_use]
    pub fn columns(&self) -> &[String] {
        &self.inner.bound.columns
    }

    /// Number of parameters.
    #[must_use]
    pub fn parameter_count(&self) -> usize {
        self.inner.bound.params.len()
    }

    /// Name of parameter `i` (0-based), with its prefix (`:a`, `@a`, `$a`); `None` for `?`.
    #[must_use]
    pub fn parameter_name(&self, i: usize) -> Option<&str> {
        self.inner.bound.params.get(i).and_then(|p| p.as_deref())
    }

    /// Whether running it may change the database.
    #[must_use]
    pub fn is_write(&self) -> bool {
        statement_writes(&self.inner.parsed, &self.inner.bound)
    }
}

fn statement_writes(parsed: &Parsed, bound: &Bound) -> bool {
    if bound.writes() {
        return true;
    }
    match parsed {
        Parsed::Sql(s) => matches!(
            s.as_ref(),
            Ast::CreateTable(_)
                | Ast::CreateIndex(_)
                | Ast::CreateView(_)
                | Ast::CreateTrigger(_)
                | Ast::Drop { .. }
                | Ast::DropTrigger(_)
                | Ast::AlterTable(_)
        ),
        Parsed::Pragma { name, arg } => {
            arg.is_some()
                && matches!(name.as_str(), "user_version" | "application_id" | "schema_version")
        }
        Parsed::Reindex(_) | Parsed::Vacuum => true,
        Parsed::Analyze => false,
    }
}

/// A SQL connection to a database file (or `:memory:`).
#[derive(Debug)]
// The flags are independent settings and states, not the states of one machine.
#[allow(clippy::struct_excessive_bools)]
pub struct Connection {
    inner: storage::Connection,
    catalog: Arc<Catalog>,
    catalog_valid: bool,
    explicit: bool,
    /// The transaction was opened by `SAVEPOINT` (not `BEGIN`): releasing its outermost
    /// savepoint commits it.
    savepoint_txn: bool,
    savepoints: Vec<(String, usize)>,
    fnctx: FnContext,
    cache: HashMap<String, Statement>,
    vectors: vector_index::Mirrors,
    /// `PRAGMA foreign_keys` (off by default, as in SQLite).
    foreign_keys: bool,
}

const STATEMENT_CACHE: usize = 128;

/// A boolean pragma argument as SQLite reads it (`1/0`, `on/off`, `true/false`, `yes/no`).
fn pragma_bool(a: &str) -> Result<bool> {
    match a.trim().trim_matches(['\'', '"']).to_ascii_lowercase().as_str() {
        "1" | "on" | "true" | "yes" => Ok(true),
        "0" | "off" | "false" | "no" => Ok(false),
        other => Err(Error::Sql(format!("not a boolean: {other}"))),
    }
}

impl Connection {
    /// Opens (creating if needed) a database; `":memory:"` gives a private in-memory one.
    pub fn open(path: &str) -> Result<Connection> {
        Self::open_with_options(path, OpenOptions::default())
    }

    /// Opens with options.
    ///
    /// Connections of this process to the same file share the decoded vector indexes.
    pub fn open_with_options(path: &str, opts: OpenOptions) -> Result<Connection> {
        let db = storage::Database::open_with_options(path, opts)?;
        let mut conn = Self::from_database(&db)?;
        if !path.is_empty() && path != ":memory:" {
            conn.vectors = vector_index::Mirrors::with_shared(vector_index::shared_for(path));
        }
        Ok(conn)
    }

    /// Opens through any `Io` (tests use `SimIo` and `MemIo`).
    pub fn open_with_io(io: Arc<dyn Io>, path: &str, opts: OpenOptions) -> Result<Connection> {
        let db = storage::Database::open_with(io, path, opts)?;
        Self::from_database(&db)
    }

    /// A new connection to an open database (each connection has its own cache and locks).
    pub fn from_database(db: &storage::Database) -> Result<Connection> {
        Ok(Connection {
            inner: db.connect()?,
            catalog: Arc::new(Catalog::default()),
            catalog_valid: false,
            explicit: false,
            savepoint_txn: false,
            savepoints: Vec::new(),
            fnctx: FnContext::default(),
            cache: HashMap::new(),
            vectors: vector_index::Mirrors::default(),
            foreign_keys: false,
        })
    }

    /// Sets the busy timeout.
    pub fn set_busy_timeout(&mut self, t: Duration) {
        self.inner.pager().set_busy_timeout(t);
    }

    /// Whether a transaction is open (`BEGIN` without `COMMIT`).
    #[must_use]
    pub fn in_transaction(&self) -> bool {
        self.explicit
    }

    /// Whether the connection is in autocommit mode.
    #[must_use]
    pub fn is_autocommit(&self) -> bool {
        !self.explicit
    }

    /// Rowid of the last successful insert.
    #[must_use]
    pub fn last_insert_rowid(&self) -> i64 {
        self.fnctx.last_insert_rowid
    }

    /// Rows changed by the last statement.
    #[must_use]
    pub fn changes(&self) -> i64 {
        self.fnctx.changes
    }

    /// Rows changed since the connection opened.
    #[must_use]
    pub fn total_changes(&self) -> i64 {
        self.fnctx.total_changes
    }

    /// The storage-level connection (for tools and tests).
    pub fn storage(&mut self) -> &mut storage::Connection {
        &mut self.inner
    }

    /// Reloads the catalog if the schema cookie changed (the caller holds a transaction).
    fn refresh_catalog(&mut self) -> Result<()> {
        let pager = self.inner.pager();
        let cookie =
            if pager.db_size() == 0 { 0 } else { pager.header_u32(offset::SCHEMA_COOKIE)? };
        if !self.catalog_valid || cookie != self.catalog.cookie {
            let entries: Vec<_> = schema::read_schema(pager)?.into_iter().map(|(_, e)| e).collect();
            let mut catalog = Catalog::load(&entries, cookie)?;
            catalog.vector_indexes = vector_index::load_defs(pager, &catalog)?;
            self.catalog = Arc::new(catalog);
            self.catalog_valid = true;
        }
        Ok(())
    }

    fn ensure_txn(&mut self, write: bool) -> Result<()> {
        let pager = self.inner.pager();
        match (pager.state(), write) {
            (PagerState::Idle, false) => pager.begin_read()?,
            (PagerState::Idle | PagerState::Reading, true) => pager.begin_write()?,
            (PagerState::Error, _) => return Err(Error::IoSticky),
            _ => {}
        }
        Ok(())
    }

    /// Ends an autocommit statement's transaction.
    fn finish_autocommit(&mut self, ok: bool) -> Result<()> {
        if self.explicit {
            return Ok(());
        }
        if ok {
            match self.commit() {
                Ok(()) => Ok(()),
                Err(e) => {
                    let _ = self.rollback();
                    Err(e)
                }
            }
        } else {
            self.rollback()
        }
    }

    /// Commits the pager's transaction and keeps the vector index mirrors in step.
    fn commit(&mut self) -> Result<()> {
        let pager = self.inner.pager();
        let writing = pager.state() == PagerState::Writing;
        let before = if writing && pager.db_size() > 0 {
            pager.header_u32(offset::CHANGE_COUNTER)?
        } else {
            0
        };
        if writing {
            if let Err(e) = self.vectors.flush(pager) {
                // The file's index is now behind its rows: the next load rebuilds it.
                self.vectors.rolled_back();
                return Err(e);
            }
        }
        let pager = self.inner.pager();
        let changed = writing && pager.has_changes();
        pager.commit()?;
        if writing {
            let after = if changed { before.wrapping_add(1) } else { before };
            self.vectors.committed(before, after);
        }
        Ok(())
    }

    /// Rolls the pager's transaction back and forgets what it did to vector indexes.
    fn rollback(&mut self) -> Result<()> {
        self.vectors.rolled_back();
        self.inner.pager().rollback()
    }

    /// Compiles one statement. Errors here are "prepare" errors: syntax, unknown table, column
    /// or function, wrong number of arguments.
    pub fn prepare(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.cache.get(sql) {
            if self.catalog_valid && s.inner.cookie == self.catalog.cookie {
                return Ok(s.clone());
            }
        }
        let parts = split_statements(sql);
        let text = match parts.as_slice() {
            [one] => *one,
            [] => return Err(Error::Misuse("no SQL statement to prepare".into())),
            _ => {
                return Err(Error::Misuse(
                    "prepare takes one statement; use execute_batch for several".into(),
                ))
            }
        };
        let parsed = parse_one(text)?;
        let was_idle = self.inner.pager().state() == PagerState::Idle;
        self.ensure_txn(false)?;
        let r = self.refresh_catalog().and_then(|()| exec::bind(&parsed, &self.catalog));
        if was_idle && !self.explicit {
            let _ = self.inner.pager().end_read();
        }
        let bound = r?;
        let stmt = Statement {
            inner: Arc::new(StatementInner {
                sql: text.to_string(),
                parsed,
                bound,
                cookie: self.catalog.cookie,
            }),
        };
        if self.cache.len() >= STATEMENT_CACHE {
            self.cache.clear();
        }
        self.cache.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    /// Runs a prepared statement. Errors here happen while it runs (constraint failures, integer
    /// overflow in `abs()`, a busy database), after the statement compiled.
    pub fn query_prepared(&mut self, stmt: &Statement, params: &[Value]) -> Result<QueryResult> {
        if let Some(r) = self.transaction_control(&stmt.inner.parsed)? {
            return Ok(r);
        }
        if self.explicit && matches!(stmt.inner.parsed, Parsed::Vacuum) {
            return Err(Error::Sql("cannot VACUUM from within a transaction".into()));
        }
        let write = stmt.is_write();
        self.ensure_txn(write)?;
        let r = self.run_in_txn(stmt, params, write);
        let ok = r.is_ok();
        if self.explicit && matches!(&r, Err(Error::Raise { action: RaiseAction::Rollback, .. })) {
            // `RAISE(ROLLBACK)` ends the whole transaction.
            self.rollback()?;
            self.explicit = false;
            self.savepoint_txn = false;
            self.savepoints.clear();
            self.catalog_valid = false;
        }
        // `RAISE(FAIL)` in autocommit mode commits what the statement did before it.
        let keep = matches!(&r, Err(Error::Raise { action: RaiseAction::Fail, .. }));
        let fin = self.finish_autocommit(ok || keep);
        let res = r?;
        fin?;
        Ok(res)
    }

    fn run_in_txn(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        write: bool,
    ) -> Result<QueryResult> {
        self.refresh_catalog()?;
        let rebound;
        let bound = if stmt.inner.cookie == self.catalog.cookie {
            &stmt.inner.bound
        } else {
            rebound = exec::bind(&stmt.inner.parsed, &self.catalog)?;
            &rebound
        };
        let sp = if write && bound.needs_savepoint() {
            Some(self.inner.pager().savepoint()?)
        } else {
            None
        };
        let r = self.run_bound(&stmt.inner.sql, &stmt.inner.parsed, bound, params);
        // `RAISE(FAIL)` keeps what the statement did before it.
        let keep = matches!(&r, Err(Error::Raise { action: RaiseAction::Fail, .. }));
        if let Some(sp) = sp {
            let pager = self.inner.pager();
            if r.is_err() && !keep && pager.state() == PagerState::Writing {
                pager.rollback_to_savepoint(sp)?;
            }
            pager.release_savepoint(sp);
        }
        self.vectors.statement_done(r.is_ok() || keep);
        if r.is_err() && write {
            // Undo any catalog the failed statement loaded from its own changes.
            self.catalog_valid = false;
        }
        r
    }

    fn run_bound(
        &mut self,
        sql: &str,
        parsed: &Parsed,
        bound: &Bound,
        params: &[Value],
    ) -> Result<QueryResult> {
        let catalog = self.catalog.clone();
        let columns = bound.columns.clone();
        match &bound.plan {
            Plan::Query(sel) => {
                let pager = self.inner.pager();
                let mut cx = Cx::new(pager, params, &bound.subs, bound.nslots, &mut self.fnctx);
                cx.vectors = Some(&mut self.vectors);
                let rows = query::run_select(sel, &mut cx, None)?;
                Ok(QueryResult { columns, rows })
            }
            Plan::Insert(_) | Plan::Update(_) | Plan::Delete(_) => {
                let pager = self.inner.pager();
                let mut cx = Cx::new(pager, params, &bound.subs, bound.nslots, &mut self.fnctx);
                cx.vectors = Some(&mut self.vectors);
                cx.foreign_keys = self.foreign_keys;
                let r = match &bound.plan {
                    Plan::Insert(p) => dml::run_insert(p, &mut cx),
                    Plan::Update(p) => dml::run_update(p, &mut cx),
                    Plan::Delete(p) => dml::run_delete(p, &mut cx),
                    _ => unreachable!("matched above"),
                };
                if matches!(&r, Err(Error::Raise { action: RaiseAction::Fail, .. })) {
                    // The rows written before `RAISE(FAIL)` stay: so do their vector entries.
                    vector_index::finish_writes(&mut cx)?;
                }
                let rows = r?;
                let changes = cx.changes;
                self.fnctx.changes = changes;
                self.fnctx.total_changes += changes;
                Ok(QueryResult { columns, rows })
            }
            Plan::Explain(rows) => Ok(QueryResult { columns, rows: rows.clone() }),
            Plan::Other(p) => {
                let rows = match p.as_ref() {
                    Parsed::Sql(stmt) => {
                        if !self.vector_ddl(stmt, sql)? {
                            let pager = self.inner.pager();
                            ddl::run(stmt, sql, pager, &catalog, &mut self.fnctx)?;
                        }
                        self.catalog_valid = false;
                        Vec::new()
                    }
                    Parsed::Pragma { name, arg } => self.pragma(name, arg.as_deref())?,
                    Parsed::Reindex(target) => {
                        let vector_only = self.reindex_vectors(target.as_deref())?;
                        let pager = self.inner.pager();
                        if !vector_only {
                            ddl::reindex(target.as_deref(), pager, &catalog, &mut self.fnctx)?;
                        }
                        self.catalog_valid = false;
                        Vec::new()
                    }
                    Parsed::Analyze => Vec::new(),
                    Parsed::Vacuum => {
                        // The file must hold the whole vector index before it is copied.
                        self.vectors.flush(self.inner.pager())?;
                        storage::vacuum::vacuum(self.inner.pager())?;
                        self.catalog_valid = false;
                        Vec::new()
                    }
                };
                let _ = parsed;
                Ok(QueryResult { columns, rows })
            }
        }
    }

    /// Runs one statement of embedlite's own inside the open write transaction.
    fn exec_internal(&mut self, sql: &str, params: &[Value]) -> Result<()> {
        let parsed = parse_one(sql)?;
        self.refresh_catalog()?;
        let bound = exec::bind(&parsed, &self.catalog)?;
        self.run_bound(sql, &parsed, &bound, params)?;
        Ok(())
    }

    /// DDL that involves vector indexes: `CREATE INDEX ... libsql_vector_idx(...)`, `DROP INDEX`
    /// of a vector index, `DROP TABLE` of a table with vector indexes (which drops them first).
    /// Returns whether the statement was handled completely.
    fn vector_ddl(&mut self, stmt: &Ast, sql: &str) -> Result<bool> {
        match stmt {
            Ast::CreateIndex(ci) => {
                let Some((column, options)) = vector_index::vector_index_target(ci)? else {
                    return Ok(false);
                };
                let name = ci
                    .name
                    .as_ref()
                    .map(crate::sql::catalog::object_name)
                    .ok_or_else(|| Error::Sql("index without a name".into()))?;
                if let Some(kind) = ddl::exists(&self.catalog, &name) {
                    if ci.if_not_exists {
                        return Ok(true);
                    }
                    return Err(Error::Sql(format!("{kind} {name} already exists")));
                }
                let tname = crate::sql::catalog::object_name(&ci.table_name);
                let table = self
                    .catalog
                    .table(&tname)
                    .cloned()
                    .ok_or_else(|| Error::Sql(format!("no such table: main.{tname}")))?;
                let (col, elem, params) = vector_index::new_params(&table, &column, &options)?;
                self.exec_internal(vector_index::META_SQL, &[])?;
                self.exec_internal(
                    &format!(
                        "CREATE TABLE \"{}\" (index_key INTEGER PRIMARY KEY, data BLOB)",
                        vector_index::shadow_name(&name).replace('"', "\"\"")
                    ),
                    &[],
                )?;
                self.refresh_catalog()?;
                let def = vector_index::make_def(
                    &self.catalog,
                    &name,
                    table,
                    (col, elem, params),
                    ci.predicate.clone(),
                    sql,
                )?;
                self.exec_internal(
                    &format!(
                        "INSERT INTO {} VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        vector_index::META_TABLE
                    ),
                    &vector_index::meta_row(&def),
                )?;
                vector_index::build(self.inner.pager(), &mut self.vectors, &def)?;
                Ok(true)
            }
            Ast::Drop {
                object_type: sqlparser::ast::ObjectType::Index, names, if_exists, ..
            } => {
                let names: Vec<String> =
                    names.iter().map(crate::sql::catalog::object_name).collect();
                if !names
                    .iter()
                    .all(|n| self.catalog.vector_indexes.contains_key(&n.to_ascii_lowercase()))
                {
                    return Ok(false);
                }
                let _ = if_exists;
                for n in names {
                    self.drop_vector_index(&n)?;
                }
                Ok(true)
            }
            Ast::Drop { object_type: sqlparser::ast::ObjectType::Table, names, .. } => {
                for n in names {
                    let defs = self.catalog.vector_indexes_of(&crate::sql::catalog::object_name(n));
                    for d in defs {
                        self.drop_vector_index(&d.name)?;
                    }
                }
                Ok(false)
            }
            Ast::AlterTable(at) => {
                let name = crate::sql::catalog::object_name(&at.name);
                // A rename carries the index metadata along (`alter::rename_table`).
                let renames = at.operations.iter().all(|op| {
                    matches!(op, sqlparser::ast::AlterTableOperation::RenameTable { .. })
                });
                if renames || self.catalog.vector_indexes_of(&name).is_empty() {
                    return Ok(false);
                }
                Err(Error::Unsupported(format!(
                    "ALTER TABLE on {name}, which has a vector index, is not supported yet: drop the vector index first"
                )))
            }
            _ => Ok(false),
        }
    }

    fn drop_vector_index(&mut self, name: &str) -> Result<()> {
        let shadow = vector_index::shadow_name(name).replace('"', "\"\"");
        self.exec_internal(
            &format!("DELETE FROM {} WHERE name = ?", vector_index::META_TABLE),
            &[Value::Text(name.to_string())],
        )?;
        self.exec_internal(&format!("DROP TABLE \"{shadow}\""), &[])?;
        self.vectors.forget(name);
        self.catalog_valid = false;
        Ok(())
    }

    /// Rebuilds the vector indexes `REINDEX target` names (all, a table's, or one). Returns whether
    /// the target is a vector index (so that there is nothing else to reindex).
    fn reindex_vectors(&mut self, target: Option<&str>) -> Result<bool> {
        let mut defs: Vec<_> = self.catalog.vector_indexes.values().cloned().collect();
        if let Some(t) = target {
            defs.retain(|d| d.name.eq_ignore_ascii_case(t) || d.table.name.eq_ignore_ascii_case(t));
        }
        let only = target
            .is_some_and(|t| self.catalog.vector_indexes.contains_key(&t.to_ascii_lowercase()));
        for def in defs {
            let pager = self.inner.pager();
            let mut cur =
                storage::btree::Cursor::new(def.shadow_root, storage::btree::TreeKind::Table);
            let mut keys = Vec::new();
            let mut ok = cur.first(pager)?;
            while ok {
                keys.push(cur.rowid(pager)?);
                ok = cur.next(pager)?;
            }
            for k in keys {
                storage::btree::table_delete(pager, def.shadow_root, k)?;
            }
            vector_index::build(pager, &mut self.vectors, &def)?;
        }
        Ok(only)
    }

    fn pragma(&mut self, name: &str, arg: Option<&str>) -> Result<Vec<Vec<Value>>> {
        let catalog = self.catalog.clone();
        let pager = self.inner.pager();
        if let Some(rows) = pragma::header_pragma(name, arg, pager)? {
            return Ok(rows);
        }
        if let Some(rows) = pragma::schema_pragma(name, arg, &catalog, pager)? {
            return Ok(rows);
        }
        Ok(match name {
            "journal_mode" => match arg.map(str::to_ascii_lowercase).as_deref() {
                None | Some("delete") => vec![vec![Value::Text("delete".into())]],
                Some(other) => {
                    return Err(Error::Unsupported(format!(
                        "journal_mode={other} is not supported yet (only delete)"
                    )))
                }
            },
            "synchronous" => vec![vec![Value::Integer(2)]],
            "encoding" => vec![vec![Value::Text("UTF-8".into())]],
            "foreign_keys" => match arg {
                // As in SQLite, the setting cannot change inside a transaction.
                Some(a) => {
                    if !self.explicit {
                        self.foreign_keys = pragma_bool(a)?;
                    }
                    Vec::new()
                }
                None => vec![vec![Value::Integer(i64::from(self.foreign_keys))]],
            },
            "recursive_triggers" => {
                if arg.is_some() {
                    Vec::new()
                } else {
                    vec![vec![Value::Integer(0)]]
                }
            }
            "busy_timeout" => {
                if let Some(a) = arg {
                    let ms: u64 = a
                        .trim()
                        .parse()
                        .map_err(|_| Error::Sql(format!("invalid busy_timeout {a}")))?;
                    pager.set_busy_timeout(Duration::from_millis(ms));
                }
                Vec::new()
            }
            "cache_size" => {
                if let Some(a) = arg {
                    let n: i64 = a
                        .trim()
                        .parse()
                        .map_err(|_| Error::Sql(format!("invalid cache_size {a}")))?;
                    // A negative size is in KiB; `-9223372036854775808` must not overflow.
                    let pages = if n < 0 {
                        let kib = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
                        kib.saturating_mul(1024) / pager.page_size()
                    } else {
                        n as usize
                    };
                    pager.set_cache_pages(pages);
                    Vec::new()
                } else {
                    vec![vec![Value::Integer(-2000)]]
                }
            }
            // Unknown pragmas are ignored, as SQLite does.
            _ => Vec::new(),
        })
    }

    /// BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE; `None` if the statement is something else.
    fn transaction_control(&mut self, parsed: &Parsed) -> Result<Option<QueryResult>> {
        let Parsed::Sql(stmt) = parsed else { return Ok(None) };
        let empty = || Ok(Some(QueryResult::default()));
        match stmt.as_ref() {
            Ast::StartTransaction { modifier, .. } => {
                if self.explicit {
                    return Err(Error::Sql(
                        "cannot start a transaction within a transaction".into(),
                    ));
                }
                let pager = self.inner.pager();
                if matches!(
                    modifier,
                    Some(
                        sqlparser::ast::TransactionModifier::Immediate
                            | sqlparser::ast::TransactionModifier::Exclusive
                    )
                ) {
                    pager.begin_write()?;
                }
                self.explicit = true;
                empty()
            }
            Ast::Commit { .. } => {
                if !self.explicit {
                    return Err(Error::Sql("cannot commit - no transaction is active".into()));
                }
                self.commit()?;
                self.explicit = false;
                self.savepoint_txn = false;
                self.savepoints.clear();
                empty()
            }
            Ast::Rollback { savepoint: None, .. } => {
                if !self.explicit {
                    return Err(Error::Sql("cannot rollback - no transaction is active".into()));
                }
                self.rollback()?;
                self.explicit = false;
                self.savepoint_txn = false;
                self.savepoints.clear();
                self.catalog_valid = false;
                empty()
            }
            Ast::Rollback { savepoint: Some(name), .. } => {
                let Some(pos) =
                    self.savepoints.iter().rposition(|(n, _)| n.eq_ignore_ascii_case(&name.value))
                else {
                    return Err(Error::Sql(format!("no such savepoint: {}", name.value)));
                };
                let depth = self.savepoints[pos].1;
                self.savepoints.truncate(pos + 1);
                if self.inner.pager().state() == PagerState::Writing {
                    self.vectors.rolled_back();
                    self.inner.pager().rollback_to_savepoint(depth)?;
                }
                self.catalog_valid = false;
                empty()
            }
            Ast::Savepoint { name } => {
                if !self.explicit {
                    self.explicit = true;
                    self.savepoint_txn = true;
                    self.savepoints.clear();
                }
                self.ensure_txn(true)?;
                // The savepoint must see the index as the file holds it.
                self.vectors.flush(self.inner.pager())?;
                let depth = self.inner.pager().savepoint()?;
                self.savepoints.push((name.value.clone(), depth));
                empty()
            }
            Ast::ReleaseSavepoint { name } => {
                let Some(pos) =
                    self.savepoints.iter().rposition(|(n, _)| n.eq_ignore_ascii_case(&name.value))
                else {
                    return Err(Error::Sql(format!("no such savepoint: {}", name.value)));
                };
                let depth = self.savepoints[pos].1;
                self.savepoints.truncate(pos);
                self.inner.pager().release_savepoint(depth);
                if self.savepoints.is_empty() && self.savepoint_txn {
                    // Releasing the outermost savepoint of a transaction SAVEPOINT opened
                    // commits it, as in SQLite.
                    self.commit()?;
                    self.explicit = false;
                    self.savepoint_txn = false;
                }
                empty()
            }
            _ => Ok(None),
        }
    }

    /// Runs every statement in `sql` (separated by `;`), discarding rows.
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        for part in split_statements(sql) {
            let stmt = self.prepare(part)?;
            self.query_prepared(&stmt, &[])?;
        }
        Ok(())
    }

    /// Runs one statement with parameters and returns how many rows it changed.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        let stmt = self.prepare(sql)?;
        self.query_prepared(&stmt, params)?;
        Ok(if stmt.inner.bound.writes() {
            usize::try_from(self.fnctx.changes).unwrap_or(0)
        } else {
            0
        })
    }

    /// Runs one query with parameters and returns all its rows.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<QueryResult> {
        let stmt = self.prepare(sql)?;
        self.query_prepared(&stmt, params)
    }
}
