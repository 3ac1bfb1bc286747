//! Access paths and join order: how each table of a `FROM` finds its rows, and in which order
//! the nested loops run.
//!
//! Without statistics the cost model is SQLite's default one in spirit: every table is assumed
//! to hold [`ASSUMED_ROWS`] rows, a rowid or unique-index seek yields one row, a non-unique
//! equality seek yields [`EQ_SEEK_ROWS`], a rowid range a quarter of the table, and a condition
//! checked on each row keeps a fixed share of them. The join order is chosen greedily (the next
//! loop is the one that adds the fewest rows, then costs least), once from each possible first
//! table; the order written in the query is kept unless another is clearly cheaper, so queries
//! without `ORDER BY` keep their natural row order whenever reordering gains nothing.

use std::collections::HashSet;
use std::sync::Arc;

use super::catalog::{Catalog, Index, Table};
use super::coerce::Affinity;
use super::plan::{Access, CmpOp, Expr, IndexRange, RangeBound, Source, SourceKind};
use crate::storage::record::Collation;

/// Rows assumed in a table or subquery whose size is unknown.
const ASSUMED_ROWS: f64 = 1e6;
/// Rows assumed per key of an equality seek on a non-unique index (or a partial key).
const EQ_SEEK_ROWS: f64 = 10.0;
/// Share of rows an `=` condition keeps when it is checked on each row.
const EQ_KEEPS: f64 = 0.1;
/// Share of rows any other condition keeps.
const OTHER_KEEPS: f64 = 0.5;
/// Another join order replaces the written one only if it is estimated this much cheaper.
const REORDER_GAIN: f64 = 4.0;

/// The slots an expression reads, subqueries included (see `bind::expr_slots`).
pub(super) type SlotsOf<'a> = dyn Fn(&Expr) -> HashSet<usize> + 'a;

/// The best access path for the table source `slot` of `table`, from the conditions `cands`
/// that apply to it, where `ready` says whether an expression can be evaluated before the
/// source's loop starts (it reads only earlier loops, outer queries or nothing). Also returns
/// the positions in `cands` of the conditions that the path enforces exactly (rowid bounds and
/// the equality keys of an index seek), which need no check on the rows it finds.
pub(super) fn choose_access(
    cat: &Catalog,
    table: &Table,
    slot: usize,
    cands: &[Expr],
    ready: &dyn Fn(&Expr) -> bool,
) -> (Access, Vec<usize>) {
    let rowid_col = table.columns.len();
    let is_rowid = |c: usize| c == rowid_col || Some(c) == table.rowid_alias;
    // Equality conditions on columns: the column, the other side, the comparison's collation and
    // affinity, and the position of the condition.
    let mut eq_cols: Vec<(usize, Expr, Collation, Option<Affinity>, usize)> = Vec::new();
    let mut ranges: Vec<ColRange> = Vec::new();
    let mut rowid_eq = None;
    // Rowid bounds, each with the position of the condition it came from.
    let mut lo: Option<((Expr, bool), usize)> = None;
    let mut hi: Option<((Expr, bool), usize)> = None;
    for (ci, c) in cands.iter().enumerate() {
        if let Expr::Between { e, lo: blo, hi: bhi, negated: false, coll, aff } = c {
            let Expr::Col(s, col) = e.as_ref() else { continue };
            if *s != slot || !ready(blo) || !ready(bhi) {
                continue;
            }
            if is_rowid(*col) {
                lo = Some(((blo.as_ref().clone(), true), ci));
                hi = Some(((bhi.as_ref().clone(), true), ci));
            } else {
                for (op, b) in [(CmpOp::Ge, blo), (CmpOp::Le, bhi)] {
                    ranges.push(ColRange {
                        col: *col,
                        op,
                        bound: b.as_ref().clone(),
                        coll: *coll,
                        aff: *aff,
                    });
                }
            }
            continue;
        }
        let Expr::Cmp { op, l, r, coll, aff } = c else { continue };
        let (col, other, op) = match (l.as_ref(), r.as_ref()) {
            (Expr::Col(s, col), o) if *s == slot && ready(o) => (*col, o.clone(), *op),
            (o, Expr::Col(s, col)) if *s == slot && ready(o) => (*col, o.clone(), flip(*op)),
            _ => continue,
        };
        if is_rowid(col) {
            match op {
                CmpOp::Eq => rowid_eq = Some((other, ci)),
                CmpOp::Gt => lo = Some(((other, false), ci)),
                CmpOp::Ge => lo = Some(((other, true), ci)),
                CmpOp::Lt => hi = Some(((other, false), ci)),
                CmpOp::Le => hi = Some(((other, true), ci)),
                CmpOp::Ne => {}
            }
        } else if op == CmpOp::Eq {
            eq_cols.push((col, other, *coll, *aff, ci));
        } else if op != CmpOp::Ne {
            ranges.push(ColRange { col, op, bound: other, coll: *coll, aff: *aff });
        }
    }
    if let Some((e, ci)) = rowid_eq {
        return (Access::RowidEq(e), vec![ci]);
    }
    // The index with the most equality keys, then a range on the next column.
    let mut best: Option<(usize, IndexChoice, Vec<usize>)> = None;
    for idx in cat.indexes_of(&table.name) {
        if idx.predicate.is_some() {
            continue;
        }
        let (mut keys, mut key_conds) = (Vec::new(), Vec::new());
        for ic in &idx.columns {
            let Some(c) = ic.column else { break };
            let Some((_, e, _, aff, ci)) = eq_cols.iter().find(|(col, _, coll, aff, _)| {
                *col == c && *coll == ic.collation && index_order_holds(table, c, *aff)
            }) else {
                break;
            };
            keys.push((e.clone(), aff.unwrap_or(Affinity::Blob)));
            key_conds.push(*ci);
        }
        let range = idx.columns.get(keys.len()).and_then(|ic| {
            let c = ic.column?;
            let mut r = IndexRange { lo: None, hi: None };
            for cr in ranges.iter().filter(|cr| {
                cr.col == c && cr.coll == ic.collation && index_order_holds(table, c, cr.aff)
            }) {
                let bound = RangeBound {
                    value: cr.bound.clone(),
                    inclusive: matches!(cr.op, CmpOp::Ge | CmpOp::Le),
                    aff: cr.aff,
                };
                match cr.op {
                    CmpOp::Gt | CmpOp::Ge if r.lo.is_none() => r.lo = Some(bound),
                    CmpOp::Lt | CmpOp::Le if r.hi.is_none() => r.hi = Some(bound),
                    _ => {}
                }
            }
            (r.lo.is_some() || r.hi.is_some()).then_some(r)
        });
        // A range alone does not beat a rowid range, which needs no table lookups.
        if keys.is_empty() && (range.is_none() || lo.is_some() || hi.is_some()) {
            continue;
        }
        let score = 2 * keys.len() + usize::from(range.is_some());
        // A WITHOUT ROWID table's primary key holds the rows: no lookup follows its seek.
        let own_rows = idx.primary_key && table.without_rowid;
        if best.as_ref().is_none_or(|(s, _, _)| score > *s || score == *s && own_rows) {
            best = Some((score, (idx.clone(), keys, range), key_conds));
        }
    }
    if let Some((_, (index, keys, range), key_conds)) = best {
        // The seek finds exactly the entries equal to its keys under the conditions' collations
        // and affinities; the range conditions stay, as they also drop NULLs at an open end.
        let access = Access::IndexSeek { index, keys, range, covering: false, reverse: false };
        return (access, key_conds);
    }
    if lo.is_none() && hi.is_none() {
        return (Access::Scan, Vec::new());
    }
    let consumed = lo.iter().chain(hi.iter()).map(|(_, ci)| *ci).collect::<HashSet<_>>();
    let (lo, hi) = (lo.map(|(b, _)| b), hi.map(|(b, _)| b));
    (Access::RowidRange { lo, hi, reverse: false }, consumed.into_iter().collect())
}

