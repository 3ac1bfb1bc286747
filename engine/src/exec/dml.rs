//! `INSERT`, `UPDATE` and `DELETE`: binding and running, with SQLite's constraint checks and
//! conflict resolution, index maintenance, `RETURNING` and upserts.

use std::cmp::Ordering;
use std::sync::Arc;

use sqlparser::ast::{self, AssignmentTarget, SqliteOnConflict};

use super::eval::{eval, eval_true};
use super::fkey::{self, FkPlan};
use super::query::{keyed_row, run_select, table_row, Row};
use super::trigger::{self, Timing, TriggerPlan};
use super::Cx;
use crate::error::{Error, Result};
use crate::functions::vector;
use crate::sql::bind::Binder;
use crate::sql::catalog::{object_name, Catalog, Index, Table};
use crate::sql::coerce::{apply_affinity, Affinity};
use crate::sql::plan::{Access, Core, Expr, Select, Source, SourceKind};
use crate::storage::btree::{self, Cursor, SeekOp, TreeKind};
use crate::storage::record::{compare_record_to_key, encode_record, RecordView, ValueRef};
use crate::storage::Value;
use crate::vector_index::{self, VecOp, VectorIndexDef};

/// SQLite's conflict resolution algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Undo the statement, fail.
    Abort,
    /// Fail, keep the statement's earlier changes.
    Fail,
    /// Skip the row.
    Ignore,
    /// Delete the conflicting rows.
    Replace,
    /// Undo the transaction, fail.
    Rollback,
}

fn conflict_of(or: Option<&SqliteOnConflict>) -> Conflict {
    match or {
        Some(SqliteOnConflict::Rollback) => Conflict::Rollback,
        Some(SqliteOnConflict::Fail) => Conflict::Fail,
        Some(SqliteOnConflict::Ignore) => Conflict::Ignore,
        Some(SqliteOnConflict::Replace) => Conflict::Replace,
        Some(SqliteOnConflict::Abort) | None => Conflict::Abort,
    }
}

/// An index with its key expressions bound over the table's row slot.
#[derive(Debug, Clone)]
pub struct IndexPlan {
    /// The index.
    pub index: Arc<Index>,
    /// Key expressions (rowid not included).
    pub keys: Vec<Expr>,
    /// Partial-index condition.
    pub predicate: Option<Expr>,
}

/// Everything needed to write rows of one table.
#[derive(Debug, Clone)]
pub struct TableWriter {
    /// The table.
    pub table: Arc<Table>,
    /// Slot holding the row being written.
    pub slot: usize,
    /// Its indexes (not the primary key of a `WITHOUT ROWID` table, which is the table).
    pub indexes: Vec<IndexPlan>,
    /// The primary key of a `WITHOUT ROWID` table.
    pub key_index: Option<Arc<Index>>,
    /// `CHECK` constraints with their text.
    pub checks: Vec<(String, Expr)>,
    /// Column defaults (bound, constant).
    pub defaults: Vec<Option<Expr>>,
    /// Its vector indexes, with their partial-index conditions.
    pub vectors: Vec<(Arc<VectorIndexDef>, Option<Expr>)>,
    /// The foreign keys a statement on it may have to enforce.
    pub fk: Option<Arc<FkPlan>>,
    /// The triggers the statement fires on it.
    pub triggers: Option<Arc<TriggerPlan>>,
}

/// The foreign keys to enforce for a statement writing `w` (none unless `PRAGMA foreign_keys`).
fn enforced<'p>(w: &'p TableWriter, cx: &Cx<'_>) -> Option<&'p FkPlan> {
    w.fk.as_deref().filter(|_| cx.foreign_keys)
}

/// The `ON CONFLICT` clause of an insert.
#[derive(Debug, Clone)]
pub struct Upsert {
    /// Target columns (empty: any uniqueness conflict).
    pub target: Vec<usize>,
    /// `DO NOTHING`, or the assignments of `DO UPDATE`.
    pub assignments: Option<Vec<(usize, Expr)>>,
    /// `DO UPDATE ... WHERE`.
    pub filter: Option<Expr>,
    /// Slot of the `excluded` row.
    pub excluded_slot: usize,
    /// The `UPDATE` triggers that `DO UPDATE` fires.
    pub triggers: Option<Arc<TriggerPlan>>,
}

/// Where inserted rows come from.
#[derive(Debug, Clone)]
pub enum InsertSource {
    /// `VALUES`.
    Values(Vec<Vec<Expr>>),
    /// A query.
    Select(Box<Select>),
    /// `DEFAULT VALUES`.
    Defaults,
}

/// A bound `INSERT`.
#[derive(Debug, Clone)]
pub struct InsertPlan {
    /// Target table.
    pub w: TableWriter,
    /// Table column of each source column.
    pub targets: Vec<usize>,
    /// Rows.
    pub source: InsertSource,
    /// Conflict resolution.
    pub conflict: Conflict,
    /// Upsert clause.
    pub upsert: Option<Upsert>,
    /// `RETURNING` expressions.
    pub returning: Vec<Expr>,
}

/// A bound `UPDATE`.
#[derive(Debug, Clone)]
pub struct UpdatePlan {
    /// Target table.
    pub w: TableWriter,
    /// The rows to change (one table source at `w.slot`).
    pub scan: Core,
    /// Assignments.
    pub assignments: Vec<(usize, Expr)>,
    /// Conflict resolution.
    pub conflict: Conflict,
    /// `RETURNING`.
    pub returning: Vec<Expr>,
}

/// A bound `DELETE`.
#[derive(Debug, Clone)]
pub struct DeletePlan {
    /// Target table.
    pub w: TableWriter,
    /// The rows to delete.
    pub scan: Core,
    /// `RETURNING`.
    pub returning: Vec<Expr>,
}

fn err<T>(m: impl Into<String>) -> Result<T> {
    Err(Error::Sql(m.into()))
}

fn writable_table(cat: &Catalog, name: &ast::ObjectName) -> Result<Arc<Table>> {
    let n = object_name(name);
    if cat.views.contains_key(&n.to_ascii_lowercase()) {
        return err(format!("cannot modify {n} because it is a view"));
    }
    let l = n.to_ascii_lowercase();
    if l == "sqlite_schema" || l == "sqlite_master" {
        return err(format!("table {n} may not be modified"));
    }
    cat.table(&n).cloned().ok_or_else(|| Error::Sql(format!("no such table: {n}")))
}

