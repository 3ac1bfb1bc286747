//! Vector indexes inside the database file: `CREATE INDEX i ON t (libsql_vector_idx(emb, ...))`.
//!
//! # In the file: ordinary tables only
//!
//! A vector index is *not* an `index` row of `sqlite_schema` (libSQL does that, and real SQLite
//! then fails `integrity_check` and refuses writes to the table). It is two ordinary tables:
//!
//! - [`META_TABLE`] `embedlite_vector_meta`, one row per vector index: its name, table, column,
//!   format version, graph type, metric, element type, dimensions, canonical options and the
//!   user's `CREATE INDEX` text — enough to describe the index without embedlite;
//! - `<index>_shadow (index_key INTEGER PRIMARY KEY, data BLOB)`, one row per graph node, keyed
//!   by the rowid of the table row whose vector it holds. `data` is a 4-byte little-endian
//!   FNV-1a hash of the vector's `f32` elements followed by the node record of
//!   [`GraphIndex::node_record`] (level and neighbour rowids; the vector itself stays in the
//!   user's table).
//!
//! So a real `sqlite3` opens, checks, reads and writes the file normally.
//!
//! # In memory: a mirror, the file is the truth
//!
//! Searching through B-tree pages on every hop would be slow, so each connection keeps a decoded
//! [`GraphIndex`] per vector index ([`Mirrors`]), loaded on first use from the shadow table and
//! the vectors of the user's table. Loading checks that both agree — every indexed row has a node
//! whose hash matches its vector, and no node lacks its row — and rebuilds the index from the
//! table when they do not (another program wrote the table, or the file predates the index).
//!
//! A mirror is trusted while the file's change counter is the one it was loaded (or last
//! committed) at; when another connection or process commits, the counter moves and the mirror is
//! loaded again. Changes made by a statement are collected as [`VecOp`]s while it runs and applied
//! to the mirror when it succeeds, and the nodes they touched are written to the shadow table in
//! the same statement, so that they commit or roll back with the rows. A rollback (of the
//! transaction or to a savepoint) drops every mirror the transaction changed; the next use loads
//! it again from the file.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use embedlite_vector::{GraphIndex, GraphKind, IndexParams, Vector, VectorType};
use sqlparser::ast;

use crate::error::{Error, Result};
use crate::exec::eval::eval_true;
use crate::exec::Cx;
use crate::functions::FnContext;
use crate::sql::bind::Binder;
use crate::sql::catalog::{object_name, Catalog, Table};
use crate::sql::parse::{parse_one, Parsed};
use crate::sql::plan::Expr;
use crate::storage::btree::{self, Cursor, TreeKind};
use crate::storage::header::offset;
use crate::storage::pager::Pager;
use crate::storage::record::{decode_record, encode_record, RecordView};
use crate::storage::{PageNo, Value};

/// The table that describes every vector index of the file.
pub const META_TABLE: &str = "embedlite_vector_meta";

/// The format of the metadata and shadow rows this version writes.
pub const FORMAT_VERSION: i64 = 1;

/// The graph type of an index created without `type=`.
pub const DEFAULT_KIND: GraphKind = GraphKind::Hnsw;

/// `CREATE TABLE` of [`META_TABLE`].
pub const META_SQL: &str = "CREATE TABLE IF NOT EXISTS embedlite_vector_meta (\
name TEXT PRIMARY KEY, tbl_name TEXT NOT NULL, column_name TEXT NOT NULL, \
format_version INTEGER NOT NULL, type TEXT NOT NULL, metric TEXT NOT NULL, \
element_type TEXT NOT NULL, dims INTEGER NOT NULL, options TEXT NOT NULL, \
where_sql TEXT, sql TEXT NOT NULL)";

/// The name of an index's shadow table.
#[must_use]
pub fn shadow_name(index: &str) -> String {
    format!("{index}_shadow")
}