/// A range condition on a column: `col op bound`.
struct ColRange {
    col: usize,
    op: CmpOp,
    bound: Expr,
    coll: Collation,
    aff: Option<Affinity>,
}

/// An index, the equality keys that seek it and the range on its next column.
type IndexChoice = (Arc<Index>, Vec<(Expr, Affinity)>, Option<IndexRange>);

/// Whether a comparison under the affinity `aff` orders the values of column `c` as its index
/// stores them: true when the comparison converts nothing, or converts the column's values
/// into what its own affinity already made them.
fn index_order_holds(table: &Table, c: usize, aff: Option<Affinity>) -> bool {
    match aff {
        None | Some(Affinity::Blob) => true,
        Some(Affinity::Text) => table.columns[c].affinity == Affinity::Text,
        Some(_) => matches!(
            table.columns[c].affinity,
            Affinity::Integer | Affinity::Real | Affinity::Numeric
        ),
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}

/// Reorders the inner-joined sources at the front of `sources` (up to the first left join,
/// correlated source or table-valued function, which keep their places) when another order is
/// clearly cheaper than the written one. `conds` are the `WHERE` and inner `ON` conditions.
pub(super) fn order_sources(
    cat: &Catalog,
    sources: &mut Vec<Source>,
    conds: &[Expr],
    slots_of: &SlotsOf<'_>,
) {
    let movable = sources
        .iter()
        .position(|s| {
            s.left_join
                || s.correlated
                || !matches!(s.kind, SourceKind::Table(_) | SourceKind::Select(_))
        })
        .unwrap_or(sources.len());
    if movable < 2 {
        return;
    }
    let conds: Vec<(&Expr, HashSet<usize>)> = conds.iter().map(|c| (c, slots_of(c))).collect();
    let own: HashSet<usize> = sources.iter().map(|s| s.slot).collect();
    let model = Model { cat, sources: &sources[..movable], conds: &conds, own: &own, slots_of };
    let written: Vec<usize> = (0..movable).collect();
    let written_cost = model.cost(&written);
    let mut best: Option<(f64, Vec<usize>)> = None;
    for first in 0..movable {
        let order = model.greedy(first);
        let cost = model.cost(&order);
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, order));
        }
    }
    let Some((cost, order)) = best else { return };
    if cost * REORDER_GAIN >= written_cost || order == written {
        return;
    }
    let mut taken: Vec<Option<Source>> = sources.drain(..movable).map(Some).collect();
    let front: Vec<Source> =
        order.iter().map(|&i| taken[i].take().expect("each source placed once")).collect();
    sources.splice(0..0, front);
}