/// Binds the writer of a table: its indexes, checks and defaults over a new row slot. The
/// caller has pushed a scope with the table at `slot`.
pub(super) fn writer(
    b: &mut Binder<'_>,
    cat: &Catalog,
    table: Arc<Table>,
    slot: usize,
) -> Result<TableWriter> {
    let mut indexes = Vec::new();
    let mut key_index = None;
    for idx in cat.indexes_of(&table.name) {
        if idx.primary_key && table.without_rowid {
            // The table's own b-tree, written with the row.
            key_index = Some(idx);
            continue;
        }
        let mut keys = Vec::with_capacity(idx.columns.len());
        for c in &idx.columns {
            keys.push(match (c.column, &c.expr) {
                (Some(col), _) => Expr::Col(slot, col),
                (None, Some(e)) => b.expr(e)?,
                (None, None) => {
                    return Err(Error::corrupt_file(format!(
                        "index {} has an empty column",
                        idx.name
                    )))
                }
            });
        }
        let predicate = match &idx.predicate {
            Some(p) => Some(b.expr(p)?),
            None => None,
        };
        indexes.push(IndexPlan { index: idx, keys, predicate });
    }
    let mut vectors = Vec::new();
    for def in cat.vector_indexes_of(&table.name) {
        let predicate = match &def.predicate {
            Some(p) => Some(b.expr(p)?),
            None => None,
        };
        vectors.push((def, predicate));
    }
    let mut checks = Vec::new();
    for c in &table.checks {
        checks.push((c.to_string(), b.expr(c)?));
    }
    b.push_empty_scope();
    let mut defaults = Vec::new();
    for c in &table.columns {
        defaults.push(match &c.default {
            Some(d) => Some(b.expr(d)?),
            None => None,
        });
    }
    b.pop_scope();
    Ok(TableWriter {
        table,
        slot,
        indexes,
        key_index,
        checks,
        defaults,
        vectors,
        fk: None,
        triggers: None,
    })
}

fn assignments(
    b: &mut Binder<'_>,
    table: &Table,
    list: &[ast::Assignment],
) -> Result<Vec<(usize, Expr)>> {
    let mut out = Vec::new();
    for a in list {
        let names: Vec<String> = match &a.target {
            AssignmentTarget::ColumnName(n) => vec![object_name(n)],
            AssignmentTarget::Tuple(ns) => ns.iter().map(object_name).collect(),
        };
        if names.len() != 1 {
            return err("row values in assignments are not supported yet");
        }
        let name = &names[0];
        let col = match table.column_index(name) {
            Some(c) => c,
            None if !table.without_rowid
                && (name.eq_ignore_ascii_case("rowid")
                    || name.eq_ignore_ascii_case("oid")
                    || name.eq_ignore_ascii_case("_rowid_")) =>
            {
                table.columns.len()
            }
            None => return err(format!("no such column: {name}")),
        };
        out.push((col, b.expr(&a.value)?));
    }
    Ok(out)
}

fn returning(
    b: &mut Binder<'_>,
    items: Option<&Vec<ast::SelectItem>>,
    table: &Table,
    slot: usize,
) -> Result<(Vec<Expr>, Vec<String>)> {
    let mut exprs = Vec::new();
    let mut names = Vec::new();
    for it in items.map_or(&[][..], Vec::as_slice) {
        match it {
            ast::SelectItem::Wildcard(_) => {
                for (i, c) in table.columns.iter().enumerate() {
                    exprs.push(Expr::Col(slot, i));
                    names.push(c.name.clone());
                }
            }
            ast::SelectItem::UnnamedExpr(e) => {
                exprs.push(b.expr(e)?);
                names.push(e.to_string());
            }
            ast::SelectItem::ExprWithAlias { expr, alias } => {
                exprs.push(b.expr(expr)?);
                names.push(alias.value.clone());
            }
            other => return err(format!("unsupported RETURNING item {other}")),
        }
    }
    Ok((exprs, names))
}

/// Binds an `INSERT`. Returns the plan and the `RETURNING` column names.
pub fn bind_insert(
    b: &mut Binder<'_>,
    cat: &Catalog,
    ins: &ast::Insert,
) -> Result<(InsertPlan, Vec<String>)> {
    let ast::TableObject::TableName(name) = &ins.table else {
        return err("unsupported INSERT target");
    };
    let table = writable_table(cat, name)?;
    let ncols = table.columns.len();
    let targets: Vec<usize> = if ins.columns.is_empty() {
        (0..ncols).collect()
    } else {
        ins.columns
            .iter()
            .map(|c| {
                let n = object_name(c);
                table
                    .column_index(&n)
                    .or_else(|| {
                        (!table.without_rowid
                            && (n.eq_ignore_ascii_case("rowid")
                                || n.eq_ignore_ascii_case("oid")
                                || n.eq_ignore_ascii_case("_rowid_")))
                        .then_some(ncols)
                    })
                    .ok_or_else(|| {
                        Error::Sql(format!("table {} has no column named {n}", table.name))
                    })
            })
            .collect::<Result<_>>()?
    };
    let source = match &ins.source {
        None => InsertSource::Defaults,
        Some(q) => match q.body.as_ref() {
            ast::SetExpr::Values(v)
                if q.with.is_none() && q.order_by.is_none() && q.limit_clause.is_none() =>
            {
                b.push_empty_scope();
                let mut rows = Vec::with_capacity(v.rows.len());
                for r in &v.rows {
                    if r.content.len() != targets.len() {
                        b.pop_scope();
                        return if ins.columns.is_empty() {
                            err(format!(
                                "table {} has {} columns but {} values were supplied",
                                table.name,
                                ncols,
                                r.content.len()
                            ))
                        } else {
                            err(format!("{} values for {} columns", r.content.len(), targets.len()))
                        };
                    }
                    let mut row = Vec::with_capacity(r.content.len());
                    for e in &r.content {
                        row.push(b.expr(e)?);
                    }
                    rows.push(row);
                }
                b.pop_scope();
                InsertSource::Values(rows)
            }
            _ => {
                let sel = b.query(q)?;
                if sel.ncols != targets.len() {
                    return if ins.columns.is_empty() {
                        err(format!(
                            "table {} has {} columns but {} values were supplied",
                            table.name, ncols, sel.ncols
                        ))
                    } else {
                        err(format!("{} values for {} columns", sel.ncols, targets.len()))
                    };
                }
                InsertSource::Select(Box::new(sel))
            }
        },
    };
    let slot = b.alloc_slot();
    b.push_table_scope(&table, &table.name, slot);
    let r = (|| {
        let w = writer(b, cat, table.clone(), slot)?;
        let upsert = match &ins.on {
            Some(ast::OnInsert::OnConflict(oc)) => {
                let excluded_slot = b.alloc_slot();
                b.add_table_to_scope(&table, "excluded", excluded_slot);
                let target = match &oc.conflict_target {
                    Some(ast::ConflictTarget::Columns { columns, .. }) => columns
                        .iter()
                        .map(|c| {
                            table
                                .column_index(&c.value)
                                .ok_or_else(|| Error::Sql(format!("no such column: {}", c.value)))
                        })
                        .collect::<Result<Vec<_>>>()?,
                    _ => Vec::new(),
                };
                let (assignments, filter) = match &oc.action {
                    ast::OnConflictAction::DoNothing => (None, None),
                    ast::OnConflictAction::DoUpdate(du) => {
                        let a = assignments(b, &table, &du.assignments)?;
                        let f = match &du.selection {
                            Some(s) => Some(b.expr(s)?),
                            None => None,
                        };
                        (Some(a), f)
                    }
                };
                Some(Upsert { target, assignments, filter, excluded_slot, triggers: None })
            }
            Some(_) => return err("unsupported ON clause"),
            None => None,
        };
        let (ret, names) = returning(b, ins.returning.as_ref(), &table, slot)?;
        let mut w = w;
        w.fk = fkey::bind(b, cat, &w)?.map(Arc::new);
        let or = b.forced_conflict.or(if ins.replace_into {
            Some(SqliteOnConflict::Replace)
        } else {
            ins.or
        });
        w.triggers =
            forcing(b, or, |b| trigger::bind(b, cat, &w, trigger::Event::Insert))?.map(Arc::new);
        let mut upsert = upsert;
        if let Some(u) = &mut upsert {
            if let Some(a) = &u.assignments {
                let cols: Vec<usize> = a.iter().map(|(c, _)| *c).collect();
                u.triggers =
                    trigger::bind(b, cat, &w, trigger::Event::Update(&cols))?.map(Arc::new);
            }
        }
        let conflict = conflict_of(or.as_ref());
        Ok((InsertPlan { w, targets, source, conflict, upsert, returning: ret }, names))
    })();
    b.pop_scope();
    r
}