/// A vector index as the catalog knows it.
#[derive(Debug, Clone)]
pub struct VectorIndexDef {
    /// The index name as written.
    pub name: String,
    /// The indexed table.
    pub table: Arc<Table>,
    /// Position of the vector column in the table.
    pub column: usize,
    /// The column's element type.
    pub elem: VectorType,
    /// Graph parameters (dimensions included).
    pub params: IndexParams,
    /// The partial-index condition as written.
    pub predicate: Option<ast::Expr>,
    /// The condition bound over the table in slot 0 (for loads), with the slots it needs.
    pub bound_predicate: Option<(Expr, usize)>,
    /// Root page of the shadow table.
    pub shadow_root: PageNo,
    /// The user's `CREATE INDEX` text.
    pub sql: String,
}

/// What `CREATE INDEX` asks for when its one key is `libsql_vector_idx(col, 'opts', ...)`: the
/// column name and the option strings, joined with commas.
pub fn vector_index_target(ci: &ast::CreateIndex) -> Result<Option<(String, String)>> {
    let [col] = ci.columns.as_slice() else { return Ok(None) };
    let ast::Expr::Function(f) = &col.column.expr else { return Ok(None) };
    if !object_name(&f.name).eq_ignore_ascii_case("libsql_vector_idx") {
        return Ok(None);
    }
    let bad = || Error::Sql("libsql_vector_idx takes a column and option strings".into());
    let ast::FunctionArguments::List(list) = &f.args else { return Err(bad()) };
    let mut args = list.args.iter().map(|a| match a {
        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
        _ => Err(bad()),
    });
    let column = match args.next().transpose()? {
        Some(ast::Expr::Identifier(id)) => id.value.clone(),
        Some(ast::Expr::CompoundIdentifier(ids)) => {
            ids.last().map(|i| i.value.clone()).ok_or_else(bad)?
        }
        _ => return Err(bad()),
    };
    let mut options = Vec::new();
    for a in args {
        match a? {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => {
                    options.push(s.clone());
                }
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        }
    }
    Ok(Some((column, options.join(","))))
}

/// The parameters and element type of a new index on `table.column` with `options`.
pub fn new_params(
    table: &Table,
    column: &str,
    options: &str,
) -> Result<(usize, VectorType, IndexParams)> {
    if table.without_rowid {
        // Graph nodes are keyed by rowid.
        return Err(Error::Unsupported(format!(
            "vector indexes on WITHOUT ROWID tables are not supported (table {})",
            table.name
        )));
    }
    let col = table
        .column_index(column)
        .ok_or_else(|| Error::Sql(format!("no such column: {column}")))?;
    let Some((elem, dims)) = table.columns[col].vector else {
        return Err(Error::Sql(format!(
            "libsql_vector_idx: column {column} must have a vector type such as F32_BLOB(n), not {:?}",
            table.columns[col].decl_type
        )));
    };
    let params = IndexParams::parse_options(options, dims, DEFAULT_KIND)
        .map_err(|e| Error::Sql(format!("libsql_vector_idx: {e}")))?;
    Ok((col, elem, params))
}

/// The metadata row of an index, in [`META_TABLE`]'s column order.
#[must_use]
pub fn meta_row(def: &VectorIndexDef) -> Vec<Value> {
    let column = &def.table.columns[def.column].name;
    vec![
        Value::Text(def.name.clone()),
        Value::Text(def.table.name.clone()),
        Value::Text(column.clone()),
        Value::Integer(FORMAT_VERSION),
        Value::Text(def.params.kind.name().into()),
        Value::Text(def.params.metric.to_string()),
        Value::Text(def.elem.name().into()),
        Value::Integer(def.params.dims as i64),
        Value::Text(def.params.to_options()),
        def.predicate.as_ref().map_or(Value::Null, |p| Value::Text(p.to_string())),
        Value::Text(def.sql.clone()),
    ]
}