/// The cost model of one core's movable sources.
struct Model<'a> {
    cat: &'a Catalog,
    sources: &'a [Source],
    conds: &'a [(&'a Expr, HashSet<usize>)],
    /// Slots of all the core's sources (slots outside it are outer rows, always ready).
    own: &'a HashSet<usize>,
    slots_of: &'a SlotsOf<'a>,
}

impl Model<'_> {
    /// `(cost per outer row, rows per outer row)` of looping over source `i` after the sources
    /// whose slots are `placed`.
    fn step(&self, i: usize, placed: &HashSet<usize>) -> (f64, f64) {
        let src = &self.sources[i];
        let ready = |e: &Expr| {
            (self.slots_of)(e).iter().all(|s| !self.own.contains(s) || placed.contains(s))
        };
        let here: Vec<&Expr> = self
            .conds
            .iter()
            .filter(|(_, slots)| {
                slots.contains(&src.slot)
                    && slots
                        .iter()
                        .all(|s| *s == src.slot || !self.own.contains(s) || placed.contains(s))
            })
            .map(|(c, _)| *c)
            .collect();
        let (cost, mut rows, used) = match &src.kind {
            SourceKind::Table(table) => {
                let cands: Vec<Expr> = here.iter().map(|c| (*c).clone()).collect();
                match choose_access(self.cat, table, src.slot, &cands, &ready).0 {
                    Access::RowidEq(_) => (1.0, 1.0, 1),
                    Access::IndexSeek { index, keys, range, .. } => {
                        let mut rows = if keys.is_empty() {
                            ASSUMED_ROWS
                        } else if index.unique && keys.len() == index.columns.len() {
                            1.0
                        } else {
                            EQ_SEEK_ROWS
                        };
                        let mut used = keys.len();
                        if let Some(r) = &range {
                            rows /= 4.0;
                            used += usize::from(r.lo.is_some()) + usize::from(r.hi.is_some());
                        }
                        (rows + 1.0, rows, used)
                    }
                    Access::RowidRange { lo, hi, .. } => {
                        let used = usize::from(lo.is_some()) + usize::from(hi.is_some());
                        (ASSUMED_ROWS / 4.0, ASSUMED_ROWS / 4.0, used)
                    }
                    _ => (ASSUMED_ROWS, ASSUMED_ROWS, 0),
                }
            }
            _ => (ASSUMED_ROWS, ASSUMED_ROWS, 0),
        };
        // The conditions not used by the access path filter the rows it finds.
        let mut eqs = here.iter().filter(|c| matches!(c, Expr::Cmp { op: CmpOp::Eq, .. })).count();
        let mut others = here.len() - eqs;
        let mut used = used;
        while used > 0 && eqs > 0 {
            eqs -= 1;
            used -= 1;
        }
        others = others.saturating_sub(used);
        for _ in 0..eqs {
            rows *= EQ_KEEPS;
        }
        for _ in 0..others {
            rows *= OTHER_KEEPS;
        }
        (cost, rows.max(1e-3))
    }

    /// Estimated cost of running the loops in `order`.
    fn cost(&self, order: &[usize]) -> f64 {
        let mut placed = HashSet::new();
        let mut rows = 1.0;
        let mut total = 0.0;
        for &i in order {
            let (cost, fanout) = self.step(i, &placed);
            total += rows * cost;
            rows *= fanout;
            placed.insert(self.sources[i].slot);
        }
        total
    }

    /// A greedy order starting with source `first`: each next loop is the one that adds the
    /// fewest rows (then costs least, then comes first in the query).
    fn greedy(&self, first: usize) -> Vec<usize> {
        let n = self.sources.len();
        let mut order = vec![first];
        let mut placed: HashSet<usize> = HashSet::from([self.sources[first].slot]);
        while order.len() < n {
            let mut pick: Option<(f64, f64, usize)> = None;
            for i in (0..n).filter(|i| !order.contains(i)) {
                let (cost, rows) = self.step(i, &placed);
                if pick.is_none_or(|(r, c, _)| rows.total_cmp(&r).then(cost.total_cmp(&c)).is_lt())
                {
                    pick = Some((rows, cost, i));
                }
            }
            let (_, _, i) = pick.expect("an unplaced source remains");
            order.push(i);
            placed.insert(self.sources[i].slot);
        }
        order
    }
}
