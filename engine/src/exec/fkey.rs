//! Foreign keys (SQLite's `fkey.c`), enforced when `PRAGMA foreign_keys = ON`.
//!
//! A statement that writes a table linked by foreign keys carries an [`FkPlan`]: a writer for
//! every table of the linked group (each with its own slot), the parent each constraint points
//! at, and how a parent key is found (the rowid, or a unique index on exactly the parent
//! columns). While the statement runs:
//!
//! - a written child row whose key is not NULL is queued for a parent check;
//! - deleting a parent row, or changing its key, applies the constraint's action to the child
//!   rows at once (`CASCADE`, `SET NULL`, `SET DEFAULT`, `RESTRICT`) or, for `NO ACTION`, queues
//!   the old key;
//! - at the end of the statement every queued check runs against the final state: a child key
//!   without a parent, or an old parent key that is gone while children still use it, fails the
//!   statement with `FOREIGN KEY constraint failed` (its changes are undone by the statement
//!   savepoint). As in SQLite, constraints are checked at the end of each statement (deferred
//!   constraints are checked the same way).

use std::cmp::Ordering;
use std::collections::VecDeque;
use std::sync::Arc;

use super::dml::{self, RowKey, TableWriter};
use super::query::{keyed_row, table_row, Row};
use super::Cx;
use crate::error::{Error, Result};
use crate::sql::bind::Binder;
use crate::sql::catalog::{Catalog, FkAction, ForeignKey, Index, Table};
use crate::sql::coerce::{apply_affinity, Affinity};
use crate::sql::plan::Expr;
use crate::storage::btree::{Cursor, TreeKind};
use crate::storage::record::{compare_values, Collation};
use crate::storage::Value;

/// Most nested cascades one statement may cause (a cycle of `CASCADE` constraints over rows
/// that keep changing would otherwise never end).
const MAX_CASCADE_DEPTH: usize = 1000;

/// How rows of a parent table are found by a foreign key's parent columns.
#[derive(Debug, Clone)]
enum Lookup {
    /// The parent key is the rowid (an `INTEGER PRIMARY KEY`).
    Rowid,
    /// A unique index on exactly the parent columns; `order[i]` is the foreign-key column
    /// position of the index's `i`-th column.
    Index { index: Arc<Index>, order: Vec<usize> },
}

/// One foreign key of a table in the plan.
#[derive(Debug, Clone)]
struct Link {
    fk: ForeignKey,
    /// The parent table's position in [`FkPlan::tables`], its key columns (in foreign-key
    /// order) and how they are looked up; `None`: the parent is missing or has no unique key
    /// on those columns (a "foreign key mismatch", an error once enforced).
    parent: Option<(usize, Vec<usize>, Lookup)>,
}

/// A table of the linked group.
#[derive(Debug, Clone)]
struct FkTable {
    w: TableWriter,
    /// Its own foreign keys (as the child).
    outgoing: Vec<Link>,
    /// The foreign keys that point at it: `(child table, index into its outgoing)`.
    incoming: Vec<(usize, usize)>,
}

/// The foreign keys a statement on one table may have to enforce; `tables[0]` is the
/// statement's own table.
#[derive(Debug, Clone)]
pub struct FkPlan {
    tables: Vec<FkTable>,
}

/// A check queued until the end of the statement.
#[derive(Debug)]
enum Pending {
    /// A child row of `table` (by its foreign key `link`) with this key needs a parent.
    Child { table: usize, link: usize, key: Vec<Value> },
    /// A parent key used by `table`'s foreign key `link` went away: children must not use it.
    Parent { table: usize, link: usize, key: Vec<Value> },
}

/// The queue of one statement's checks.
#[derive(Debug, Default)]
pub struct FkState {
    pending: Vec<Pending>,
}

fn mismatch(child: &Table, fk: &ForeignKey) -> Error {
    Error::Sql(format!("foreign key mismatch - \"{}\" referencing \"{}\"", child.name, fk.parent))
}