/// Binds a partial-index condition over `table` in slot 0.
fn bind_predicate(cat: &Catalog, table: &Table, p: &ast::Expr) -> Result<(Expr, usize)> {
    let mut b = Binder::new(cat);
    let slot = b.alloc_slot();
    b.push_table_scope(table, &table.name, slot);
    let e = b.expr(p)?;
    if !b.subs.is_empty() {
        return Err(Error::Sql("subqueries are not allowed in a vector index's WHERE".into()));
    }
    Ok((e, b.slot_count()))
}

/// A definition from its parts (for `CREATE INDEX` and for loading the catalog).
pub fn make_def(
    cat: &Catalog,
    name: &str,
    table: Arc<Table>,
    (column, elem, params): (usize, VectorType, IndexParams),
    predicate: Option<ast::Expr>,
    sql: &str,
) -> Result<VectorIndexDef> {
    let shadow = cat
        .table(&shadow_name(name))
        .ok_or_else(|| Error::corrupt_file(format!("vector index {name} has no shadow table")))?;
    let bound_predicate = match &predicate {
        Some(p) => Some(bind_predicate(cat, &table, p)?),
        None => None,
    };
    Ok(VectorIndexDef {
        name: name.to_string(),
        table,
        column,
        elem,
        params,
        predicate,
        bound_predicate,
        shadow_root: shadow.root,
        sql: sql.to_string(),
    })
}

/// Reads [`META_TABLE`] into vector index definitions, by lower-case name.
pub fn load_defs(pager: &mut Pager, cat: &Catalog) -> Result<HashMap<String, Arc<VectorIndexDef>>> {
    let mut out = HashMap::new();
    let Some(meta) = cat.table(META_TABLE) else { return Ok(out) };
    let mut cur = Cursor::new(meta.root, TreeKind::Table);
    let mut ok = cur.first(pager)?;
    while ok {
        let row = decode_record(&cur.payload(pager)?)?;
        let text = |i: usize| match row.get(i) {
            Some(Value::Text(s)) => Ok(s.clone()),
            _ => Err(Error::corrupt_file(format!("{META_TABLE}: column {i} is not text"))),
        };
        let name = text(0)?;
        if !matches!(row.get(3), Some(Value::Integer(FORMAT_VERSION))) {
            return Err(Error::Unsupported(format!(
                "vector index {name} has a format version this embedlite does not read"
            )));
        }
        let sql = text(10)?;
        let Parsed::Sql(stmt) = parse_one(&sql)? else {
            return Err(Error::corrupt_file(format!("vector index {name}: bad CREATE INDEX text")));
        };
        let ast::Statement::CreateIndex(ci) = *stmt else {
            return Err(Error::corrupt_file(format!("vector index {name}: bad CREATE INDEX text")));
        };
        let table = cat
            .table(&text(1)?)
            .cloned()
            .ok_or_else(|| Error::corrupt_file(format!("vector index {name} without its table")))?;
        let column_name = text(2)?;
        let col = table.column_index(&column_name).ok_or_else(|| {
            Error::corrupt_file(format!("vector index {name}: no column {column_name}"))
        })?;
        let elem = VectorType::from_name(&text(6)?)
            .ok_or_else(|| Error::corrupt_file(format!("vector index {name}: bad element type")))?;
        let dims = match row.get(7) {
            Some(Value::Integer(d)) if *d > 0 => *d as usize,
            _ => return Err(Error::corrupt_file(format!("vector index {name}: bad dims"))),
        };
        let params = IndexParams::parse_options(&text(8)?, dims, DEFAULT_KIND)
            .map_err(|e| Error::corrupt_file(format!("vector index {name}: {e}")))?;
        let def = make_def(cat, &name, table, (col, elem, params), ci.predicate.clone(), &sql)?;
        out.insert(name.to_ascii_lowercase(), Arc::new(def));
        ok = cur.next(pager)?;
    }
    Ok(out)
}

