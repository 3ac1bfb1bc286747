//! Running queries: nested-loop joins over table cursors, index and rowid seeks, grouping and
//! aggregates, compound selects, recursive CTEs, sorting and limits.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::rc::Rc;

use super::eval::{eval, eval_into, eval_true};
use super::Cx;
use crate::error::{Error, Result};
use crate::functions;
use crate::sql::coerce::{apply_affinity, apply_comparison_affinity, Affinity};
use crate::sql::plan::{
    Access, Body, CompoundOp, Core, Expr, OrderTerm, RangeBound, Select, Source, SourceKind,
};
use crate::storage::btree::{Cursor, LeafBatch, SeekOp, TreeKind};
use crate::storage::record::{
    self, compare_record_to_key, compare_values, decode_prefix, decode_record, encode_record,
    nth_field, Collation, KeyInfo, RecordView,
};
use crate::storage::{Value, ValueRef};
use crate::vector_index;

/// Reads the row at `cur` into `src`'s slot as the source reads it (reusing the slot's
/// buffer); returns its rowid.
fn load_row(
    cur: &Cursor,
    src: &Source,
    table: &crate::sql::catalog::Table,
    cx: &mut Cx<'_>,
) -> Result<i64> {
    let mut row = std::mem::take(&mut cx.env[src.slot]);
    let (rowid, payload) = cur.row(cx.pager)?;
    fill_row(&payload, rowid, table, src.width, &src.need, &mut row)?;
    cx.env[src.slot] = row;
    Ok(rowid)
}

/// Reads the entry at `cur` of a `WITHOUT ROWID` table's b-tree into `src`'s slot; `order` is
/// the table's [`record_columns`](crate::sql::catalog::Table::record_columns).
fn load_keyed_row(
    cur: &Cursor,
    src: &Source,
    table: &crate::sql::catalog::Table,
    order: &[usize],
    cx: &mut Cx<'_>,
) -> Result<()> {
    let mut row = std::mem::take(&mut cx.env[src.slot]);
    fill_keyed_row(&cur.payload(cx.pager)?, table, order, &mut row)?;
    cx.env[src.slot] = row;
    Ok(())
}