fn failed() -> Error {
    Error::Constraint("FOREIGN KEY constraint failed".into())
}

/// The plan for a statement writing `w`'s table, or `None` when no foreign key involves it.
pub fn bind(b: &mut Binder<'_>, cat: &Catalog, w: &TableWriter) -> Result<Option<FkPlan>> {
    let linked = |t: &Table| {
        !t.foreign_keys.is_empty()
            || cat
                .tables
                .values()
                .any(|c| c.foreign_keys.iter().any(|fk| fk.parent.eq_ignore_ascii_case(&t.name)))
    };
    if !linked(&w.table) {
        return Ok(None);
    }
    // The linked group: every table reachable through foreign keys in either direction.
    let mut names: Vec<String> = vec![w.table.name.to_ascii_lowercase()];
    let mut queue: VecDeque<Arc<Table>> = VecDeque::from([w.table.clone()]);
    let mut tables: Vec<Arc<Table>> = Vec::new();
    while let Some(t) = queue.pop_front() {
        let mut reach: Vec<Arc<Table>> = Vec::new();
        for fk in &t.foreign_keys {
            if let Some(p) = cat.table(&fk.parent) {
                reach.push(p.clone());
            }
        }
        for c in cat.tables.values() {
            if c.foreign_keys.iter().any(|fk| fk.parent.eq_ignore_ascii_case(&t.name)) {
                reach.push(c.clone());
            }
        }
        for r in reach {
            let n = r.name.to_ascii_lowercase();
            if !names.contains(&n) {
                names.push(n);
                queue.push_back(r);
            }
        }
        tables.push(t);
    }
    let mut out: Vec<FkTable> = Vec::with_capacity(tables.len());
    for (i, t) in tables.iter().enumerate() {
        let tw = if i == 0 {
            w.clone()
        } else {
            let slot = b.alloc_slot();
            b.push_table_scope(t, &t.name, slot);
            let tw = dml::writer(b, cat, t.clone(), slot);
            b.pop_scope();
            tw?
        };
        out.push(FkTable { w: tw, outgoing: Vec::new(), incoming: Vec::new() });
    }
    for ci in 0..tables.len() {
        for fk in &tables[ci].foreign_keys {
            let parent = names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(&fk.parent))
                .and_then(|pi| resolve(cat, &tables[pi], fk).map(|(cols, l)| (pi, cols, l)));
            out[ci].outgoing.push(Link { fk: fk.clone(), parent });
        }
    }
    for ci in 0..out.len() {
        for li in 0..out[ci].outgoing.len() {
            if let Some((pi, ..)) = &out[ci].outgoing[li].parent {
                let pi = *pi;
                out[pi].incoming.push((ci, li));
            } else if let Some(pi) =
                names.iter().position(|n| n.eq_ignore_ascii_case(&out[ci].outgoing[li].fk.parent))
            {
                // A mismatched key still makes the parent's writes fail once enforced.
                out[pi].incoming.push((ci, li));
            }
        }
    }
    Ok(Some(FkPlan { tables: out }))
}

/// The parent columns of `fk` in `parent` and how to look them up, if they are the rowid or
/// carry a unique index (with the parent's collations).
fn resolve(cat: &Catalog, parent: &Table, fk: &ForeignKey) -> Option<(Vec<usize>, Lookup)> {
    let cols: Vec<usize> = if fk.parent_columns.is_empty() {
        if let Some(a) = parent.rowid_alias {
            vec![a]
        } else {
            parent
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.primary_key)
                .map(|(i, _)| i)
                .collect()
        }
    } else {
        fk.parent_columns.iter().map(|n| parent.column_index(n)).collect::<Option<Vec<_>>>()?
    };
    if cols.is_empty() || cols.len() != fk.columns.len() {
        return None;
    }
    if cols.len() == 1 && Some(cols[0]) == parent.rowid_alias {
        return Some((cols, Lookup::Rowid));
    }
    for index in cat.indexes_of(&parent.name) {
        if !index.unique || index.predicate.is_some() || index.columns.len() != cols.len() {
            continue;
        }
        let order: Option<Vec<usize>> = index
            .columns
            .iter()
            .map(|ic| {
                let c = ic.column?;
                (ic.collation == parent.columns[c].collation)
                    .then(|| cols.iter().position(|&k| k == c))
                    .flatten()
            })
            .collect();
        if let Some(order) = order {
            return Some((cols, Lookup::Index { index, order }));
        }
    }
    None
}