/// FNV-1a over the little-endian bytes of the elements: detects a vector changed behind the
/// index's back.
fn vector_hash(v: &[f32]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for x in v {
        for b in x.to_le_bytes() {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

/// The vector of a column value as `f32` elements, `None` for NULL.
///
/// # Errors
/// Values that are not vectors, and vectors with the wrong number of dimensions (the message
/// names both sizes).
pub fn column_vector(def: &VectorIndexDef, v: &Value) -> Result<Option<Vec<f32>>> {
    let vector = match v {
        Value::Null => return Ok(None),
        Value::Blob(b) => Vector::from_blob(b),
        Value::Text(t) => Vector::parse_text(t, VectorType::F32),
        _ => {
            return Err(Error::Sql(format!(
                "vector index {}: the indexed value is not a vector",
                def.name
            )))
        }
    }
    .map_err(|e| Error::Sql(format!("vector index {}: {e}", def.name)))?;
    query_dims(def, vector.dims())?;
    Ok(Some(vector.to_f32_vec()))
}

fn query_dims(def: &VectorIndexDef, got: usize) -> Result<()> {
    if got != def.params.dims {
        return Err(Error::Sql(format!(
            "vector index {}: expected a vector of {} dimensions, got {got}",
            def.name, def.params.dims
        )));
    }
    Ok(())
}

/// A change to a vector index made by a statement, applied when the statement succeeds.
#[derive(Debug, Clone)]
pub enum VecOp {
    /// Index (or re-index) the row's vector.
    Upsert(i64, Vec<f32>),
    /// Drop the row from the index.
    Remove(i64),
}

#[derive(Debug)]
struct Mirror {
    graph: Arc<GraphIndex>,
    hashes: Arc<HashMap<i64, u32>>,
    /// Changes of this transaction's finished statements not yet applied to `graph` (nor
    /// written to the shadow table): applied together — inserts in parallel, each changed node
    /// written once — before a search, a savepoint, a commit, or when there are many.
    pending: Vec<VecOp>,
    /// The definition the pending changes are for.
    def: Option<Arc<VectorIndexDef>>,
    /// The file change counter the mirror matches (when not `modified`).
    counter: u32,
    /// Changed by the open transaction (then it is this connection's alone).
    modified: bool,
}

/// A committed mirror as shared: the graph, the vector hashes and the change counter they match.
type Published = (Arc<GraphIndex>, Arc<HashMap<i64, u32>>, u32);

impl Mirror {
    fn new(graph: GraphIndex, hashes: HashMap<i64, u32>, counter: u32, modified: bool) -> Self {
        Mirror {
            graph: Arc::new(graph),
            hashes: Arc::new(hashes),
            counter,
            modified,
            pending: Vec::new(),
            def: None,
        }
    }
}

/// Committed mirrors of one database file, shared by the connections of this process that have
/// it open: a second connection (a second Python thread, say) reuses the decoded index instead
/// of loading its own. A connection that changes an index takes it out of here first (copying it
/// only if another connection is searching it at that moment) and puts it back when it commits.
#[derive(Debug, Default)]
pub struct SharedMirrors {
    map: Mutex<HashMap<String, Published>>,
}

impl SharedMirrors {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Published>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The shared mirrors of the file at `path` (made absolute), created on first use; the registry
/// keeps them only while a connection holds them.
#[must_use]
pub fn shared_for(path: &str) -> Arc<SharedMirrors> {
    static REGISTRY: Mutex<Vec<(String, std::sync::Weak<SharedMirrors>)>> = Mutex::new(Vec::new());
    let key = std::env::current_dir()
        .map_or_else(|_| path.to_string(), |d| d.join(path).to_string_lossy().into_owned());
    let mut reg = REGISTRY.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    reg.retain(|(_, w)| w.strong_count() > 0);
    if let Some(s) = reg.iter().find(|(k, _)| *k == key).and_then(|(_, w)| w.upgrade()) {
        return s;
    }
    let s = Arc::new(SharedMirrors::default());
    reg.push((key, Arc::downgrade(&s)));
    s
}

/// The decoded vector indexes of one connection, by lower-case index name.
#[derive(Debug, Default)]
pub struct Mirrors {
    map: HashMap<String, Mirror>,
    shared: Option<Arc<SharedMirrors>>,
    /// The running statement wrote shadow rows (so its failure must drop the mirrors).
    wrote: bool,
}

impl Mirrors {
    /// Mirrors that share committed indexes with the other connections holding `shared`.
    #[must_use]
    pub fn with_shared(shared: Arc<SharedMirrors>) -> Self {
        Mirrors { map: HashMap::new(), shared: Some(shared), wrote: false }
    }

    /// The connection committed: the file's change counter went from `before` to `after`.
    /// Mirrors in step with the file before stay in step, and are published to the other
    /// connections.
    pub fn committed(&mut self, before: u32, after: u32) {
        for (name, m) in &mut self.map {
            if m.modified || m.counter == before {
                m.counter = after;
                if let Some(sh) = &self.shared {
                    sh.lock().insert(name.clone(), (m.graph.clone(), m.hashes.clone(), after));
                }
            }
            m.modified = false;
        }
    }

    /// The transaction (or part of it) rolled back: forget what it changed.
    pub fn rolled_back(&mut self) {
        self.map.retain(|_, m| !m.modified);
        self.wrote = false;
    }

    /// A statement ended. A failed one is undone in the file by its savepoint: it changed the
    /// mirrors only if it wrote shadow rows (its own changes are applied only when it succeeds).
    pub fn statement_done(&mut self, ok: bool) {
        if !ok && self.wrote {
            self.rolled_back();
        }
        self.wrote = false;
    }

    /// Applies every pending change and writes the changed nodes (before a commit or a
    /// savepoint, so that the file holds the whole index).
    pub fn flush(&mut self, pager: &mut Pager) -> Result<()> {
        for m in self.map.values_mut() {
            if !m.pending.is_empty() {
                self.wrote = true;
                apply_pending(pager, m)?;
            }
        }
        Ok(())
    }

    /// Forgets an index (dropped).
    pub fn forget(&mut self, name: &str) {
        let key = name.to_ascii_lowercase();
        self.map.remove(&key);
        if let Some(sh) = &self.shared {
            sh.lock().remove(&key);
        }
    }

    /// The mirror of `def`, loaded (or reloaded) from the file if needed.
    fn get(&mut self, pager: &mut Pager, def: &VectorIndexDef, apply: bool) -> Result<&mut Mirror> {
        let key = def.name.to_ascii_lowercase();
        let counter = change_counter(pager)?;
        let fresh = self.map.get(&key).is_some_and(|m| m.modified || m.counter == counter);
        if !fresh {
            let published = self
                .shared
                .as_ref()
                .and_then(|sh| sh.lock().get(&key).filter(|(_, _, c)| *c == counter).cloned());
            let m = if let Some((graph, hashes, counter)) = published {
                Mirror { graph, hashes, counter, modified: false, pending: Vec::new(), def: None }
            } else {
                let m = load(pager, def, counter)?;
                self.wrote |= m.modified;
                if let (Some(sh), false) = (&self.shared, m.modified) {
                    sh.lock().insert(key.clone(), (m.graph.clone(), m.hashes.clone(), counter));
                }
                m
            };
            self.map.insert(key.clone(), m);
        }
        let m = self.map.get_mut(&key).expect("inserted above");
        if apply && !m.pending.is_empty() {
            self.wrote = true;
            apply_pending(pager, m)?;
        }
        Ok(m)
    }

    /// The mirror of `def`, made this connection's own for changes in the open transaction.
    fn get_mut(&mut self, pager: &mut Pager, def: &VectorIndexDef) -> Result<&mut Mirror> {
        let shared = self.shared.clone();
        let m = self.get(pager, def, false)?;
        if !m.modified {
            if let Some(sh) = shared {
                sh.lock().remove(&def.name.to_ascii_lowercase());
            }
            m.modified = true;
        }
        Ok(m)
    }

    /// Installs a freshly built index (after `CREATE INDEX` or `REINDEX`).
    fn install(
        &mut self,
        pager: &mut Pager,
        def: &VectorIndexDef,
        graph: GraphIndex,
        hashes: HashMap<i64, u32>,
    ) -> Result<()> {
        let counter = change_counter(pager)?;
        let key = def.name.to_ascii_lowercase();
        if let Some(sh) = &self.shared {
            sh.lock().remove(&key);
        }
        self.map.insert(key, Mirror::new(graph, hashes, counter, true));
        Ok(())
    }
}

fn change_counter(pager: &mut Pager) -> Result<u32> {
    if pager.db_size() == 0 {
        return Ok(0);
    }
    pager.header_u32(offset::CHANGE_COUNTER)
}

/// The rows of `def`'s table that belong in the index: `(rowid, vector)` in rowid order. Rows
/// whose value is not a vector of the right size are left out (another program may have written
/// them; embedlite itself refuses them).
fn indexable_rows(pager: &mut Pager, def: &VectorIndexDef) -> Result<Vec<(i64, Vec<f32>)>> {
    let mut out = Vec::new();
    let mut fnctx = FnContext::default();
    let nslots = def.bound_predicate.as_ref().map_or(1, |(_, n)| *n);
    let table = def.table.clone();
    let mut cur = Cursor::new(table.root, TreeKind::Table);
    let mut ok = cur.first(pager)?;
    let mut rows = Vec::new();
    while ok {
        let rowid = cur.rowid(pager)?;
        rows.push((rowid, cur.payload(pager)?.into_owned()));
        ok = cur.next(pager)?;
    }
    let mut cx = Cx::new(pager, &[], &[], nslots, &mut fnctx);
    for (rowid, payload) in rows {
        if let Some((pred, _)) = &def.bound_predicate {
            cx.env[0] = crate::exec::query::table_row(&payload, rowid, &table)?;
            if !eval_true(pred, &mut cx)? {
                continue;
            }
        }
        let rec = RecordView::parse(&payload)?;
        let value = if def.column < rec.len() {
            rec.get(def.column)?.to_owned()
        } else {
            table.columns[def.column].default_value.clone()
        };
        if let Ok(Some(v)) = column_vector(def, &value) {
            out.push((rowid, v));
        }
    }
    Ok(out)
}

/// Loads the mirror of `def` from the shadow table and the user's table, rebuilding the index
/// (and rewriting the shadow table) when they disagree.
fn load(pager: &mut Pager, def: &VectorIndexDef, counter: u32) -> Result<Mirror> {
    let rows = indexable_rows(pager, def)?;
    let mut shadow: HashMap<i64, (u32, Vec<u8>)> = HashMap::new();
    let mut cur = Cursor::new(def.shadow_root, TreeKind::Table);
    let mut ok = cur.first(pager)?;
    let mut consistent = true;
    while ok {
        let key = cur.rowid(pager)?;
        let payload = cur.payload(pager)?;
        let rec = RecordView::parse(&payload)?;
        match rec.get(1)?.to_owned() {
            Value::Blob(b) if b.len() >= 4 => {
                let h = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                shadow.insert(key, (h, b[4..].to_vec()));
            }
            _ => consistent = false,
        }
        ok = cur.next(pager)?;
    }
    let hashes: HashMap<i64, u32> = rows.iter().map(|(k, v)| (*k, vector_hash(v))).collect();
    consistent = consistent
        && shadow.len() == rows.len()
        && rows.iter().all(|(k, _)| shadow.get(k).is_some_and(|(h, _)| *h == hashes[k]));
    if consistent {
        let nodes: Vec<(i64, Vec<u8>, Vec<f32>)> = rows
            .iter()
            .map(|(k, v)| {
                let rec = shadow.get(k).map(|(_, r)| r.clone()).unwrap_or_default();
                (*k, rec, v.clone())
            })
            .collect();
        if let Ok(graph) = GraphIndex::load(def.params.clone(), nodes) {
            return Ok(Mirror::new(graph, hashes, counter, false));
        }
    }
    // The file's index does not match its table: rebuild it and rewrite the shadow table.
    if pager.state() == crate::storage::pager::PagerState::Reading {
        pager.begin_write()?;
    }
    let mut graph = GraphIndex::new(def.params.clone());
    graph.insert_batch(&rows).map_err(|e| Error::Sql(format!("vector index {}: {e}", def.name)))?;
    graph.take_dirty();
    for key in shadow.keys() {
        btree::table_delete(pager, def.shadow_root, *key)?;
    }
    let m = Mirror::new(graph, hashes, counter, true);
    let keys: Vec<i64> = rows.iter().map(|(k, _)| *k).collect();
    write_nodes(pager, def, &m, &keys)?;
    Ok(m)
}

/// Writes the shadow rows of `keys` (deleting those no longer in the index).
fn write_nodes(pager: &mut Pager, def: &VectorIndexDef, m: &Mirror, keys: &[i64]) -> Result<()> {
    let mut rec = Vec::new();
    for &key in keys {
        match m.graph.node_record(key) {
            Some(node) => {
                let mut data = Vec::with_capacity(node.len() + 4);
                data.extend_from_slice(&m.hashes.get(&key).copied().unwrap_or(0).to_le_bytes());
                data.extend_from_slice(&node);
                rec.clear();
                encode_record(&[Value::Null, Value::Blob(data)], &mut rec);
                btree::table_insert(pager, def.shadow_root, key, &rec)?;
            }
            None => {
                btree::table_delete(pager, def.shadow_root, key)?;
            }
        }
    }
    Ok(())
}

/// Builds the index of `def` from its table (for `CREATE INDEX` and `REINDEX`), writes every node
/// to the (empty) shadow table and installs the mirror.
pub fn build(pager: &mut Pager, mirrors: &mut Mirrors, def: &VectorIndexDef) -> Result<()> {
    let rows = indexable_rows(pager, def)?;
    let mut graph = GraphIndex::new(def.params.clone());
    graph.insert_batch(&rows).map_err(|e| Error::Sql(format!("vector index {}: {e}", def.name)))?;
    graph.take_dirty();
    let hashes: HashMap<i64, u32> = rows.iter().map(|(k, v)| (*k, vector_hash(v))).collect();
    let m = Mirror::new(graph, hashes, 0, true);
    let keys: Vec<i64> = rows.iter().map(|(k, _)| *k).collect();
    write_nodes(pager, def, &m, &keys)?;
    let (graph, hashes) = (Arc::try_unwrap(m.graph), Arc::try_unwrap(m.hashes));
    let (Ok(graph), Ok(hashes)) = (graph, hashes) else {
        unreachable!("a new mirror has no other owner")
    };
    mirrors.install(pager, def, graph, hashes)
}

/// Makes sure the mirrors of `defs` are loaded before a statement changes their table (so that
/// a load cannot see the statement's rows without their nodes).
pub fn prepare_writes(cx: &mut Cx<'_>, defs: &[Arc<VectorIndexDef>]) -> Result<()> {
    let Some(mirrors) = cx.vectors.as_deref_mut() else {
        return if defs.is_empty() {
            Ok(())
        } else {
            Err(Error::Misuse("vector indexes need a connection".into()))
        };
    };
    for def in defs {
        mirrors.get(cx.pager, def, false)?;
    }
    Ok(())
}

/// Applies the statement's collected [`VecOp`]s to the mirrors and writes the changed nodes to
/// the shadow tables.
pub fn finish_writes(cx: &mut Cx<'_>) -> Result<()> {
    if cx.vector_ops.is_empty() {
        return Ok(());
    }
    let ops = std::mem::take(&mut cx.vector_ops);
    let mirrors = cx
        .vectors
        .as_deref_mut()
        .ok_or_else(|| Error::Misuse("vector indexes need a connection".into()))?;
    for (def, op) in ops {
        let m = mirrors.get_mut(cx.pager, &def)?;
        match &op {
            VecOp::Upsert(key, v) => {
                Arc::make_mut(&mut m.hashes).insert(*key, vector_hash(v));
            }
            VecOp::Remove(key) => {
                Arc::make_mut(&mut m.hashes).remove(key);
            }
        }
        m.pending.push(op);
        m.def.get_or_insert(def);
        if m.pending.len() >= MAX_PENDING {
            let r = apply_pending(cx.pager, m);
            mirrors.wrote = true;
            r?;
        }
    }
    Ok(())
}

/// Pending changes applied at once when there are this many.
const MAX_PENDING: usize = 20_000;

/// Applies a mirror's pending changes in order — runs of inserts through the parallel
/// `insert_batch`, runs of removals through `remove_batch` — then writes every changed node.
fn apply_pending(pager: &mut Pager, m: &mut Mirror) -> Result<()> {
    // Taken: the next changes may be for a new definition (VACUUM moves the shadow table).
    let def = m.def.take().expect("a mirror with pending changes knows its index");
    let pending = std::mem::take(&mut m.pending);
    let graph = Arc::make_mut(&mut m.graph);
    let mut i = 0;
    while i < pending.len() {
        let mut j = i;
        if matches!(pending[i], VecOp::Upsert(..)) {
            let mut batch = Vec::new();
            while let Some(VecOp::Upsert(k, v)) = pending.get(j) {
                batch.push((*k, v.clone()));
                j += 1;
            }
            graph
                .insert_batch(&batch)
                .map_err(|e| Error::Sql(format!("vector index {}: {e}", def.name)))?;
        } else {
            let mut keys = Vec::new();
            while let Some(VecOp::Remove(k)) = pending.get(j) {
                keys.push(*k);
                j += 1;
            }
            graph.remove_batch(&keys);
        }
        i = j;
    }
    let dirty = graph.take_dirty();
    write_nodes(pager, &def, m, &dirty)
}

/// The `k` nearest rows of `def` to `query` (a vector value), as `(rowid, distance)`, with an
/// optional search width and an optional set of allowed rowids.
pub fn search<S: std::hash::BuildHasher + Sync>(
    cx: &mut Cx<'_>,
    def: &VectorIndexDef,
    query: &Value,
    k: usize,
    search_l: Option<usize>,
    allowed: Option<&std::collections::HashSet<i64, S>>,
) -> Result<Vec<(i64, f64)>> {
    let q = match query {
        Value::Blob(b) => Vector::from_blob(b),
        Value::Text(t) => Vector::parse_text(t, VectorType::F32),
        _ => {
            return Err(Error::Sql(format!(
                "vector_top_k: the query of index {} must be a vector",
                def.name
            )))
        }
    }
    .map_err(|e| Error::Sql(format!("vector_top_k: {e}")))?;
    query_dims(def, q.dims())?;
    let q = q.to_f32_vec();
    let mirrors = cx
        .vectors
        .as_deref_mut()
        .ok_or_else(|| Error::Misuse("vector indexes need a connection".into()))?;
    let m = mirrors.get(cx.pager, def, true)?;
    let filter = allowed.map(|set| move |key: i64| set.contains(&key));
    let filter_ref: Option<&(dyn Fn(i64) -> bool + Sync)> =
        filter.as_ref().map(|f| f as &(dyn Fn(i64) -> bool + Sync));
    let r = match allowed {
        // Very selective filters: exact search over the allowed rows is both faster and exact.
        Some(set) if set.len() <= exact_threshold(m.graph.len(), k) => {
            m.graph.search_exact(&q, k, filter_ref)
        }
        _ => m.graph.search(&q, k, search_l, filter_ref),
    };
    r.map_err(|e| Error::Sql(format!("vector_top_k: {e}")))
}

/// Below this many allowed rows a filtered query scans them exactly instead of walking the graph.
fn exact_threshold(n: usize, k: usize) -> usize {
    (n / 50).max(k * 20).max(1000)
}