/// Runs `f` (binding trigger programs) with `or` as the conflict clause of their statements.
fn forcing<T>(
    b: &mut Binder<'_>,
    or: Option<SqliteOnConflict>,
    f: impl FnOnce(&mut Binder<'_>) -> Result<T>,
) -> Result<T> {
    let saved = std::mem::replace(&mut b.forced_conflict, or);
    let r = f(b);
    b.forced_conflict = saved;
    r
}

/// A core scanning one table with a WHERE clause (for UPDATE and DELETE).
fn scan_core(
    b: &mut Binder<'_>,
    table: &Arc<Table>,
    slot: usize,
    selection: Option<&ast::Expr>,
) -> Result<Core> {
    let mut conds = Vec::new();
    if let Some(w) = selection {
        let e = b.expr(w)?;
        let mut stack = vec![e];
        while let Some(x) = stack.pop() {
            match x {
                Expr::And(l, r) => {
                    stack.push(*r);
                    stack.push(*l);
                }
                other => conds.push(other),
            }
        }
    }
    let agg_slot = b.alloc_slot();
    let source = Source {
        slot,
        ncols: table.columns.len(),
        kind: SourceKind::Table(table.clone()),
        left_join: false,
        on: Vec::new(),
        access: Access::Scan,
        correlated: false,
        width: usize::MAX,
        need: Vec::new(),
    };
    b.plan_scan(vec![source], conds, agg_slot)
}

/// Binds an `UPDATE`.
pub fn bind_update(
    b: &mut Binder<'_>,
    cat: &Catalog,
    up: &ast::Update,
) -> Result<(UpdatePlan, Vec<String>)> {
    if up.from.is_some() {
        return err("UPDATE ... FROM is not supported yet");
    }
    let (name, alias) = match &up.table.relation {
        ast::TableFactor::Table { name, alias, .. } => {
            (name, alias.as_ref().map(|a| a.name.value.clone()))
        }
        _ => return err("unsupported UPDATE target"),
    };
    let table = writable_table(cat, name)?;
    let slot = b.alloc_slot();
    b.push_table_scope(&table, alias.as_deref().unwrap_or(&table.name), slot);
    let r = (|| {
        let mut w = writer(b, cat, table.clone(), slot)?;
        w.fk = fkey::bind(b, cat, &w)?.map(Arc::new);
        let assignments = assignments(b, &table, &up.assignments)?;
        let cols: Vec<usize> = assignments.iter().map(|(c, _)| *c).collect();
        let or = b.forced_conflict.or(up.or);
        w.triggers = forcing(b, or, |b| trigger::bind(b, cat, &w, trigger::Event::Update(&cols)))?
            .map(Arc::new);
        let scan = scan_core(b, &table, slot, up.selection.as_ref())?;
        let (ret, names) = returning(b, up.returning.as_ref(), &table, slot)?;
        Ok((
            UpdatePlan { w, scan, assignments, conflict: conflict_of(or.as_ref()), returning: ret },
            names,
        ))
    })();
    b.pop_scope();
    r
}

/// Binds a `DELETE`.
pub fn bind_delete(
    b: &mut Binder<'_>,
    cat: &Catalog,
    del: &ast::Delete,
) -> Result<(DeletePlan, Vec<String>)> {
    let from = match &del.from {
        ast::FromTable::WithFromKeyword(v) | ast::FromTable::WithoutKeyword(v) => v,
    };
    let Some(first) = from.first() else { return err("DELETE without a table") };
    if from.len() > 1 || !first.joins.is_empty() {
        return err("DELETE from several tables is not supported");
    }
    let (name, alias) = match &first.relation {
        ast::TableFactor::Table { name, alias, .. } => {
            (name, alias.as_ref().map(|a| a.name.value.clone()))
        }
        _ => return err("unsupported DELETE target"),
    };
    let table = writable_table(cat, name)?;
    let slot = b.alloc_slot();
    b.push_table_scope(&table, alias.as_deref().unwrap_or(&table.name), slot);
    let r = (|| {
        let mut w = writer(b, cat, table.clone(), slot)?;
        w.fk = fkey::bind(b, cat, &w)?.map(Arc::new);
        w.triggers = trigger::bind(b, cat, &w, trigger::Event::Delete)?.map(Arc::new);
        let scan = scan_core(b, &table, slot, del.selection.as_ref())?;
        let (ret, names) = returning(b, del.returning.as_ref(), &table, slot)?;
        Ok((DeletePlan { w, scan, returning: ret }, names))
    })();
    b.pop_scope();
    r
}

// ----- running ----------------------------------------------------------------------------

fn constraint_columns(w: &TableWriter, ip: &IndexPlan) -> String {
    ip.index
        .columns
        .iter()
        .map(|c| match c.column {
            Some(col) => format!("{}.{}", w.table.name, w.table.columns[col].name),
            None => "index expression".into(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The index key of the row in the writer's slot (`None` if a partial index excludes it).
fn index_key(ip: &IndexPlan, cx: &mut Cx<'_>) -> Result<Option<Vec<Value>>> {
    if let Some(p) = &ip.predicate {
        if !eval_true(p, cx)? {
            return Ok(None);
        }
    }
    let mut key = Vec::with_capacity(ip.keys.len() + 1);
    for e in &ip.keys {
        key.push(eval(e, cx)?);
    }
    Ok(Some(key))
}

/// Which row of a table a write addresses.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum RowKey {
    /// A row of a rowid table.
    Rowid(i64),
    /// A row of a `WITHOUT ROWID` table: its primary key values, in key order.
    Pk(Vec<Value>),
}

/// The key of `row` (a row of `table` as the executor holds it: columns, then the rowid).
pub(super) fn row_key(table: &Table, row: &[Value]) -> Option<RowKey> {
    if table.without_rowid {
        let key = table.pk.iter().map(|p| p.column.and_then(|c| row.get(c).cloned()));
        return key.collect::<Option<Vec<Value>>>().map(RowKey::Pk);
    }
    match row.get(table.columns.len()) {
        Some(Value::Integer(r)) => Some(RowKey::Rowid(*r)),
        _ => None,
    }
}

/// Keys of the rows whose key in a unique index equals `key`.
fn unique_conflicts(
    w: &TableWriter,
    ip: &IndexPlan,
    key: &[Value],
    cx: &mut Cx<'_>,
) -> Result<Vec<RowKey>> {
    index_rows(&w.table, &ip.index, key, false, cx)
}

/// Keys of the rows of `table` whose entries in `index` start with `key` (none if a key value
/// is NULL); with `first`, at most one.
pub(super) fn index_rows(
    table: &Table,
    index: &Index,
    key: &[Value],
    first: bool,
    cx: &mut Cx<'_>,
) -> Result<Vec<RowKey>> {
    if key.iter().any(|v| matches!(v, Value::Null)) {
        return Ok(Vec::new());
    }
    let info = index.key_info();
    let refs: Vec<ValueRef<'_>> = key.iter().map(Value::as_ref).collect();
    let mut cur = Cursor::new(index.root, TreeKind::Index);
    let mut ok = cur.seek_key(cx.pager, &refs, &info, SeekOp::Ge)?;
    let mut out = Vec::new();
    // Where the primary key of a WITHOUT ROWID table sits in each entry.
    let pk_at = if table.without_rowid { table.pk_fields(index) } else { Vec::new() };
    while ok {
        let rec = cur.payload(cx.pager)?;
        if compare_record_to_key(&rec, &refs, &info)? != Ordering::Equal {
            break;
        }
        let view = RecordView::parse(&rec)?;
        if table.without_rowid {
            let pk = pk_at.iter().map(|&i| view.get(i).map(|v| v.to_owned()));
            out.push(RowKey::Pk(pk.collect::<Result<_>>()?));
            if first {
                break;
            }
        } else if let ValueRef::Integer(r) = view.get(view.len().saturating_sub(1))? {
            out.push(RowKey::Rowid(r));
            if first {
                break;
            }
        }
        ok = cur.next(cx.pager)?;
    }
    Ok(out)
}

/// The record of the row in `row` as the table's b-tree stores it: the columns in table order
/// (the rowid alias as NULL), or, `WITHOUT ROWID`, the primary key columns first.
fn record_of(w: &TableWriter, row: &[Value]) -> Vec<u8> {
    let t = &w.table;
    let vals: Vec<Value> = if t.without_rowid {
        t.record_columns().into_iter().map(|c| row[c].clone()).collect()
    } else {
        let mut vals = row[..t.columns.len()].to_vec();
        if let Some(a) = t.rowid_alias {
            vals[a] = Value::Null;
        }
        vals
    };
    let mut rec = Vec::with_capacity(64);
    encode_record(&vals, &mut rec);
    rec
}

/// An index entry: the key, then the rowid or (`WITHOUT ROWID`) the primary key columns the
/// index lacks, taken from the row in the writer's slot.
fn index_record(w: &TableWriter, ip: &IndexPlan, key: &[Value], cx: &Cx<'_>) -> Vec<u8> {
    let row = &cx.env[w.slot];
    let mut vals = key.to_vec();
    if w.table.without_rowid {
        for p in w.table.pk_suffix(&ip.index) {
            vals.push(p.column.map_or(Value::Null, |c| row[c].clone()));
        }
    } else {
        vals.push(row[w.table.columns.len()].clone());
    }
    let mut rec = Vec::with_capacity(32);
    encode_record(&vals, &mut rec);
    rec
}

/// Finds the entry of a `WITHOUT ROWID` table with primary key `key`: the cursor is left on it.
fn seek_pk(t: &Table, key: &[Value], cur: &mut Cursor, cx: &mut Cx<'_>) -> Result<bool> {
    let info = t.pk_key_info();
    let refs: Vec<ValueRef<'_>> = key.iter().map(Value::as_ref).collect();
    Ok(cur.seek_key(cx.pager, &refs, &info, SeekOp::Ge)?
        && compare_record_to_key(&cur.payload(cx.pager)?, &refs, &info)? == Ordering::Equal)
}

/// Deletes a row and its index entries; the row must be in the writer's slot.
pub(super) fn delete_row(w: &TableWriter, key: &RowKey, cx: &mut Cx<'_>) -> Result<()> {
    for ip in &w.indexes {
        if let Some(k) = index_key(ip, cx)? {
            let rec = index_record(w, ip, &k, cx);
            btree::index_delete(cx.pager, ip.index.root, &ip.index.entry_key_info(&w.table), &rec)?;
        }
    }
    match key {
        RowKey::Rowid(rowid) => {
            btree::table_delete(cx.pager, w.table.root, *rowid)?;
            for (def, _) in &w.vectors {
                cx.vector_ops.push((def.clone(), VecOp::Remove(*rowid)));
            }
        }
        RowKey::Pk(pk) => {
            // The entry as stored (a record written before ALTER TABLE ADD COLUMN is shorter
            // than the row).
            let mut cur = Cursor::new(w.table.root, TreeKind::Index);
            if seek_pk(&w.table, pk, &mut cur, cx)? {
                let rec = cur.payload(cx.pager)?.into_owned();
                btree::index_delete(cx.pager, w.table.root, &w.table.pk_key_info(), &rec)?;
            }
        }
    }
    Ok(())
}

/// Loads row `key` of the writer's table into `slot`; false if it does not exist.
pub(super) fn load_row(
    w: &TableWriter,
    key: &RowKey,
    slot: usize,
    cx: &mut Cx<'_>,
) -> Result<bool> {
    let row = match key {
        RowKey::Rowid(rowid) => {
            let mut cur = Cursor::new(w.table.root, TreeKind::Table);
            if !cur.seek_rowid(cx.pager, *rowid)? {
                return Ok(false);
            }
            table_row(&cur.payload(cx.pager)?, *rowid, &w.table)?
        }
        RowKey::Pk(pk) => {
            let mut cur = Cursor::new(w.table.root, TreeKind::Index);
            if !seek_pk(&w.table, pk, &mut cur, cx)? {
                return Ok(false);
            }
            keyed_row(&cur.payload(cx.pager)?, &w.table)?
        }
    };
    cx.env[slot] = row;
    Ok(true)
}

fn delete_by_key(w: &TableWriter, key: &RowKey, cx: &mut Cx<'_>) -> Result<()> {
    let saved = std::mem::take(&mut cx.env[w.slot]);
    if load_row(w, key, w.slot, cx)? {
        delete_row(w, key, cx)?;
    }
    cx.env[w.slot] = saved;
    Ok(())
}

/// What happened to a row that was checked against the constraints.
enum Outcome {
    Write,
    Skip,
    /// An upsert: update this existing row instead.
    Upsert(RowKey),
}

/// Whether `a` and `b` address the same row of `t` (primary keys compare as the table's
/// b-tree compares them, with their collations).
fn same_row(t: &Table, a: &RowKey, b: &RowKey) -> Result<bool> {
    match (a, b) {
        (RowKey::Pk(a), RowKey::Pk(b)) => {
            let mut rec = Vec::with_capacity(32);
            encode_record(a, &mut rec);
            let refs: Vec<ValueRef<'_>> = b.iter().map(Value::as_ref).collect();
            Ok(compare_record_to_key(&rec, &refs, &t.pk_key_info())? == Ordering::Equal)
        }
        _ => Ok(a == b),
    }
}

/// Applies affinities, NOT NULL, CHECK and uniqueness to the row in the writer's slot. `own`
/// is the row an update rewrites while it is still stored: its entries are no conflict.
fn check_row(
    w: &TableWriter,
    conflict: Conflict,
    upsert: Option<&Upsert>,
    own: Option<&RowKey>,
    cx: &mut Cx<'_>,
) -> Result<Outcome> {
    let t = &w.table;
    for (i, c) in t.columns.iter().enumerate() {
        if let Some((ty, dims)) = c.vector {
            vector::check_column_value(&t.name, &c.name, ty, dims, &cx.env[w.slot][i])?;
        }
        if c.not_null && matches!(cx.env[w.slot][i], Value::Null) && Some(i) != t.rowid_alias {
            match conflict {
                Conflict::Ignore => return Ok(Outcome::Skip),
                Conflict::Replace if w.defaults[i].is_some() => {
                    let d = eval(w.defaults[i].as_ref().expect("checked"), cx)?;
                    cx.env[w.slot][i] = apply_affinity(d, c.affinity);
                }
                _ => {
                    return Err(Error::Constraint(format!(
                        "NOT NULL constraint failed: {}.{}",
                        t.name, c.name
                    )))
                }
            }
        }
    }
    for (text, e) in &w.checks {
        if matches!(super::eval::eval(e, cx)?, v if crate::sql::coerce::is_true(&v) == Some(false))
        {
            if conflict == Conflict::Ignore {
                return Ok(Outcome::Skip);
            }
            return Err(Error::Constraint(format!("CHECK constraint failed: {text}")));
        }
    }
    let Some(key) = row_key(t, &cx.env[w.slot]) else {
        return Err(Error::Misuse("a row to write has no rowid".into()));
    };
    // Uniqueness: the rowid or primary key (`None`), then the unique indexes — but an
    // upsert's target first, as SQLite checks it.
    let mut order: Vec<Option<&IndexPlan>> = std::iter::once(None)
        .chain(w.indexes.iter().filter(|ip| ip.index.unique).map(Some))
        .collect();
    if t.without_rowid {
        // SQLite checks the unique indexes of a WITHOUT ROWID table newest first: those of
        // CREATE INDEX, then the constraints' automatic ones from the last to the first, the
        // primary key among them.
        let pk = w.key_index.as_deref().and_then(auto_number);
        order.sort_by_key(|c| match c.map_or(pk, |ip| auto_number(&ip.index)) {
            Some(n) => (1, std::cmp::Reverse(n)),
            None if c.is_none() => (1, std::cmp::Reverse(0)),
            None => (0, std::cmp::Reverse(0)),
        });
    }
    if let Some(u) = upsert.filter(|u| !u.target.is_empty()) {
        if let Some(pos) = order.iter().position(|c| upsert_targets(u, t, *c)) {
            let c = order.remove(pos);
            order.insert(0, c);
        }
    }
    for c in order {
        let mut others = match c {
            None => {
                let taken = match &key {
                    RowKey::Rowid(rowid) => {
                        Cursor::new(t.root, TreeKind::Table).seek_rowid(cx.pager, *rowid)?
                    }
                    RowKey::Pk(pk) => {
                        seek_pk(t, pk, &mut Cursor::new(t.root, TreeKind::Index), cx)?
                    }
                };
                if taken {
                    vec![key.clone()]
                } else {
                    Vec::new()
                }
            }
            Some(ip) => match index_key(ip, cx)? {
                Some(k) => unique_conflicts(w, ip, &k, cx)?,
                None => Vec::new(),
            },
        };
        if let Some(own) = own {
            let mut kept = Vec::with_capacity(others.len());
            for r in others {
                if !same_row(t, own, &r)? {
                    kept.push(r);
                }
            }
            others = kept;
        }
        let Some(first) = others.first().cloned() else { continue };
        if let Some(u) = upsert {
            if u.target.is_empty() || upsert_targets(u, t, c) {
                return Ok(if u.assignments.is_some() {
                    Outcome::Upsert(first)
                } else {
                    Outcome::Skip
                });
            }
        }
        match conflict {
            Conflict::Ignore => return Ok(Outcome::Skip),
            Conflict::Replace => {
                for r in others {
                    delete_by_key(w, &r, cx)?;
                }
            }
            _ => {
                let cols = match c {
                    Some(ip) => constraint_columns(w, ip),
                    None if t.without_rowid => {
                        t.pk.iter()
                            .filter_map(|p| p.column)
                            .map(|c| format!("{}.{}", t.name, t.columns[c].name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                    None => {
                        let col = t
                            .rowid_alias
                            .map_or_else(|| "rowid".to_string(), |a| t.columns[a].name.clone());
                        format!("{}.{col}", t.name)
                    }
                };
                return Err(Error::Constraint(format!("UNIQUE constraint failed: {cols}")));
            }
        }
    }
    Ok(Outcome::Write)
}

/// The number `n` of an automatic index `sqlite_autoindex_<table>_<n>`.
fn auto_number(index: &Index) -> Option<usize> {
    if index.sql.is_some() {
        return None;
    }
    index.name.rsplit('_').next()?.parse().ok()
}

/// Whether the target columns of an upsert name the uniqueness constraint `c`: a unique
/// index, or (`None`) the rowid or the primary key of a `WITHOUT ROWID` table.
fn upsert_targets(u: &Upsert, t: &Table, c: Option<&IndexPlan>) -> bool {
    let cols: Vec<usize> = match c {
        Some(ip) => ip.index.columns.iter().filter_map(|c| c.column).collect(),
        None if t.without_rowid => t.pk.iter().filter_map(|p| p.column).collect(),
        None => return u.target.iter().all(|&c| Some(c) == t.rowid_alias),
    };
    u.target.len() == cols.len() && u.target.iter().all(|c| cols.contains(c))
}

/// Writes the row in the writer's slot with its index entries.
fn write_row(w: &TableWriter, cx: &mut Cx<'_>) -> Result<()> {
    let rec = record_of(w, &cx.env[w.slot]);
    let rowid = match row_key(&w.table, &cx.env[w.slot]) {
        Some(RowKey::Rowid(rowid)) => {
            btree::table_insert(cx.pager, w.table.root, rowid, &rec)?;
            Some(rowid)
        }
        Some(RowKey::Pk(_)) => {
            btree::index_insert(cx.pager, w.table.root, &w.table.pk_key_info(), &rec)?;
            None
        }
        None => return Err(Error::Misuse("a row to write has no rowid".into())),
    };
    for ip in &w.indexes {
        if let Some(key) = index_key(ip, cx)? {
            let entry = index_record(w, ip, &key, cx);
            btree::index_insert(
                cx.pager,
                ip.index.root,
                &ip.index.entry_key_info(&w.table),
                &entry,
            )?;
        }
    }
    let Some(rowid) = rowid else { return Ok(()) };
    for (def, predicate) in &w.vectors {
        if let Some(p) = predicate {
            if !eval_true(p, cx)? {
                continue;
            }
        }
        if let Some(v) = vector_index::column_vector(def, &cx.env[w.slot][def.column])? {
            cx.vector_ops.push((def.clone(), VecOp::Upsert(rowid, v)));
        }
    }
    Ok(())
}

fn next_rowid(w: &TableWriter, cx: &mut Cx<'_>) -> Result<i64> {
    let mut cur = Cursor::new(w.table.root, TreeKind::Table);
    let max = if cur.last(cx.pager)? { cur.rowid(cx.pager)? } else { 0 };
    let mut next = max.checked_add(1);
    if w.table.autoincrement {
        let seq = super::ddl::sequence_value(cx, &w.table.name)?;
        next = max.max(seq).checked_add(1);
    }
    if let Some(n) = next {
        return Ok(n);
    }
    if w.table.autoincrement {
        return Err(Error::Full);
    }
    // SQLite picks random unused rowids once the largest is taken.
    for _ in 0..100 {
        let candidate = (rand::random::<u64>() >> 1) as i64;
        if candidate > 0 && !cur.seek_rowid(cx.pager, candidate)? {
            return Ok(candidate);
        }
    }
    Err(Error::Full)
}

/// Runs an `INSERT`; returns the `RETURNING` rows.
pub fn run_insert(p: &InsertPlan, cx: &mut Cx<'_>) -> Result<Vec<Row>> {
    let out = insert_rows(p, cx).map_err(|e| fail_keeps(e, p.conflict))?;
    if let Some(fk) = enforced(&p.w, cx) {
        fkey::finish(fk, cx)?;
    }
    vector_index::finish_writes(cx)?;
    Ok(out)
}

fn insert_rows(p: &InsertPlan, cx: &mut Cx<'_>) -> Result<Vec<Row>> {
    prepare_vectors(&p.w, cx)?;
    let rows: Vec<Row> = match &p.source {
        InsertSource::Defaults => vec![Vec::new()],
        InsertSource::Values(rows) => {
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let mut row = Vec::with_capacity(r.len());
                for e in r {
                    row.push(eval(e, cx)?);
                }
                out.push(row);
            }
            out
        }
        InsertSource::Select(sel) => run_select(sel, cx, None)?,
    };
    let w = &p.w;
    let t = &w.table;
    let ncols = t.columns.len();
    let mut out = Vec::new();
    for src in rows {
        let mut row: Vec<Option<Value>> = vec![None; ncols + 1];
        for (v, &col) in src.into_iter().zip(&p.targets) {
            row[col] = Some(v);
        }
        let mut vals = Vec::with_capacity(ncols + 1);
        for (i, slot) in row.iter_mut().enumerate().take(ncols) {
            let v = match slot.take() {
                Some(v) => v,
                None => match &w.defaults[i] {
                    Some(d) => eval(d, cx)?,
                    None => Value::Null,
                },
            };
            vals.push(apply_affinity(v, t.columns[i].affinity));
        }
        if t.without_rowid {
            // No rowid: the row reads NULL after its columns.
            vals.push(Value::Null);
            if let Some(tp) = w.triggers.as_deref().filter(|tp| tp.has(Timing::Before)) {
                if !trigger::fire(tp, Timing::Before, None, Some(&vals), cx)? {
                    continue;
                }
            }
            cx.env[w.slot] = vals;
            if let Some(row) = insert_checked(p, cx)? {
                out.push(row);
            }
            continue;
        }
        // The rowid: the alias column, an explicit rowid, or the next free one.
        let explicit = t
            .rowid_alias
            .and_then(|a| (!matches!(vals[a], Value::Null)).then(|| vals[a].clone()))
            .or_else(|| row[ncols].take().filter(|v| !matches!(v, Value::Null)));
        let explicit = match explicit {
            Some(v) => match apply_affinity(v, Affinity::Integer) {
                Value::Integer(i) => Some(i),
                _ => return err("datatype mismatch"),
            },
            None => None,
        };
        if let Some(tp) = w.triggers.as_deref().filter(|tp| tp.has(Timing::Before)) {
            // As in SQLite, a rowid not chosen yet reads as -1 in a BEFORE INSERT trigger.
            let r = Value::Integer(explicit.unwrap_or(-1));
            let mut new = vals.clone();
            if let Some(a) = t.rowid_alias {
                new[a] = r.clone();
            }
            new.push(r);
            if !trigger::fire(tp, Timing::Before, None, Some(&new), cx)? {
                continue;
            }
        }
        let rowid = match explicit {
            Some(i) => i,
            None => next_rowid(w, cx)?,
        };
        if let Some(a) = t.rowid_alias {
            vals[a] = Value::Integer(rowid);
        }
        vals.push(Value::Integer(rowid));
        cx.env[w.slot] = vals;
        if let Some(row) = insert_checked(p, cx)? {
            out.push(row);
        }
    }
    Ok(out)
}

/// Checks and writes (or upserts) the new row in the writer's slot; returns its `RETURNING`
/// row, if the statement has one and the row was not skipped.
fn insert_checked(p: &InsertPlan, cx: &mut Cx<'_>) -> Result<Option<Row>> {
    let w = &p.w;
    match check_row(w, p.conflict, p.upsert.as_ref(), None, cx)? {
        Outcome::Skip => return Ok(None),
        Outcome::Upsert(existing) => {
            let u = p.upsert.as_ref().expect("upsert outcome");
            let excluded = std::mem::take(&mut cx.env[w.slot]);
            cx.env[u.excluded_slot] = excluded;
            if !load_row(w, &existing, w.slot, cx)? {
                return Ok(None);
            }
            if let Some(f) = &u.filter {
                if !eval_true(f, cx)? {
                    return Ok(None);
                }
            }
            let assignments = u.assignments.as_ref().expect("DO UPDATE");
            let mut old = cx.env[w.slot].clone();
            if let Some(tp) = u.triggers.as_deref().filter(|tp| tp.has(Timing::Before)) {
                let new = new_row(w, &existing, assignments, cx)?;
                if !trigger::fire(tp, Timing::Before, Some(&old), Some(&new), cx)?
                    || !load_row(w, &existing, w.slot, cx)?
                {
                    return Ok(None);
                }
                old = cx.env[w.slot].clone();
            }
            update_one(w, &existing, assignments, Conflict::Abort, cx)?;
            if let Some(fk) = enforced(w, cx) {
                fkey::after_update(fk, 0, &old, cx)?;
            }
            cx.changes += 1;
            if let Some(tp) = &u.triggers {
                let new = cx.env[w.slot].clone();
                trigger::fire(tp, Timing::After, Some(&old), Some(&new), cx)?;
            }
            return returned(p, cx);
        }
        Outcome::Write => {}
    }
    write_row(w, cx)?;
    if let Some(fk) = enforced(w, cx) {
        fkey::after_write(fk, 0, None, cx)?;
    }
    if let Some(RowKey::Rowid(rowid)) = row_key(&w.table, &cx.env[w.slot]) {
        if w.table.autoincrement {
            super::ddl::set_sequence(cx, &w.table.name, rowid)?;
        }
        cx.fnctx.last_insert_rowid = rowid;
    }
    cx.changes += 1;
    if let Some(tp) = &w.triggers {
        let new = cx.env[w.slot].clone();
        trigger::fire(tp, Timing::After, None, Some(&new), cx)?;
    }
    returned(p, cx)
}

/// The `RETURNING` row of the row in the writer's slot, if the statement has a `RETURNING`.
fn returned(p: &InsertPlan, cx: &mut Cx<'_>) -> Result<Option<Row>> {
    if p.returning.is_empty() {
        return Ok(None);
    }
    Ok(Some(p.returning.iter().map(|e| eval(e, cx)).collect::<Result<_>>()?))
}

/// Rowids and rows selected by a scan core, collected before anything changes.
fn collect_rows(scan: &Core, slot: usize, cx: &mut Cx<'_>) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    super::query::for_each_match(scan, cx, &mut |cx| {
        rows.push(cx.env[slot].clone());
        Ok(true)
    })?;
    Ok(rows)
}

/// The row that `assignments` make of the existing row `key` (loaded in the writer's slot),
/// with its new rowid after the columns (a `WITHOUT ROWID` row keeps NULL there).
fn new_row(
    w: &TableWriter,
    key: &RowKey,
    assignments: &[(usize, Expr)],
    cx: &mut Cx<'_>,
) -> Result<Row> {
    let t = &w.table;
    let ncols = t.columns.len();
    let mut new = cx.env[w.slot].clone();
    for (col, e) in assignments {
        new[*col] = eval(e, cx)?;
    }
    for (i, c) in t.columns.iter().enumerate() {
        new[i] = apply_affinity(std::mem::replace(&mut new[i], Value::Null), c.affinity);
    }
    let RowKey::Rowid(rowid) = *key else { return Ok(new) };
    let new_rowid_val =
        if let Some(a) = t.rowid_alias.filter(|a| assignments.iter().any(|(c, _)| c == a)) {
            new[a].clone()
        } else if assignments.iter().any(|(c, _)| *c == ncols) {
            new[ncols].clone()
        } else {
            Value::Integer(rowid)
        };
    let new_rowid = match apply_affinity(new_rowid_val, Affinity::Integer) {
        Value::Integer(i) => i,
        Value::Null => rowid,
        _ => return Err(Error::Sql("datatype mismatch".into())),
    };
    if let Some(a) = t.rowid_alias {
        new[a] = Value::Integer(new_rowid);
    }
    new[ncols] = Value::Integer(new_rowid);
    Ok(new)
}

/// Updates one existing row (already loaded in the writer's slot).
pub(super) fn update_one(
    w: &TableWriter,
    key: &RowKey,
    assignments: &[(usize, Expr)],
    conflict: Conflict,
    cx: &mut Cx<'_>,
) -> Result<bool> {
    let new = new_row(w, key, assignments, cx)?;
    if conflict == Conflict::Fail {
        // FAIL keeps the rows updated before an error, so the row must not be half-written
        // when it fails: check the new row while the old one is still stored.
        let old = std::mem::replace(&mut cx.env[w.slot], new);
        if !matches!(check_row(w, conflict, None, Some(key), cx)?, Outcome::Write) {
            return Ok(false);
        }
        let new = std::mem::replace(&mut cx.env[w.slot], old);
        delete_row(w, key, cx)?;
        cx.env[w.slot] = new;
        write_row(w, cx)?;
        return Ok(true);
    }
    // Remove the old entries first so the checks do not see the row itself.
    delete_row(w, key, cx)?;
    cx.env[w.slot] = new;
    match check_row(w, conflict, None, None, cx) {
        Ok(Outcome::Write) => {}
        // IGNORE: the caller undoes the partial change through its savepoint.
        Ok(_) => return Ok(false),
        Err(e) => return Err(e),
    }
    write_row(w, cx)?;
    Ok(true)
}

/// Runs an `UPDATE`.
pub fn run_update(p: &UpdatePlan, cx: &mut Cx<'_>) -> Result<Vec<Row>> {
    let out = update_rows(p, cx).map_err(|e| fail_keeps(e, p.conflict))?;
    if let Some(fk) = enforced(&p.w, cx) {
        fkey::finish(fk, cx)?;
    }
    vector_index::finish_writes(cx)?;
    Ok(out)
}

fn prepare_vectors(w: &TableWriter, cx: &mut Cx<'_>) -> Result<()> {
    if w.vectors.is_empty() {
        return Ok(());
    }
    let defs: Vec<_> = w.vectors.iter().map(|(d, _)| d.clone()).collect();
    vector_index::prepare_writes(cx, &defs)
}

fn update_rows(p: &UpdatePlan, cx: &mut Cx<'_>) -> Result<Vec<Row>> {
    prepare_vectors(&p.w, cx)?;
    let rows = collect_rows(&p.scan, p.w.slot, cx)?;
    let mut out = Vec::new();
    for row in rows {
        let Some(key) = row_key(&p.w.table, &row) else { continue };
        cx.env[p.w.slot].clone_from(&row);
        // A cascade or a trigger may have changed or deleted the row already, and so may a
        // REPLACE that moved another row to this primary key.
        let moved = p.w.table.without_rowid && p.conflict == Conflict::Replace;
        let mut row = if enforced(&p.w, cx).is_some() || p.w.triggers.is_some() || moved {
            if !load_row(&p.w, &key, p.w.slot, cx)? {
                continue;
            }
            cx.env[p.w.slot].clone()
        } else {
            row
        };
        if let Some(tp) = p.w.triggers.as_deref().filter(|tp| tp.has(Timing::Before)) {
            let new = new_row(&p.w, &key, &p.assignments, cx)?;
            if !trigger::fire(tp, Timing::Before, Some(&row), Some(&new), cx)?
                || !load_row(&p.w, &key, p.w.slot, cx)?
            {
                continue;
            }
            row = cx.env[p.w.slot].clone();
        }
        if p.conflict == Conflict::Ignore {
            // IGNORE must leave a row untouched when it would conflict: check on a copy first.
            let sp = cx.pager.savepoint()?;
            let ops = cx.vector_ops.len();
            match update_one(&p.w, &key, &p.assignments, Conflict::Ignore, cx) {
                Ok(true) => cx.pager.release_savepoint(sp),
                Ok(false) => {
                    cx.vector_ops.truncate(ops);
                    cx.pager.rollback_to_savepoint(sp)?;
                    cx.pager.release_savepoint(sp);
                    continue;
                }
                Err(e) => return Err(e),
            }
        } else if !update_one(&p.w, &key, &p.assignments, p.conflict, cx)? {
            continue;
        }
        if let Some(fk) = enforced(&p.w, cx) {
            fkey::after_update(fk, 0, &row, cx)?;
        }
        cx.changes += 1;
        if let Some(tp) = &p.w.triggers {
            let new = cx.env[p.w.slot].clone();
            trigger::fire(tp, Timing::After, Some(&row), Some(&new), cx)?;
        }
        if !p.returning.is_empty() {
            out.push(p.returning.iter().map(|e| eval(e, cx)).collect::<Result<_>>()?);
        }
    }
    Ok(out)
}

/// `INSERT OR FAIL` and `UPDATE OR FAIL`: a constraint error ends the statement but keeps the
/// rows it wrote before, as `RAISE(FAIL)` does (each row is checked before it is written, so
/// the failing row leaves nothing). Foreign keys are not conflict constraints: their errors
/// still undo the statement, as in SQLite.
fn fail_keeps(e: Error, conflict: Conflict) -> Error {
    match e {
        Error::Constraint(message)
            if conflict == Conflict::Fail && !message.starts_with("FOREIGN KEY") =>
        {
            Error::Raise { action: crate::error::RaiseAction::Fail, message }
        }
        e => e,
    }
}

/// Runs a `DELETE`.
pub fn run_delete(p: &DeletePlan, cx: &mut Cx<'_>) -> Result<Vec<Row>> {
    let out = delete_rows(p, cx)?;
    if let Some(fk) = enforced(&p.w, cx) {
        fkey::finish(fk, cx)?;
    }
    vector_index::finish_writes(cx)?;
    Ok(out)
}

fn delete_rows(p: &DeletePlan, cx: &mut Cx<'_>) -> Result<Vec<Row>> {
    prepare_vectors(&p.w, cx)?;
    let rows = collect_rows(&p.scan, p.w.slot, cx)?;
    let mut out = Vec::new();
    for row in rows {
        let Some(key) = row_key(&p.w.table, &row) else { continue };
        cx.env[p.w.slot] = row;
        // A cascade or a trigger may have deleted the row already.
        if (enforced(&p.w, cx).is_some() || p.w.triggers.is_some())
            && !load_row(&p.w, &key, p.w.slot, cx)?
        {
            continue;
        }
        if let Some(tp) = p.w.triggers.as_deref().filter(|tp| tp.has(Timing::Before)) {
            let old = cx.env[p.w.slot].clone();
            if !trigger::fire(tp, Timing::Before, Some(&old), None, cx)?
                || !load_row(&p.w, &key, p.w.slot, cx)?
            {
                continue;
            }
        }
        if !p.returning.is_empty() {
            out.push(p.returning.iter().map(|e| eval(e, cx)).collect::<Result<_>>()?);
        }
        if let Some(fk) = enforced(&p.w, cx) {
            fkey::before_delete(fk, 0, cx)?;
        }
        let old = cx.env[p.w.slot].clone();
        delete_row(&p.w, &key, cx)?;
        cx.changes += 1;
        if let Some(tp) = &p.w.triggers {
            trigger::fire(tp, Timing::After, Some(&old), None, cx)?;
        }
    }
    Ok(out)
}

/// Runs a statement of a trigger body: its foreign keys are checked when it ends, against its
/// own plan (the firing statement's queued checks wait meanwhile).
fn run_nested(
    w: &TableWriter,
    cx: &mut Cx<'_>,
    run: impl FnOnce(&mut Cx<'_>) -> Result<Vec<Row>>,
) -> Result<()> {
    let outer = std::mem::take(&mut cx.fk);
    let r = run(cx).and_then(|_| match enforced(w, cx) {
        Some(fk) => fkey::finish(fk, cx),
        None => Ok(()),
    });
    cx.fk = outer;
    r
}

/// Runs an `INSERT` of a trigger body.
pub(super) fn run_nested_insert(p: &InsertPlan, cx: &mut Cx<'_>) -> Result<()> {
    run_nested(&p.w, cx, |cx| insert_rows(p, cx))
}

/// Runs an `UPDATE` of a trigger body.
pub(super) fn run_nested_update(p: &UpdatePlan, cx: &mut Cx<'_>) -> Result<()> {
    run_nested(&p.w, cx, |cx| update_rows(p, cx))
}

/// Runs a `DELETE` of a trigger body.
pub(super) fn run_nested_delete(p: &DeletePlan, cx: &mut Cx<'_>) -> Result<()> {
    run_nested(&p.w, cx, |cx| delete_rows(p, cx))
}