impl FkPlan {
    fn table(&self, t: usize) -> &FkTable {
        &self.tables[t]
    }

    /// The key of `link` (a foreign key of table `t`) in `row`: `None` if a column is NULL.
    fn child_key(&self, t: usize, link: usize, row: &Row) -> Option<Vec<Value>> {
        let cols = &self.table(t).outgoing[link].fk.columns;
        let key: Vec<Value> = cols.iter().map(|&c| row[c].clone()).collect();
        (!key.iter().any(|v| matches!(v, Value::Null))).then_some(key)
    }

    /// The parent table, key columns and lookup of `link`, or the mismatch error.
    fn parent_of(&self, t: usize, link: usize) -> Result<(usize, &[usize], &Lookup)> {
        let l = &self.table(t).outgoing[link];
        match &l.parent {
            Some((pi, cols, lookup)) => Ok((*pi, cols, lookup)),
            None => Err(mismatch(&self.table(t).w.table, &l.fk)),
        }
    }

    /// Whether the parent of `link` has a row with `key`.
    fn parent_exists(&self, t: usize, link: usize, key: &[Value], cx: &mut Cx<'_>) -> Result<bool> {
        let (pi, cols, lookup) = self.parent_of(t, link)?;
        let parent = &self.table(pi).w.table;
        match lookup {
            Lookup::Rowid => {
                let Value::Integer(rowid) = apply_affinity(key[0].clone(), Affinity::Integer)
                else {
                    return Ok(false);
                };
                Cursor::new(parent.root, TreeKind::Table).seek_rowid(cx.pager, rowid)
            }
            Lookup::Index { index, order } => {
                let vals: Vec<Value> = order
                    .iter()
                    .map(|&k| apply_affinity(key[k].clone(), parent.columns[cols[k]].affinity))
                    .collect();
                Ok(!dml::index_rows(parent, index, &vals, true, cx)?.is_empty())
            }
        }
    }

    /// The rows of child table `t` whose `link` key equals `key` (compared as the parent's
    /// columns compare).
    fn children(
        &self,
        t: usize,
        link: usize,
        key: &[Value],
        cx: &mut Cx<'_>,
    ) -> Result<Vec<RowKey>> {
        let (pi, pcols, _) = self.parent_of(t, link)?;
        let parent = &self.table(pi).w.table;
        let child = &self.table(t).w.table;
        let cols = &self.table(t).outgoing[link].fk.columns;
        let colls: Vec<Collation> = pcols.iter().map(|&c| parent.columns[c].collation).collect();
        // An index whose leading columns are the child columns finds them by a seek.
        for index in cx_indexes(&self.table(t).w) {
            if index.predicate.is_some() || index.columns.len() < cols.len() {
                continue;
            }
            let matches = index
                .columns
                .iter()
                .zip(cols)
                .zip(&colls)
                .all(|((ic, &c), &coll)| ic.column == Some(c) && ic.collation == coll);
            if matches {
                let vals: Vec<Value> = cols
                    .iter()
                    .zip(key)
                    .map(|(&c, v)| apply_affinity(v.clone(), child.columns[c].affinity))
                    .collect();
                return dml::index_rows(child, &index, &vals, false, cx);
            }
        }
        let mut out = Vec::new();
        let kind = if child.without_rowid { TreeKind::Index } else { TreeKind::Table };
        let mut cur = Cursor::new(child.root, kind);
        let mut ok = cur.first(cx.pager)?;
        while ok {
            let row = if child.without_rowid {
                keyed_row(&cur.payload(cx.pager)?, child)?
            } else {
                let rowid = cur.rowid(cx.pager)?;
                table_row(&cur.payload(cx.pager)?, rowid, child)?
            };
            let same = cols.iter().zip(key).zip(&colls).all(|((&c, k), &coll)| {
                let v = apply_affinity(row[c].clone(), parent_affinity(parent, pcols, cols, c));
                !matches!(v, Value::Null)
                    && compare_values(v.as_ref(), k.as_ref(), coll) == Ordering::Equal
            });
            if same {
                out.extend(dml::row_key(child, &row));
            }
            ok = cur.next(cx.pager)?;
        }
        Ok(out)
    }
}