/// Calls `f` with every row of `table` in rowid order (primary key order for a `WITHOUT
/// ROWID` table, whose cursor `cur` is on its index b-tree).
fn scan_table(
    cur: &mut Cursor,
    src: &Source,
    table: &crate::sql::catalog::Table,
    cx: &mut Cx<'_>,
    f: &mut dyn FnMut(&mut Cx<'_>) -> Result<bool>,
) -> Result<bool> {
    let order = if table.without_rowid { table.record_columns() } else { Vec::new() };
    let mut ok = cur.first(cx.pager)?;
    while ok {
        if table.without_rowid {
            load_keyed_row(cur, src, table, &order, cx)?;
        } else {
            load_row(cur, src, table, cx)?;
        }
        if !f(cx)? {
            return Ok(false);
        }
        // The callback only reads (writes collect their rows first), so the cursor is still
        // valid.
        ok = cur.next(cx.pager)?;
    }
    Ok(true)
}

/// Calls `f` with the rows `rowids` of `table` in that order (skipping missing ones).
fn rows_by_rowid(
    rowids: impl Iterator<Item = i64>,
    src: &Source,
    table: &crate::sql::catalog::Table,
    cx: &mut Cx<'_>,
    f: &mut dyn FnMut(&mut Cx<'_>) -> Result<bool>,
) -> Result<bool> {
    let mut cur = Cursor::new(table.root, TreeKind::Table);
    for rowid in rowids {
        if cur.seek_rowid(cx.pager, rowid)? {
            load_row(&cur, src, table, cx)?;
            if !f(cx)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// An `f64` ordered by `total_cmp`, for heaps of distances.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TotalF64(f64);

impl Eq for TotalF64 {}

impl PartialOrd for TotalF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TotalF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A count argument of `vector_top_k`: a non-negative integer (`None` for NULL).
fn count_arg(v: Value, what: &str) -> Result<Option<usize>> {
    match v {
        Value::Null => Ok(None),
        Value::Integer(i) if i >= 0 => Ok(Some(i as usize)),
        other => Err(Error::Sql(format!(
            "vector_top_k: {what} must be a non-negative integer, got {other:?}"
        ))),
    }
}

/// A produced row.
pub type Row = Vec<Value>;

/// Runs a query and returns its visible rows; `max_rows` stops early when the caller needs
/// only that many (EXISTS, scalar subqueries).
pub fn run_select(sel: &Select, cx: &mut Cx<'_>, max_rows: Option<usize>) -> Result<Vec<Row>> {
    let limit = match &sel.limit {
        Some(e) => limit_value(&eval(e, cx)?, "LIMIT")?,
        None => None,
    };
    let offset = match &sel.offset {
        Some(e) => limit_value(&eval(e, cx)?, "OFFSET")?.unwrap_or(0),
        None => 0,
    };
    let mut want = limit.map(|l| l.saturating_add(offset));
    if let Some(m) = max_rows {
        want = Some(want.map_or(m + offset, |w| w.min(m + offset)));
    }
    let budget = if sel.order.is_empty() { want } else { None };
    let mut rows = match (&sel.body, want) {
        // ORDER BY ... LIMIT over one core: keep only the best rows while scanning.
        (Body::Core(core), Some(w))
            if !sel.order.is_empty()
                && !core.aggregate
                && !core.distinct
                && core.windows.is_empty() =>
        {
            run_core_top(core, cx, &sel.order, w)?
        }
        _ => run_body(&sel.body, cx, budget)?,
    };
    if !sel.order.is_empty() {
        let order = &sel.order;
        rows.sort_by(|a, b| cmp_order(order, a, b));
    }
    let rows: Vec<Row> = rows
        .into_iter()
        .skip(offset)
        .take(want.map_or(usize::MAX, |w| w.saturating_sub(offset)))
        .map(|mut r| {
            r.truncate(sel.ncols);
            r
        })
        .collect();
    Ok(rows)
}

fn limit_value(v: &Value, what: &str) -> Result<Option<usize>> {
    let n = match v {
        Value::Integer(i) => *i,
        Value::Real(r) if r.fract() == 0.0 => *r as i64,
        Value::Text(_) | Value::Blob(_) => match crate::sql::coerce::to_numeric(v) {
            Value::Integer(i) => i,
            _ => return Err(Error::Sql("datatype mismatch".into())),
        },
        Value::Null => i64::from(what != "LIMIT") - 1,
        Value::Real(_) => return Err(Error::Sql("datatype mismatch".into())),
    };
    Ok(if n < 0 {
        if what == "LIMIT" {
            None
        } else {
            Some(0)
        }
    } else {
        Some(n as usize)
    })
}

/// Compares two produced rows by the `ORDER BY` terms.
pub(super) fn cmp_order(order: &[OrderTerm], a: &[Value], b: &[Value]) -> Ordering {
    for t in order {
        let (x, y) = (&a[t.key], &b[t.key]);
        let o = match (matches!(x, Value::Null), matches!(y, Value::Null)) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if t.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if t.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = compare_values(x.as_ref(), y.as_ref(), t.coll);
                if t.desc {
                    o.reverse()
                } else {
                    o
                }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// The first `want` rows of a core in `order` (as a stable sort of all its rows would give), kept
/// while scanning: rows are gathered up to twice `want`, then sorted and cut back, and a row that
/// does not sort before the current `want`-th one is dropped at once. Only the sort keys are
/// computed for a row that is dropped.
fn run_core_top(
    core: &Core,
    cx: &mut Cx<'_>,
    order: &[OrderTerm],
    want: usize,
) -> Result<Vec<Row>> {
    for f in &core.pre_filters {
        if !eval_true(f, cx)? {
            return Ok(Vec::new());
        }
    }
    if want == 0 {
        return Ok(Vec::new());
    }
    let mut out: Vec<Row> = Vec::new();
    let mut cutoff: Option<Row> = None;
    let mut keys: Vec<Value> = vec![Value::Null; core.output.len()];
    scan(core, 0, cx, &mut |cx| {
        if let Some(c) = &cutoff {
            for t in order {
                keys[t.key] = eval(&core.output[t.key], cx)?;
            }
            if cmp_order(order, &keys, c) != Ordering::Less {
                return Ok(true);
            }
        }
        let mut row = Vec::with_capacity(core.output.len());
        for e in &core.output {
            row.push(eval(e, cx)?);
        }
        out.push(row);
        if out.len() >= want.saturating_mul(2).max(64) {
            out.sort_by(|a, b| cmp_order(order, a, b));
            out.truncate(want);
            cutoff = out.last().cloned();
        }
        Ok(true)
    })?;
    Ok(out)
}

/// Runs a query body (rows may carry hidden sort keys after the visible columns).
pub fn run_body(body: &Body, cx: &mut Cx<'_>, budget: Option<usize>) -> Result<Vec<Row>> {
    match body {
        Body::Core(core) => run_core(core, cx, budget),
        Body::Values(rows) => {
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let mut row = Vec::with_capacity(r.len());
                for e in r {
                    row.push(eval(e, cx)?);
                }
                out.push(row);
                if budget.is_some_and(|b| out.len() >= b) {
                    break;
                }
            }
            Ok(out)
        }
        Body::Compound(op, l, r) => {
            let left = run_body(l, cx, None)?;
            let right = run_body(r, cx, None)?;
            Ok(compound(*op, left, right))
        }
        Body::Recursive { init, step, slot, union_all } => {
            let mut out = Vec::new();
            recursive_rows((init, step), *slot, *union_all, cx, &mut |_, row| {
                out.push(row.clone());
                Ok(budget.is_none_or(|b| out.len() < b))
            })?;
            Ok(out)
        }
    }
}

/// The rows of a recursive CTE, each passed to `emit` as it is taken from the queue and before
/// the recursive step runs on it, so that a consumer that stops (`emit` returns false: an outer
/// `LIMIT` is reached) also stops a recursion that would not end by itself.
fn recursive_rows(
    (init, step): (&Body, &Body),
    slot: usize,
    union_all: bool,
    cx: &mut Cx<'_>,
    emit: &mut dyn FnMut(&mut Cx<'_>, &Row) -> Result<bool>,
) -> Result<bool> {
    let mut queue: VecDeque<Row> = run_body(init, cx, None)?.into();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut steps = 0u64;
    while let Some(row) = queue.pop_front() {
        if !union_all && !seen.insert(row_key(&row, row.len())) {
            continue;
        }
        if !emit(cx, &row)? {
            return Ok(false);
        }
        steps += 1;
        if steps > 100_000_000 {
            return Err(Error::Sql("recursive query ran too long".into()));
        }
        cx.env[slot] = row;
        let more = run_body(step, cx, None)?;
        queue.extend(more);
    }
    Ok(true)
}

/// A key for DISTINCT and grouping: integral reals become integers so that 1 and 1.0 meet.
pub(super) fn row_key(row: &[Value], n: usize) -> Vec<u8> {
    let vals: Vec<Value> = row[..n.min(row.len())].iter().map(normalize).collect();
    let mut out = Vec::new();
    encode_record(&vals, &mut out);
    out
}

fn normalize(v: &Value) -> Value {
    match v {
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.2e18 => Value::Integer(*r as i64),
        other => other.clone(),
    }
}

fn normalize_coll(v: &Value, coll: Collation) -> Value {
    match (v, coll) {
        (Value::Text(s), Collation::NoCase) => Value::Text(s.to_ascii_lowercase()),
        (Value::Text(s), Collation::Rtrim) => Value::Text(s.trim_end_matches(' ').to_string()),
        _ => normalize(v),
    }
}

fn cmp_rows(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = compare_values(x.as_ref(), y.as_ref(), Collation::Binary);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

fn compound(op: CompoundOp, left: Vec<Row>, right: Vec<Row>) -> Vec<Row> {
    if op == CompoundOp::UnionAll {
        let mut v = left;
        v.extend(right);
        return v;
    }
    let n = left.first().or(right.first()).map_or(0, Vec::len);
    let mut lset: Vec<Row> = left;
    lset.sort_by(|a, b| cmp_rows(a, b));
    lset.dedup_by(|a, b| cmp_rows(a, b) == Ordering::Equal);
    let mut rset: Vec<Row> = right;
    rset.sort_by(|a, b| cmp_rows(a, b));
    rset.dedup_by(|a, b| cmp_rows(a, b) == Ordering::Equal);
    let _ = n;
    let in_right = |r: &Row| rset.binary_search_by(|x| cmp_rows(x, r)).is_ok();
    match op {
        CompoundOp::Union => {
            let mut all = lset.clone();
            all.extend(rset.iter().cloned());
            all.sort_by(|a, b| cmp_rows(a, b));
            all.dedup_by(|a, b| cmp_rows(a, b) == Ordering::Equal);
            all
        }
        CompoundOp::Intersect => lset.iter().filter(|r| in_right(r)).cloned().collect(),
        CompoundOp::Except => lset.iter().filter(|r| !in_right(r)).cloned().collect(),
        CompoundOp::UnionAll => unreachable!("handled above"),
    }
}

struct Group {
    key: Vec<Value>,
    rep: Vec<Row>,
    states: Vec<Box<dyn functions::Aggregate>>,
    seen: Vec<HashSet<Vec<u8>>>,
}

fn new_states(core: &Core) -> Result<Vec<Box<dyn functions::Aggregate>>> {
    core.aggs
        .iter()
        .map(|a| {
            functions::new_aggregate(&a.name, a.args.len())?
                .ok_or_else(|| Error::Sql(format!("no such function: {}", a.name)))
        })
        .collect()
}

/// Runs one select core.
pub fn run_core(core: &Core, cx: &mut Cx<'_>, budget: Option<usize>) -> Result<Vec<Row>> {
    let mut pass = true;
    for f in &core.pre_filters {
        if !eval_true(f, cx)? {
            pass = false;
            break;
        }
    }
    if !core.windows.is_empty() {
        return super::window::run_windowed(core, cx, pass);
    }
    if core.aggregate {
        return run_aggregate(core, cx, pass);
    }
    let mut out = Vec::new();
    if !pass {
        return Ok(out);
    }
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    scan(core, 0, cx, &mut |cx| {
        let mut row = Vec::with_capacity(core.output.len());
        for e in &core.output {
            row.push(eval(e, cx)?);
        }
        if core.distinct && !seen.insert(row_key(&row, core.ncols)) {
            return Ok(true);
        }
        out.push(row);
        Ok(budget.is_none_or(|b| out.len() < b))
    })?;
    Ok(out)
}

fn run_aggregate(core: &Core, cx: &mut Cx<'_>, pass: bool) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    for_each_group(core, cx, pass, &mut |cx| {
        let mut row = Vec::with_capacity(core.output.len());
        for e in &core.output {
            row.push(eval(e, cx)?);
        }
        if !core.distinct || seen.insert(row_key(&row, core.ncols)) {
            out.push(row);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Groups the rows of an aggregate core (none when `pass` is false) and calls `f` for each group
/// that passes `HAVING`, in group key order, with the group's representative rows, aggregate
/// results and key in the environment.
pub(super) fn for_each_group(
    core: &Core,
    cx: &mut Cx<'_>,
    pass: bool,
    f: &mut dyn FnMut(&mut Cx<'_>) -> Result<()>,
) -> Result<()> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: rustc_hash::FxHashMap<Vec<u8>, usize> = rustc_hash::FxHashMap::default();
    // Buffers reused for every row: the group key, its normalised encoding, aggregate arguments.
    let (mut key, mut norm, mut enc, mut args) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    if pass {
        scan(core, 0, cx, &mut |cx| {
            // Without GROUP BY every row is in the one group.
            let gi = if core.group_by.is_empty() && !groups.is_empty() {
                0
            } else if let Some(&i) = {
                key.clear();
                for g in &core.group_by {
                    key.push(eval(g, cx)?);
                }
                norm.clear();
                norm.extend(key.iter().zip(&core.group_colls).map(|(v, c)| normalize_coll(v, *c)));
                enc.clear();
                encode_record(&norm, &mut enc);
                index.get(enc.as_slice())
            } {
                i
            } else {
                groups.push(Group {
                    key: key.clone(),
                    rep: Vec::new(),
                    states: new_states(core)?,
                    seen: vec![HashSet::new(); core.aggs.len()],
                });
                index.insert(enc.clone(), groups.len() - 1);
                groups.len() - 1
            };
            for (ai, a) in core.aggs.iter().enumerate() {
                if let Some(f) = &a.filter {
                    if !eval_true(f, cx)? {
                        continue;
                    }
                }
                args.clear();
                for e in &a.args {
                    args.push(eval(e, cx)?);
                }
                if a.distinct {
                    if args.first().is_some_and(|v| matches!(v, Value::Null)) {
                        continue;
                    }
                    let k = row_key(&args, args.len());
                    if !groups[gi].seen[ai].insert(k) {
                        continue;
                    }
                }
                groups[gi].states[ai].step(&args)?;
            }
            if core.bare_columns || groups[gi].rep.is_empty() {
                groups[gi].rep = core.slots.iter().map(|&s| cx.env[s].clone()).collect();
            }
            Ok(true)
        })?;
    }
    if groups.is_empty() && core.group_by.is_empty() {
        let rep = core.sources.iter().map(|s| vec![Value::Null; s.ncols + 1]).collect();
        groups.push(Group { key: Vec::new(), rep, states: new_states(core)?, seen: Vec::new() });
    }
    if !core.group_by.is_empty() {
        let colls = &core.group_colls;
        groups.sort_by(|a, b| {
            for ((x, y), c) in a.key.iter().zip(&b.key).zip(colls) {
                let o = compare_values(x.as_ref(), y.as_ref(), *c);
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
    }
    for mut g in groups {
        for (&slot, row) in core.slots.iter().zip(g.rep.drain(..)) {
            cx.env[slot] = row;
        }
        let mut aggs = Vec::with_capacity(g.states.len());
        for s in &mut g.states {
            aggs.push(s.finish()?);
        }
        cx.env[core.agg_slot] = aggs;
        cx.env[core.group_slot] = std::mem::take(&mut g.key);
        if let Some(h) = &core.having {
            if !eval_true(h, cx)? {
                continue;
            }
        }
        f(cx)?;
    }
    Ok(())
}

/// Calls `f` for every joined row of a core that passes its filters (no grouping or output).
pub fn for_each_match(
    core: &Core,
    cx: &mut Cx<'_>,
    f: &mut dyn FnMut(&mut Cx<'_>) -> Result<bool>,
) -> Result<()> {
    for p in &core.pre_filters {
        if !eval_true(p, cx)? {
            return Ok(());
        }
    }
    scan(core, 0, cx, f)?;
    Ok(())
}

/// The nested loop: sets the row of level `level` and recurses; `f` sees each joined row.
/// Returns false when `f` asked to stop.
pub(super) fn scan(
    core: &Core,
    level: usize,
    cx: &mut Cx<'_>,
    f: &mut dyn FnMut(&mut Cx<'_>) -> Result<bool>,
) -> Result<bool> {
    if level == core.sources.len() {
        return f(cx);
    }
    let src = &core.sources[level];
    let mut matched = false;
    let go_on = for_each_row(src, cx, &mut |cx| {
        for c in &src.on {
            if !eval_true(c, cx)? {
                return Ok(true);
            }
        }
        matched = true;
        for c in &core.filters[level] {
            if !eval_true(c, cx)? {
                return Ok(true);
            }
        }
        scan(core, level + 1, cx, f)
    })?;
    if !go_on {
        return Ok(false);
    }
    if src.left_join && !matched {
        cx.env[src.slot] = vec![Value::Null; src.ncols + 1];
        for c in &core.filters[level] {
            if !eval_true(c, cx)? {
                return Ok(true);
            }
        }
        return scan(core, level + 1, cx, f);
    }
    Ok(true)
}

/// Reads a table row into a vector: the record's columns (padded to the table's width, the
/// rowid alias filled in) followed by the rowid.
pub fn table_row(payload: &[u8], rowid: i64, table: &crate::sql::catalog::Table) -> Result<Row> {
    let mut row = decode_record(payload)?;
    let stored = row.len();
    for c in table.columns.iter().skip(stored) {
        row.push(c.default_value.clone());
    }
    row.truncate(table.columns.len());
    for (c, v) in row.iter_mut().enumerate().take(stored) {
        read_back_real(v, table, c);
    }
    if let Some(a) = table.rowid_alias {
        row[a] = Value::Integer(rowid);
    }
    row.push(Value::Integer(rowid));
    Ok(row)
}

/// [`table_row`] decoding only the columns the query reads: the first `width`, and of those the
/// ones `need` marks (all when `need` is empty); the others are NULL.
pub fn table_row_width(
    payload: &[u8],
    rowid: i64,
    table: &crate::sql::catalog::Table,
    width: usize,
    need: &[bool],
) -> Result<Row> {
    let mut row = Vec::with_capacity(table.columns.len() + 1);
    fill_row(payload, rowid, table, width, need, &mut row)?;
    Ok(row)
}

/// [`table_row_width`] into `row`, replacing what it held.
fn fill_row(
    payload: &[u8],
    rowid: i64,
    table: &crate::sql::catalog::Table,
    width: usize,
    need: &[bool],
    row: &mut Row,
) -> Result<()> {
    let ncols = table.columns.len();
    row.resize(ncols + 1, Value::Null);
    let width = width.min(ncols);
    let wanted = |i: usize| need.get(i) != Some(&false) && table.rowid_alias != Some(i);
    let stored = decode_prefix(payload, width, wanted, row)?;
    for (c, v) in row.iter_mut().enumerate().take(stored) {
        read_back_real(v, table, c);
    }
    for (i, c) in table.columns.iter().enumerate().take(width).skip(stored) {
        if wanted(i) {
            row[i] = c.default_value.clone();
        }
    }
    // What the query does not read is NULL (the rowid alias is set below).
    for (i, v) in row.iter_mut().enumerate().take(ncols) {
        if !matches!(v, Value::Null) && (i >= width || !wanted(i)) && table.rowid_alias != Some(i) {
            *v = Value::Null;
        }
    }
    if let Some(a) = table.rowid_alias {
        ValueRef::Integer(rowid).store_into(&mut row[a]);
    }
    ValueRef::Integer(rowid).store_into(&mut row[ncols]);
    Ok(())
}

/// Reads a row of a `WITHOUT ROWID` table from its b-tree entry: the columns in table order
/// (those a short record lacks take their defaults) followed by NULL, as the table has no rowid.
pub fn keyed_row(payload: &[u8], table: &crate::sql::catalog::Table) -> Result<Row> {
    let mut row = Vec::with_capacity(table.columns.len() + 1);
    fill_keyed_row(payload, table, &table.record_columns(), &mut row)?;
    Ok(row)
}

/// [`keyed_row`] into `row`; `order` is the table's
/// [`record_columns`](crate::sql::catalog::Table::record_columns).
fn fill_keyed_row(
    payload: &[u8],
    table: &crate::sql::catalog::Table,
    order: &[usize],
    row: &mut Row,
) -> Result<()> {
    let ncols = table.columns.len();
    row.clear();
    row.resize(ncols + 1, Value::Null);
    let view = RecordView::parse(payload)?;
    // Backwards, so that a column the key holds twice (under two collations) takes its first
    // field.
    for (i, &c) in order.iter().enumerate().rev() {
        row[c] = if i < view.len() {
            stored_value(view.get(i)?.to_owned(), table, c)
        } else {
            table.columns[c].default_value.clone()
        };
    }
    Ok(())
}

/// The value of column `c` of `table` read from a record field: SQLite stores a whole REAL as
/// an integer, which reads back as REAL.
fn stored_value(mut v: Value, table: &crate::sql::catalog::Table, c: usize) -> Value {
    read_back_real(&mut v, table, c);
    v
}

/// A whole REAL that `SQLite` stored as an integer in a REAL column reads back as REAL.
#[inline]
fn read_back_real(v: &mut Value, table: &crate::sql::catalog::Table, c: usize) {
    if let Value::Integer(i) = *v {
        if table.columns[c].affinity == Affinity::Real {
            *v = Value::Real(i as f64);
        }
    }
}

/// What an index entry leads to.
enum Hit {
    /// The row, already in the source's slot (a covering entry of a rowid table).
    Filled,
    /// The row itself (a covering entry, or a `WITHOUT ROWID` table's own entry).
    Row(Row),
    /// The row with this rowid.
    Rowid(i64),
    /// The row of a `WITHOUT ROWID` table with this primary key.
    Key(Vec<Value>),
}

/// What an entry `rec` (parsed: `view`) of `index` on a `WITHOUT ROWID` table leads to: the
/// row (from the table's own entry, or built from a covering entry with the primary key) or the
/// primary key to look up. `layout` holds the table's record columns and the entry's
/// [`pk_fields`](crate::sql::catalog::Table::pk_fields).
fn keyed_hit(
    rec: &[u8],
    view: &RecordView<'_>,
    table: &crate::sql::catalog::Table,
    index: &crate::sql::catalog::Index,
    (order, pk_at): (&[usize], &[usize]),
    covering: bool,
) -> Result<Hit> {
    let ncols = table.columns.len();
    if index.primary_key {
        let mut row = Vec::with_capacity(ncols + 1);
        fill_keyed_row(rec, table, order, &mut row)?;
        return Ok(Hit::Row(row));
    }
    let key =
        pk_at.iter().map(|&i| view.get(i).map(|v| v.to_owned())).collect::<Result<Vec<_>>>()?;
    if !covering {
        return Ok(Hit::Key(key));
    }
    let mut row = vec![Value::Null; ncols + 1];
    for (i, ic) in index.columns.iter().enumerate() {
        if let Some(c) = ic.column {
            row[c] = stored_value(view.get(i)?.to_owned(), table, c);
        }
    }
    for (p, v) in table.pk.iter().zip(key) {
        if let Some(c) = p.column {
            row[c] = stored_value(v, table, c);
        }
    }
    Ok(Hit::Row(row))
}

/// Converts a value to an exact rowid if it is one.
fn as_rowid(v: Value) -> Option<i64> {
    match apply_affinity(v, Affinity::Numeric) {
        Value::Integer(i) => Some(i),
        Value::Real(r)
            if r.fract() == 0.0
                && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r) =>
        {
            Some(r as i64)
        }
        _ => None,
    }
}

/// Calls `f` for each row of a source (with the row in its slot).
fn for_each_row(
    src: &Source,
    cx: &mut Cx<'_>,
    f: &mut dyn FnMut(&mut Cx<'_>) -> Result<bool>,
) -> Result<bool> {
    match &src.kind {
        SourceKind::Queue => f(cx),
        SourceKind::Select(sel) => {
            if let Body::Recursive { init, step, slot, union_all } = &sel.body {
                if !src.correlated
                    && !cx.materialized.contains_key(&src.slot)
                    && sel.order.is_empty()
                    && sel.limit.is_none()
                    && sel.offset.is_none()
                {
                    // Streamed, and kept for the next scan if it ran to its end.
                    let mut rows = Vec::new();
                    let done =
                        recursive_rows((init, step), *slot, *union_all, cx, &mut |cx, r| {
                            let mut row = r.clone();
                            row.truncate(sel.ncols);
                            rows.push(row.clone());
                            row.push(Value::Integer(rows.len() as i64));
                            cx.env[src.slot] = row;
                            f(cx)
                        })?;
                    if done {
                        cx.materialized.insert(src.slot, Rc::new(rows));
                    }
                    return Ok(done);
                }
            }
            let rows = if src.correlated {
                Rc::new(run_select(sel, cx, None)?)
            } else if let Some(r) = cx.materialized.get(&src.slot) {
                r.clone()
            } else {
                let r = Rc::new(run_select(sel, cx, None)?);
                cx.materialized.insert(src.slot, r.clone());
                r
            };
            for (i, r) in rows.iter().enumerate() {
                let mut row = r.clone();
                row.push(Value::Integer(i as i64 + 1));
                cx.env[src.slot] = row;
                if !f(cx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        SourceKind::JsonEach { args, recursive } => {
            let json = eval(&args[0], cx)?;
            let path = match args.get(1) {
                Some(p) => match eval(p, cx)? {
                    Value::Null => return Ok(true),
                    v => Some(crate::sql::coerce::to_text(&v).unwrap_or_default()),
                },
                None => None,
            };
            if matches!(json, Value::Null) {
                return Ok(true);
            }
            let rows = functions::json_each(&json, path.as_deref(), *recursive)?;
            for r in rows {
                let id = r.id;
                cx.env[src.slot] = vec![
                    r.key,
                    r.value,
                    Value::Text(r.type_.to_string()),
                    r.atom,
                    Value::Integer(r.id),
                    r.parent,
                    Value::Text(r.fullkey),
                    Value::Text(r.path),
                    json.clone(),
                    Value::Null,
                    Value::Integer(id),
                ];
                if !f(cx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        SourceKind::VectorTopK { def, args } => {
            let query = eval(&args[0], cx)?;
            let Some(k) = count_arg(eval(&args[1], cx)?, "k")? else { return Ok(true) };
            let search_l = match args.get(2) {
                Some(e) => count_arg(eval(e, cx)?, "the search width")?,
                None => None,
            };
            if k == 0 {
                return Ok(true);
            }
            let hits = vector_index::search::<rustc_hash::FxBuildHasher>(
                cx, def, &query, k, search_l, None,
            )?;
            for (id, distance) in hits {
                cx.env[src.slot] =
                    vec![Value::Integer(id), Value::Real(distance), Value::Integer(id)];
                if !f(cx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        SourceKind::Table(table) => {
            if cx.pager.db_size() == 0 {
                // A new, empty database: not even the schema table's page exists yet.
                return Ok(true);
            }
            let table = table.clone();
            if table.without_rowid && !matches!(src.access, Access::Scan | Access::IndexSeek { .. })
            {
                return Err(Error::Unsupported(format!(
                    "this access path to WITHOUT ROWID table {} is not supported",
                    table.name
                )));
            }
            let kind = if table.without_rowid { TreeKind::Index } else { TreeKind::Table };
            let mut cur = Cursor::new(table.root, kind);
            match &src.access {
                Access::Scan => scan_table(&mut cur, src, &table, cx, f),
                Access::RowidRange { lo, hi, reverse } => {
                    // The first and last rowids in range, as reals (None: unbounded).
                    let start = match lo {
                        Some((e, incl)) => match numeric_bound(eval(e, cx)?) {
                            Bound::Null | Bound::AboveAll => return Ok(true),
                            Bound::Num(x) => Some(if *incl { x.ceil() } else { x.floor() + 1.0 }),
                        },
                        None => None,
                    };
                    let end = match hi {
                        Some((e, incl)) => match numeric_bound(eval(e, cx)?) {
                            Bound::Null => return Ok(true),
                            Bound::Num(x) => Some(if *incl { x.floor() } else { x.ceil() - 1.0 }),
                            Bound::AboveAll => None,
                        },
                        None => None,
                    };
                    let mut ok = if *reverse {
                        match end {
                            Some(e) if e < -9.2e18 => false,
                            Some(e) if e <= 9.2e18 => {
                                cur.seek_rowid(cx.pager, e as i64)?;
                                if !cur.is_valid() {
                                    cur.last(cx.pager)?
                                } else if cur.rowid(cx.pager)? as f64 > e {
                                    cur.prev(cx.pager)?
                                } else {
                                    true
                                }
                            }
                            _ => cur.last(cx.pager)?,
                        }
                    } else {
                        match start {
                            Some(s) if s > 9.2e18 => false,
                            Some(s) if s >= -9.2e18 => {
                                cur.seek_rowid(cx.pager, s as i64)?;
                                cur.is_valid()
                            }
                            _ => cur.first(cx.pager)?,
                        }
                    };
                    while ok {
                        let r = load_row(&cur, src, &table, cx)? as f64;
                        if *reverse && start.is_some_and(|s| r < s)
                            || !*reverse && end.is_some_and(|e| r > e)
                        {
                            break;
                        }
                        if !f(cx)? {
                            return Ok(false);
                        }
                        ok = if *reverse { cur.prev(cx.pager)? } else { cur.next(cx.pager)? };
                    }
                    Ok(true)
                }
                Access::Vector { def, query, k, filter } => {
                    let query = eval(query, cx)?;
                    let k = match eval(k, cx)? {
                        Value::Integer(k) if k >= 0 => k as usize,
                        // No limit (negative): every row, in order — the exact answer.
                        _ => usize::MAX,
                    };
                    if matches!(query, Value::Null) || k == 0 {
                        return Ok(true);
                    }
                    let allowed = match filter {
                        None => None,
                        Some(plan) => {
                            let mut set = rustc_hash::FxHashSet::default();
                            let (slot, ncols) = (src.slot, table.columns.len());
                            for_each_match(plan, cx, &mut |cx| {
                                if let Value::Integer(rowid) = cx.env[slot][ncols] {
                                    set.insert(rowid);
                                }
                                Ok(true)
                            })?;
                            Some(set)
                        }
                    };
                    let hits = if k == usize::MAX {
                        None
                    } else {
                        Some(vector_index::search(cx, def, &query, k, None, allowed.as_ref())?)
                    };
                    let Some(hits) = hits else {
                        // Unlimited: a plain scan, sorted by the caller.
                        return scan_table(&mut cur, src, &table, cx, f);
                    };
                    rows_by_rowid(hits.into_iter().map(|(r, _)| r), src, &table, cx, f)
                }
                Access::ExactVector { column, func, query, k, row_first } => {
                    let query = eval(query, cx)?;
                    let k = match eval(k, cx)? {
                        Value::Integer(k) if k >= 0 => k as usize,
                        _ => usize::MAX,
                    };
                    let best = if k == 0 {
                        Vec::new()
                    } else {
                        let exact =
                            ExactScan { column: *column, func: *func, row_first: *row_first };
                        exact.nearest(&table, &query, k, cx)?
                    };
                    rows_by_rowid(best.into_iter(), src, &table, cx, f)
                }
                Access::RowidEq(e) => {
                    let Some(rowid) = as_rowid(eval(e, cx)?) else { return Ok(true) };
                    let mut st = SeekState::take(cx, src.slot, &table, None);
                    let found = st.table.seek_rowid(cx.pager, rowid)?;
                    if found {
                        load_row(&st.table, src, &table, cx)?;
                    }
                    st.keep(cx, src.slot);
                    if found {
                        f(cx)
                    } else {
                        Ok(true)
                    }
                }
                Access::IndexSeek { index, keys, range, covering, reverse } => {
                    let mut st = SeekState::take(cx, src.slot, &table, Some(index.root));
                    // The key reuses the buffers of the last seek's.
                    st.key.resize(keys.len(), Value::Null);
                    for ((e, aff), v) in keys.iter().zip(st.key.iter_mut()) {
                        eval_into(e, cx, v)?;
                        if matches!(v, Value::Null) {
                            st.keep(cx, src.slot);
                            return Ok(true);
                        }
                        *v = apply_comparison_affinity(
                            std::mem::replace(v, Value::Null),
                            Some(*aff),
                        );
                    }
                    let mut bound = |b: &Option<RangeBound>| -> Result<Option<Option<_>>> {
                        let Some(b) = b else { return Ok(Some(None)) };
                        Ok(match apply_comparison_affinity(eval(&b.value, cx)?, b.aff) {
                            // Nothing compares true with NULL.
                            Value::Null => None,
                            v => Some(Some((v, b.inclusive))),
                        })
                    };
                    // The bounds in index order: a DESC column holds the high values first.
                    let (lo, hi) = match range {
                        Some(r) => match (bound(&r.lo)?, bound(&r.hi)?) {
                            (Some(lo), Some(hi)) if index.columns[keys.len()].desc => (hi, lo),
                            (Some(lo), Some(hi)) => (lo, hi),
                            _ => {
                                st.keep(cx, src.slot);
                                return Ok(true);
                            }
                        },
                        None => (None, None),
                    };
                    let SeekState { table: tcur, index: icur, key } = &mut *st;
                    let (icur, info) = icur.get_or_insert_with(|| {
                        (Cursor::new(index.root, TreeKind::Index), index.key_info())
                    });
                    let more = index_seek(
                        (tcur, icur, info),
                        key,
                        (lo, hi),
                        (*covering, *reverse),
                        index,
                        src,
                        &table,
                        cx,
                        f,
                    );
                    st.keep(cx, src.slot);
                    more
                }
            }
        }
    }
}

/// Pages per batch of a parallel exact nearest-k scan (2 MiB of 4 KiB pages).
const SCAN_BATCH: usize = 512;

/// The k best `(distance, rowid)` pairs seen so far; ties go to the smaller rowid, so the
/// answer is the same whatever order the rows come in.
struct TopK {
    k: usize,
    heap: BinaryHeap<(TotalF64, i64)>,
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK { k, heap: BinaryHeap::new() }
    }

    fn push(&mut self, d: f64, rowid: i64) {
        let key = (TotalF64(d), rowid);
        if self.heap.len() < self.k {
            self.heap.push(key);
        } else if self.heap.peek().is_some_and(|top| key < *top) {
            self.heap.pop();
            self.heap.push(key);
        }
    }

    fn merge(&mut self, other: TopK) {
        for (d, rowid) in other.heap {
            self.push(d.0, rowid);
        }
    }
}

/// An exact nearest-k scan: `ORDER BY func(column, query) LIMIT k` over every row of a table,
/// computing only the distance of each row (see [`Access::ExactVector`]).
struct ExactScan {
    column: usize,
    func: (&'static str, functions::ScalarFn),
    row_first: bool,
}

impl ExactScan {
    /// The rowids of the `k` nearest rows, nearest first. With a `float32` query the leaf pages
    /// are read in batches, copied out of the pager while the worker threads compute the
    /// distances of the batch before; the rows they cannot do (a vector spilled to overflow
    /// pages, a NULL or another type) are done here afterwards, through the function itself.
    fn nearest(
        &self,
        table: &crate::sql::catalog::Table,
        query: &Value,
        k: usize,
        cx: &mut Cx<'_>,
    ) -> Result<Vec<i64>> {
        let mut best = TopK::new(k);
        let mut cur = Cursor::new(table.root, TreeKind::Table);
        let Some(prepared) = functions::vector::PreparedDistance::new(self.func.0, query) else {
            let mut ok = cur.first(cx.pager)?;
            while ok {
                let rowid = cur.rowid(cx.pager)?;
                let payload = cur.payload(cx.pager)?;
                let cell = nth_field(&payload, self.column)?.map(|c| c.to_owned());
                best.push(self.call(table, cell, query, cx)?, rowid);
                ok = cur.next(cx.pager)?;
            }
            return Ok(best.heap.into_sorted_vec().into_iter().map(|(_, r)| r).collect());
        };
        let leaves = crate::storage::btree::table_leaves(cx.pager, table.root)?;
        let usable = cx.pager.usable_size();
        let mut rest = Vec::new();
        let mut take = |part: Result<(TopK, Vec<i64>)>| -> Result<()> {
            let (top, slow) = part?;
            best.merge(top);
            rest.extend(slow);
            Ok(())
        };
        if let Some(pages) = cx.pager.cached_pages(&leaves) {
            // Every leaf is in the cache: two threads read them in place.
            let (a, b) = pages.split_at(pages.len().div_ceil(2));
            let (x, y) = rayon::join(
                || self.pages_nearest(a, usable, &prepared, k),
                || self.pages_nearest(b, usable, &prepared, k),
            );
            take(x)?;
            take(y)?;
        } else {
            // Batches copied out of the pager, each while the threads work on the one before.
            let mut batches = leaves.chunks(SCAN_BATCH);
            let mut batch =
                batches.next().map(|b| LeafBatch::load(cx.pager, b, Vec::new())).transpose()?;
            let mut spare = Vec::new();
            while let Some(b) = batch.take() {
                let pages = b.pages();
                let (a, c) = pages.split_at(pages.len().div_ceil(2));
                let (mut x, mut y) = (None, None);
                let buf = std::mem::take(&mut spare);
                let next = rayon::in_place_scope(|s| {
                    s.spawn(|_| x = Some(self.pages_nearest(a, usable, &prepared, k)));
                    s.spawn(|_| y = Some(self.pages_nearest(c, usable, &prepared, k)));
                    batches.next().map(|n| LeafBatch::load(cx.pager, n, buf)).transpose()
                });
                for part in [x, y].into_iter().flatten() {
                    take(part)?;
                }
                drop(pages);
                spare = b.into_buffer();
                batch = next?;
            }
        }
        for rowid in rest {
            if cur.seek_rowid(cx.pager, rowid)? {
                let payload = cur.payload(cx.pager)?;
                let cell = nth_field(&payload, self.column)?.map(|c| c.to_owned());
                best.push(self.call(table, cell, query, cx)?, rowid);
            }
        }
        Ok(best.heap.into_sorted_vec().into_iter().map(|(_, r)| r).collect())
    }

    /// The k nearest rows of table leaf `pages` whose vectors are `float32` blobs on their
    /// page, and the rowids of the others.
    fn pages_nearest(
        &self,
        pages: &[(crate::storage::PageNo, &[u8])],
        usable: usize,
        prepared: &functions::vector::PreparedDistance,
        k: usize,
    ) -> Result<(TopK, Vec<i64>)> {
        let (mut top, mut slow, mut scratch) = (TopK::new(k), Vec::new(), Vec::new());
        crate::storage::btree::for_each_leaf_cell(pages, usable, |rowid, payload| {
            let d = match payload.map(|p| nth_field(p, self.column)).transpose()?.flatten() {
                Some(ValueRef::Blob(b)) => prepared.distance(b, &mut scratch),
                _ => None,
            };
            match d {
                Some(d) => top.push(d, rowid),
                None => slow.push(rowid),
            }
            Ok(())
        })?;
        Ok((top, slow))
    }

    /// The distance of one row through the function (`cell` is `None` when the row predates
    /// the column, which then has its default value).
    fn call(
        &self,
        table: &crate::sql::catalog::Table,
        cell: Option<Value>,
        query: &Value,
        cx: &mut Cx<'_>,
    ) -> Result<f64> {
        let v = cell.unwrap_or_else(|| table.columns[self.column].default_value.clone());
        let args = if self.row_first { [v, query.clone()] } else { [query.clone(), v] };
        Ok(match (self.func.1)(cx.fnctx, &args)? {
            Value::Real(d) => d,
            Value::Integer(i) => i as f64,
            _ => f64::NEG_INFINITY,
        })
    }
}

/// What a seeking source keeps between its seeks within one statement: its cursors, so that a
/// seek landing in the leaf of the last one skips the descent (a join probing with keys in
/// order), the index's key description, and the buffers of the last key.
#[derive(Debug)]
pub struct SeekState {
    table: Cursor,
    index: Option<(Cursor, KeyInfo)>,
    key: Vec<Value>,
}

impl SeekState {
    /// The state kept for `slot`, or a new one when there is none for these b-trees (the
    /// table's and, for an index seek, the index's).
    fn take(
        cx: &mut Cx<'_>,
        slot: usize,
        table: &crate::sql::catalog::Table,
        index: Option<crate::storage::PageNo>,
    ) -> Box<SeekState> {
        match cx.seeks.get_mut(slot).and_then(Option::take) {
            Some(st)
                if st.table.root() == table.root
                    && st.index.as_ref().map(|(c, _)| c.root()) == index =>
            {
                st
            }
            _ => {
                let kind = if table.without_rowid { TreeKind::Index } else { TreeKind::Table };
                Box::new(SeekState {
                    table: Cursor::new(table.root, kind),
                    index: None,
                    key: Vec::new(),
                })
            }
        }
    }

    /// Keeps the state for the next seek of `slot`.
    fn keep(self: Box<Self>, cx: &mut Cx<'_>, slot: usize) {
        if cx.seeks.len() <= slot {
            cx.seeks.resize_with(slot + 1, || None);
        }
        cx.seeks[slot] = Some(self);
    }
}

/// One end of an index range: the value and whether it is included.
type KeyBound = (Value, bool);

/// The rows of an [`Access::IndexSeek`] through the table and index cursors: the index entries
/// that start with `key` and whose next column lies within `bounds` (in index order), read
/// forwards or, `reverse`, backwards.
#[allow(clippy::too_many_arguments)]
fn index_seek(
    (cur, icur, info): (&mut Cursor, &mut Cursor, &KeyInfo),
    key: &[Value],
    bounds: (Option<KeyBound>, Option<KeyBound>),
    (covering, reverse): (bool, bool),
    index: &crate::sql::catalog::Index,
    src: &Source,
    table: &crate::sql::catalog::Table,
    cx: &mut Cx<'_>,
    f: &mut dyn FnMut(&mut Cx<'_>) -> Result<bool>,
) -> Result<bool> {
    let (lo, hi) = bounds;
    // The key as references, on the stack for keys of up to 8 columns.
    let mut inline = [ValueRef::Null; 8];
    let spilled: Vec<ValueRef<'_>>;
    let prefix: &[ValueRef<'_>] = if key.len() <= inline.len() {
        for (r, k) in inline.iter_mut().zip(key) {
            *r = k.as_ref();
        }
        &inline[..key.len()]
    } else {
        spilled = key.iter().map(Value::as_ref).collect();
        &spilled
    };
    // Where the scan starts and the bound that ends it.
    let (start, stop) = if reverse { (&hi, &lo) } else { (&lo, &hi) };
    let op = |incl: bool| match (reverse, incl) {
        (false, true) => SeekOp::Ge,
        (false, false) => SeekOp::Gt,
        (true, true) => SeekOp::Le,
        (true, false) => SeekOp::Lt,
    };
    let stop = stop.as_ref().map(|(v, incl)| (probe(prefix, v), *incl));
    let mut ok = match start {
        Some((v, incl)) => icur.seek_key(cx.pager, &probe(prefix, v), info, op(*incl))?,
        None => icur.seek_key(cx.pager, prefix, info, op(true))?,
    };
    let ncols = table.columns.len();
    // The columns of the row that a covering seek fills: those of the index that the query
    // reads. The others are NULL.
    let fills = |c: usize| c < src.width && src.need.get(c) != Some(&false);
    if covering && !table.without_rowid {
        let row = &mut cx.env[src.slot];
        row.resize(ncols + 1, Value::Null);
        for (c, v) in row.iter_mut().enumerate().take(ncols) {
            if !(fills(c) && index.columns.iter().any(|ic| ic.column == Some(c))) {
                *v = Value::Null;
            }
        }
    }
    let (order, pk_at, pk_info) = if table.without_rowid {
        (table.record_columns(), table.pk_fields(index), table.pk_key_info())
    } else {
        (Vec::new(), Vec::new(), KeyInfo::default())
    };
    let nkeys = index.columns.len();
    while ok {
        let hit = {
            let rec = icur.payload(cx.pager)?;
            if compare_record_to_key(&rec, prefix, info)? != Ordering::Equal {
                break;
            }
            if let Some((p, incl)) = &stop {
                let o = compare_record_to_key(&rec, p, info)?;
                let past = if reverse { Ordering::Less } else { Ordering::Greater };
                if o == past || o == Ordering::Equal && !incl {
                    break;
                }
            }
            if table.without_rowid {
                let view = RecordView::parse(&rec)?;
                keyed_hit(&rec, &view, table, index, (&order, &pk_at), covering)?
            } else {
                // The entry's key columns, then the rowid.
                let mut fields = record::fields(&rec)?;
                if covering {
                    // The row from the index entry alone, reusing the slot's buffers.
                    let row = &mut cx.env[src.slot];
                    for ic in &index.columns {
                        let v = fields.next().transpose()?.unwrap_or(ValueRef::Null);
                        if let Some(c) = ic.column.filter(|&c| fills(c)) {
                            v.store_into(&mut row[c]);
                            read_back_real(&mut row[c], table, c);
                        }
                    }
                } else if nkeys > 0 {
                    fields.nth(nkeys - 1).transpose()?;
                }
                let Some(ValueRef::Integer(rowid)) = fields.next().transpose()? else {
                    return Err(Error::corrupt_file(format!(
                        "index {} entry without a rowid",
                        index.name
                    )));
                };
                if covering {
                    let row = &mut cx.env[src.slot];
                    if let Some(a) = table.rowid_alias {
                        ValueRef::Integer(rowid).store_into(&mut row[a]);
                    }
                    ValueRef::Integer(rowid).store_into(&mut row[ncols]);
                    Hit::Filled
                } else {
                    Hit::Rowid(rowid)
                }
            }
        };
        let found = match hit {
            Hit::Filled => true,
            Hit::Row(row) => {
                cx.env[src.slot] = row;
                true
            }
            Hit::Rowid(rowid) => {
                let found = cur.seek_rowid(cx.pager, rowid)?;
                if found {
                    load_row(cur, src, table, cx)?;
                }
                found
            }
            Hit::Key(key) => {
                let refs: Vec<ValueRef<'_>> = key.iter().map(Value::as_ref).collect();
                let found = cur.seek_key(cx.pager, &refs, &pk_info, SeekOp::Ge)?
                    && compare_record_to_key(&cur.payload(cx.pager)?, &refs, &pk_info)?
                        == Ordering::Equal;
                if found {
                    load_keyed_row(cur, src, table, &order, cx)?;
                }
                found
            }
        };
        // The callback only reads, so both cursors stay valid.
        if found && !f(cx)? {
            return Ok(false);
        }
        ok = if reverse { icur.prev(cx.pager)? } else { icur.next(cx.pager)? };
    }
    Ok(true)
}

/// An index key: `prefix` followed by `v`.
fn probe<'a>(prefix: &[ValueRef<'a>], v: &'a Value) -> Vec<ValueRef<'a>> {
    let mut key = prefix.to_vec();
    key.push(v.as_ref());
    key
}

enum Bound {
    Null,
    Num(f64),
    AboveAll,
}

/// Where a comparison bound on the rowid falls: numbers compare as numbers, text and blobs
/// sort above every number.
fn numeric_bound(v: Value) -> Bound {
    match apply_affinity(v, Affinity::Numeric) {
        Value::Null => Bound::Null,
        Value::Integer(i) => Bound::Num(i as f64),
        Value::Real(r) => Bound::Num(r),
        Value::Text(_) | Value::Blob(_) => Bound::AboveAll,
    }
}

/// Evaluates expressions into a row.
pub fn eval_row(exprs: &[Expr], cx: &mut Cx<'_>) -> Result<Row> {
    exprs.iter().map(|e| eval(e, cx)).collect()
}

/// The rows of `EXPLAIN QUERY PLAN` for a query: one per source, in loop order, in `SQLite`'s
/// wording (`SCAN t`, `SEARCH t USING INDEX i (a=?)`), plus `SCAN t USING VECTOR INDEX i` for
/// an `ORDER BY vector_distance_xxx(...) LIMIT k` answered by a vector index.
#[must_use]
pub fn explain(sel: &Select) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    explain_select(sel, 0, &mut rows);
    rows
}

/// A query's plan, ending with `USE TEMP B-TREE FOR ORDER BY` when its rows are sorted.
fn explain_select(sel: &Select, parent: i64, rows: &mut Vec<Vec<Value>>) {
    explain_body(&sel.body, parent, rows);
    if !sel.order.is_empty() {
        let id = rows.len() as i64 + 2;
        rows.push(vec![
            Value::Integer(id),
            Value::Integer(parent),
            Value::Integer(0),
            Value::Text("USE TEMP B-TREE FOR ORDER BY".into()),
        ]);
    }
}

/// How EXPLAIN QUERY PLAN shows a range on `col`: `col>? AND col<?` (inclusive or not).
fn bound_names(col: &str, lo: bool, hi: bool) -> String {
    match (lo, hi) {
        (true, true) => format!("{col}>? AND {col}<?"),
        (true, false) => format!("{col}>?"),
        _ => format!("{col}<?"),
    }
}

fn explain_body(body: &Body, parent: i64, rows: &mut Vec<Vec<Value>>) {
    let push = |rows: &mut Vec<Vec<Value>>, detail: String| {
        let id = rows.len() as i64 + 2;
        rows.push(vec![
            Value::Integer(id),
            Value::Integer(parent),
            Value::Integer(0),
            Value::Text(detail),
        ]);
        id
    };
    match body {
        Body::Core(core) => {
            for src in &core.sources {
                let detail = match &src.kind {
                    SourceKind::Table(t) => match &src.access {
                        Access::Scan | Access::RowidRange { lo: None, hi: None, .. } => {
                            format!("SCAN {}", t.name)
                        }
                        Access::RowidEq(_) => {
                            format!("SEARCH {} USING INTEGER PRIMARY KEY (rowid=?)", t.name)
                        }
                        Access::RowidRange { lo, hi, .. } => {
                            let bounds = bound_names("rowid", lo.is_some(), hi.is_some());
                            format!("SEARCH {} USING INTEGER PRIMARY KEY ({bounds})", t.name)
                        }
                        Access::IndexSeek { index, keys, range, covering, .. } => {
                            let name = |i: usize| {
                                index.columns[i].column.map_or_else(
                                    || "<expr>".to_string(),
                                    |c| t.columns[c].name.clone(),
                                )
                            };
                            let mut cols: Vec<String> =
                                (0..keys.len()).map(|i| format!("{}=?", name(i))).collect();
                            if let Some(r) = range {
                                let col = name(keys.len());
                                cols.push(bound_names(&col, r.lo.is_some(), r.hi.is_some()));
                            }
                            let kind = if *covering { "COVERING INDEX" } else { "INDEX" };
                            if index.primary_key && t.without_rowid {
                                // The table's own b-tree.
                                if cols.is_empty() {
                                    format!("SCAN {}", t.name)
                                } else {
                                    let cols = cols.join(" AND ");
                                    format!("SEARCH {} USING PRIMARY KEY ({cols})", t.name)
                                }
                            } else if cols.is_empty() {
                                format!("SCAN {} USING {kind} {}", t.name, index.name)
                            } else {
                                format!(
                                    "SEARCH {} USING {kind} {} ({})",
                                    t.name,
                                    index.name,
                                    cols.join(" AND ")
                                )
                            }
                        }
                        Access::ExactVector { .. } => {
                            format!("SCAN {} (exact nearest k by distance)", t.name)
                        }
                        Access::Vector { def, filter, .. } => {
                            let f = if filter.is_some() { " FILTERED" } else { "" };
                            format!(
                                "SCAN {} USING VECTOR INDEX {}{f} (nearest k)",
                                t.name, def.name
                            )
                        }
                    },
                    SourceKind::Select(sel) => {
                        let id = push(rows, "SUBQUERY".into());
                        explain_select(sel, id, rows);
                        continue;
                    }
                    SourceKind::Queue => "SCAN recursive queue".into(),
                    SourceKind::JsonEach { .. } => "SCAN json_each VIRTUAL TABLE".into(),
                    SourceKind::VectorTopK { def, .. } => {
                        format!("SCAN vector_top_k VIRTUAL TABLE (VECTOR INDEX {})", def.name)
                    }
                };
                push(rows, detail);
            }
        }
        Body::Values(_) => {
            push(rows, "SCAN CONSTANT ROW".into());
        }
        Body::Compound(_, a, b) => {
            let id = push(rows, "COMPOUND QUERY".into());
            explain_body(a, id, rows);
            explain_body(b, id, rows);
        }
        Body::Recursive { init, step, .. } => {
            let id = push(rows, "RECURSIVE CTE".into());
            explain_body(init, id, rows);
            explain_body(step, id, rows);
        }
    }
}