/// The affinity of the parent column that child column `c` refers to.
fn parent_affinity(parent: &Table, pcols: &[usize], cols: &[usize], c: usize) -> Affinity {
    cols.iter().position(|&k| k == c).map_or(Affinity::Blob, |i| parent.columns[pcols[i]].affinity)
}

fn cx_indexes(w: &TableWriter) -> Vec<Arc<Index>> {
    w.indexes.iter().map(|ip| ip.index.clone()).collect()
}

/// After a row of table `t` was written (inserted, or updated from `old`): queues the parent
/// checks of its changed, non-NULL foreign keys.
pub fn after_write(plan: &FkPlan, t: usize, old: Option<&Row>, cx: &mut Cx<'_>) -> Result<()> {
    let tab = plan.table(t);
    let new = cx.env[tab.w.slot].clone();
    for link in 0..tab.outgoing.len() {
        let Some(key) = plan.child_key(t, link, &new) else { continue };
        if old.is_some_and(|o| plan.child_key(t, link, o).as_ref() == Some(&key)) {
            continue;
        }
        plan.parent_of(t, link)?;
        cx.fk.pending.push(Pending::Child { table: t, link, key });
    }
    Ok(())
}

/// Before the row of table `t` in its slot is deleted: applies the `ON DELETE` actions of the
/// foreign keys that point at it.
pub fn before_delete(plan: &FkPlan, t: usize, cx: &mut Cx<'_>) -> Result<()> {
    let old = cx.env[plan.table(t).w.slot].clone();
    parent_changes(plan, t, &old, None, 0, cx)
}

/// After the row of table `t` changed from `old` to the row in its slot: queues the checks of
/// its own foreign keys and applies the `ON UPDATE` actions of those that point at it.
pub fn after_update(plan: &FkPlan, t: usize, old: &Row, cx: &mut Cx<'_>) -> Result<()> {
    after_update_at(plan, t, old, 0, cx)
}

fn after_update_at(
    plan: &FkPlan,
    t: usize,
    old: &Row,
    depth: usize,
    cx: &mut Cx<'_>,
) -> Result<()> {
    after_write(plan, t, Some(old), cx)?;
    let new = cx.env[plan.table(t).w.slot].clone();
    parent_changes(plan, t, old, Some(&new), depth, cx)
}

/// The parent row `old` of table `t` is deleted (`new` is `None`) or becomes `new`: the actions
/// of the foreign keys that point at it whose parent key changes.
fn parent_changes(
    plan: &FkPlan,
    t: usize,
    old: &Row,
    new: Option<&Row>,
    depth: usize,
    cx: &mut Cx<'_>,
) -> Result<()> {
    if depth > MAX_CASCADE_DEPTH {
        return Err(Error::Sql("too many levels of foreign key cascades".into()));
    }
    for &(c, link) in &plan.table(t).incoming {
        let (_, pcols, _) = plan.parent_of(c, link)?;
        let old_key: Vec<Value> = pcols.iter().map(|&p| old[p].clone()).collect();
        if old_key.iter().any(|v| matches!(v, Value::Null)) {
            continue;
        }
        let new_key: Option<Vec<Value>> =
            new.map(|n| pcols.iter().map(|&p| n[p].clone()).collect());
        if new_key.as_ref().is_some_and(|k| k == &old_key) {
            continue;
        }
        let fk = &plan.table(c).outgoing[link].fk;
        let action = if new.is_some() { fk.on_update } else { fk.on_delete };
        match action {
            FkAction::NoAction => {
                cx.fk.pending.push(Pending::Parent { table: c, link, key: old_key });
            }
            FkAction::Restrict => {
                if !plan.children(c, link, &old_key, cx)?.is_empty() {
                    return Err(failed());
                }
            }
            FkAction::Cascade if new.is_none() => {
                for key in plan.children(c, link, &old_key, cx)? {
                    cascade_delete(plan, c, &key, depth + 1, cx)?;
                }
            }
            FkAction::Cascade | FkAction::SetNull | FkAction::SetDefault => {
                let cw = &plan.table(c).w;
                let values: Vec<Expr> = fk
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, &col)| match action {
                        FkAction::Cascade => {
                            Expr::Lit(new_key.as_ref().expect("an update")[i].clone())
                        }
                        FkAction::SetDefault => {
                            cw.defaults[col].clone().unwrap_or(Expr::Lit(Value::Null))
                        }
                        _ => Expr::Lit(Value::Null),
                    })
                    .collect();
                let assignments: Vec<(usize, Expr)> =
                    fk.columns.iter().copied().zip(values).collect();
                for key in plan.children(c, link, &old_key, cx)? {
                    cascade_update(plan, c, &key, &assignments, depth + 1, cx)?;
                }
            }
        }
    }
    Ok(())
}

/// Loads row `key` of table `t` into its slot; `None` if it is gone.
fn load(plan: &FkPlan, t: usize, key: &RowKey, cx: &mut Cx<'_>) -> Result<Option<Row>> {
    let w = &plan.table(t).w;
    if !dml::load_row(w, key, w.slot, cx)? {
        return Ok(None);
    }
    Ok(Some(cx.env[w.slot].clone()))
}

fn cascade_delete(
    plan: &FkPlan,
    t: usize,
    key: &RowKey,
    depth: usize,
    cx: &mut Cx<'_>,
) -> Result<()> {
    let saved = cx.env[plan.table(t).w.slot].clone();
    if let Some(old) = load(plan, t, key, cx)? {
        parent_changes(plan, t, &old, None, depth, cx)?;
        cx.env[plan.table(t).w.slot].clone_from(&old);
        dml::delete_row(&plan.table(t).w, key, cx)?;
    }
    cx.env[plan.table(t).w.slot] = saved;
    Ok(())
}

fn cascade_update(
    plan: &FkPlan,
    t: usize,
    key: &RowKey,
    assignments: &[(usize, Expr)],
    depth: usize,
    cx: &mut Cx<'_>,
) -> Result<()> {
    let saved = cx.env[plan.table(t).w.slot].clone();
    if let Some(old) = load(plan, t, key, cx)? {
        dml::update_one(&plan.table(t).w, key, assignments, dml::Conflict::Abort, cx)?;
        after_update_at(plan, t, &old, depth, cx)?;
    }
    cx.env[plan.table(t).w.slot] = saved;
    Ok(())
}

/// At the end of the statement: runs the queued checks against the final state.
pub fn finish(plan: &FkPlan, cx: &mut Cx<'_>) -> Result<()> {
    let pending = std::mem::take(&mut cx.fk.pending);
    for p in pending {
        match p {
            Pending::Child { table, link, key } => {
                if !plan.parent_exists(table, link, &key, cx)? {
                    return Err(failed());
                }
            }
            Pending::Parent { table, link, key } => {
                if !plan.parent_exists(table, link, &key, cx)?
                    && !plan.children(table, link, &key, cx)?.is_empty()
                {
                    return Err(failed());
                }
            }
        }
    }
    Ok(())
}
