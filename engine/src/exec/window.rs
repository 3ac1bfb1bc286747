//! Window functions (`f(...) OVER (...)`): computed after a select core has made its rows (after
//! grouping and `HAVING`) and before its output, `DISTINCT`, `ORDER BY` and `LIMIT`.
//!
//! Each row of the core is kept as the environment its output reads (the rows of its sources,
//! and its aggregate results and group key when grouped), with each window call's inputs — the
//! partition and order keys, the arguments, the filter — evaluated beside it. For every call the
//! rows are sorted by partition and order keys (a stable sort: peers keep the order the core made
//! them in), the call's values are computed partition by partition, and at the end the output is
//! evaluated with the values in the core's `win_slot`. Rows come out in the order of the last
//! call's sort, as they do from `SQLite`, whose last window pass is the outermost.
//!
//! # Frames
//!
//! For row `i` of a partition of `m` rows (in sort order) a frame is the index range `[s, e)`:
//! `ROWS` bounds count rows; `RANGE` bounds (without offsets) stand for the first or last peer
//! of the current row, so with no window `ORDER BY` the default frame is the whole partition.
//! Aggregates step the frame's rows into a running state and read it with
//! [`Aggregate::value`]. While the frame's start stays put (`UNBOUNDED PRECEDING`, as in the
//! default frame) each row steps only the rows its frame adds, so such frames cost O(m) per
//! partition; a frame whose start moves is stepped afresh for each row (O(m · frame)). Rows with
//! the same frame (peers under `RANGE`) share one value.

use std::cmp::Ordering;
use std::collections::HashSet;

use super::eval::{eval, eval_true};
use super::query::{cmp_order, for_each_group, row_key, scan, Row};
use super::Cx;
use crate::error::{Error, Result};
use crate::functions::{self, Aggregate};
use crate::sql::coerce;
use crate::sql::plan::{Core, FrameBound, WinCall, WinFunc};
use crate::storage::Value;

/// One row's inputs to one window call.
#[derive(Debug)]
struct Input {
    /// Partition keys, then order keys.
    keys: Vec<Value>,
    /// Arguments.
    args: Vec<Value>,
    /// Whether the row passes the call's `FILTER` (aggregates step only such rows).
    pass: bool,
}

impl Input {
    fn eval(w: &WinCall, cx: &mut Cx<'_>) -> Result<Input> {
        let keys = w.keys.iter().map(|e| eval(e, cx)).collect::<Result<_>>()?;
        let args = w.args.iter().map(|e| eval(e, cx)).collect::<Result<_>>()?;
        let pass = match &w.filter {
            Some(f) => eval_true(f, cx)?,
            None => true,
        };
        Ok(Input { keys, args, pass })
    }
}

/// Runs a core that has window calls: its rows, then the window values, then its output.
pub(super) fn run_windowed(core: &Core, cx: &mut Cx<'_>, pass: bool) -> Result<Vec<Row>> {
    let mut slots = core.slots.clone();
    if core.aggregate {
        slots.push(core.agg_slot);
        slots.push(core.group_slot);
    }
    let mut envs: Vec<Vec<Row>> = Vec::new();
    let mut inputs: Vec<Vec<Input>> = core.windows.iter().map(|_| Vec::new()).collect();
    let mut collect = |cx: &mut Cx<'_>| -> Result<()> {
        envs.push(slots.iter().map(|&s| cx.env[s].clone()).collect());
        for (w, ins) in core.windows.iter().zip(&mut inputs) {
            ins.push(Input::eval(w, cx)?);
        }
        Ok(())
    };
    if core.aggregate {
        for_each_group(core, cx, pass, &mut collect)?;
    } else if pass {
        scan(core, 0, cx, &mut |cx| {
            collect(cx)?;
            Ok(true)
        })?;
    }
    let n = envs.len();
    let mut values: Vec<Row> = vec![Vec::with_capacity(core.windows.len()); n];
    let mut order: Vec<usize> = (0..n).collect();
    for (w, ins) in core.windows.iter().zip(&inputs) {
        let (sorted, vals) = window_values(w, ins, cx)?;
        for (row, v) in values.iter_mut().zip(vals) {
            row.push(v);
        }
        order = sorted;
    }
    let mut out = Vec::with_capacity(n);
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    for i in order {
        for (&slot, row) in slots.iter().zip(std::mem::take(&mut envs[i])) {
            cx.env[slot] = row;
        }
        cx.env[core.win_slot] = std::mem::take(&mut values[i]);
        let row: Row = core.output.iter().map(|e| eval(e, cx)).collect::<Result<_>>()?;
        if !core.distinct || seen.insert(row_key(&row, core.ncols)) {
            out.push(row);
        }
    }
    Ok(out)
}

/// A frame bound with its offset evaluated.
#[derive(Debug, Clone, Copy)]
enum Bound {
    /// `UNBOUNDED PRECEDING` as a start, `UNBOUNDED FOLLOWING` as an end.
    Unbounded,
    Preceding(usize),
    Current,
    Following(usize),
}

/// A call's frame with its offsets evaluated.
#[derive(Debug, Clone, Copy)]
struct Frame {
    rows: bool,
    start: Bound,
    end: Bound,
}

impl Frame {
    fn new(w: &WinCall, cx: &mut Cx<'_>) -> Result<Frame> {
        let mut bound = |b: &FrameBound, which: &str| -> Result<Bound> {
            Ok(match b {
                FrameBound::UnboundedPreceding | FrameBound::UnboundedFollowing => Bound::Unbounded,
                FrameBound::CurrentRow => Bound::Current,
                FrameBound::Preceding(e) => Bound::Preceding(frame_offset(&eval(e, cx)?, which)?),
                FrameBound::Following(e) => Bound::Following(frame_offset(&eval(e, cx)?, which)?),
            })
        };
        let start = bound(&w.frame.start, "starting")?;
        let end = bound(&w.frame.end, "ending")?;
        Ok(Frame { rows: w.frame.rows, start, end })
    }

    /// The frame `[s, e)` of row `i` of a partition of `m` rows, whose peer group is
    /// `[peer_start[i], peer_end[i])`; empty frames have `s == e`.
    fn bounds(
        &self,
        i: usize,
        m: usize,
        peer_start: &[usize],
        peer_end: &[usize],
    ) -> (usize, usize) {
        let s = match self.start {
            Bound::Unbounded => 0,
            Bound::Preceding(k) => i.saturating_sub(k),
            Bound::Current if self.rows => i,
            Bound::Current => peer_start[i],
            Bound::Following(k) => i.saturating_add(k).min(m),
        };
        let e = match self.end {
            Bound::Unbounded => m,
            Bound::Preceding(k) => (i + 1).saturating_sub(k),
            Bound::Current if self.rows => i + 1,
            Bound::Current => peer_end[i],
            Bound::Following(k) => i.saturating_add(k).saturating_add(1).min(m),
        };
        (s, e.max(s))
    }
}

/// A frame offset: a non-negative integer (an integral real or numeric text will do).
fn frame_offset(v: &Value, which: &str) -> Result<usize> {
    let n = match coerce::to_numeric(v) {
        Value::Integer(i) if i >= 0 => Some(i),
        Value::Real(r) if r >= 0.0 && r.fract() == 0.0 => Some(r as i64),
        _ => None,
    };
    n.map(|i| usize::try_from(i).unwrap_or(usize::MAX))
        .ok_or_else(|| Error::Sql(format!("frame {which} offset must be a non-negative integer")))
}

/// The row offset of `lag`/`lead`: `SQLite` adds it to the row number and seeks that row, so an
/// offset that is not an integer (after numeric conversion) finds no row.
fn row_offset(v: &Value) -> Option<i64> {
    match coerce::to_numeric(v) {
        Value::Integer(i) => Some(i),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.2e18 => Some(r as i64),
        _ => None,
    }
}

/// The `N` of `nth_value(x, N)`: a positive integer.
fn nth_index(v: &Value) -> Result<usize> {
    let n = match coerce::numeric_type(v) {
        Value::Integer(i) => Some(i),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.2e18 => Some(r as i64),
        _ => None,
    };
    match n {
        Some(n) if n > 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(Error::Sql("second argument to nth_value must be a positive integer".into())),
    }
}

/// Sorts the rows for one call and computes its value for each row. Returns the sorted row
/// numbers and the values by row number.
fn window_values(w: &WinCall, ins: &[Input], cx: &mut Cx<'_>) -> Result<(Vec<usize>, Vec<Value>)> {
    let frame = Frame::new(w, cx)?;
    let mut idx: Vec<usize> = (0..ins.len()).collect();
    idx.sort_by(|&a, &b| cmp_order(&w.order, &ins[a].keys, &ins[b].keys));
    let mut vals = vec![Value::Null; ins.len()];
    let parts = &w.order[..w.nparts];
    let mut start = 0;
    while start < idx.len() {
        let first = &ins[idx[start]].keys;
        let len = idx[start..]
            .iter()
            .position(|&r| cmp_order(parts, first, &ins[r].keys) != Ordering::Equal)
            .unwrap_or(idx.len() - start);
        partition_values(w, &frame, ins, &idx[start..start + len], &mut vals)?;
        start += len;
    }
    Ok((idx, vals))
}

/// Computes a call's values for the rows of one partition (`rows`, in sort order), into `vals`.
fn partition_values(
    w: &WinCall,
    frame: &Frame,
    ins: &[Input],
    rows: &[usize],
    vals: &mut [Value],
) -> Result<()> {
    let m = rows.len();
    // Peer groups: rows equal in the window's ORDER BY terms.
    let peers = &w.order[w.nparts..];
    let (mut peer_start, mut peer_end) = (vec![0; m], vec![0; m]);
    let mut g = 0;
    while g < m {
        let mut h = g + 1;
        while h < m && cmp_order(peers, &ins[rows[g]].keys, &ins[rows[h]].keys) == Ordering::Equal {
            h += 1;
        }
        peer_start[g..h].fill(g);
        peer_end[g..h].fill(h);
        g = h;
    }
    let arg0 = |i: usize| ins[rows[i]].args.first().cloned().unwrap_or(Value::Null);
    match &w.func {
        WinFunc::RowNumber => {
            for (i, &r) in rows.iter().enumerate() {
                vals[r] = Value::Integer(i as i64 + 1);
            }
        }
        WinFunc::Rank => {
            for (i, &r) in rows.iter().enumerate() {
                vals[r] = Value::Integer(peer_start[i] as i64 + 1);
            }
        }
        WinFunc::DenseRank => {
            let mut rank = 0;
            for (i, &r) in rows.iter().enumerate() {
                if peer_start[i] == i {
                    rank += 1;
                }
                vals[r] = Value::Integer(rank);
            }
        }
        WinFunc::PercentRank => {
            for (i, &r) in rows.iter().enumerate() {
                let p = if m > 1 { peer_start[i] as f64 / (m - 1) as f64 } else { 0.0 };
                vals[r] = Value::Real(p);
            }
        }
        WinFunc::CumeDist => {
            for (i, &r) in rows.iter().enumerate() {
                vals[r] = Value::Real(peer_end[i] as f64 / m as f64);
            }
        }
        WinFunc::Ntile => {
            // The bucket count comes from the partition's first row (`ntileStepFunc`); the
            // first `m % n` buckets hold one row more than the others.
            let n = coerce::to_integer(&arg0(0));
            if n <= 0 {
                return Err(Error::Sql("argument of ntile must be a positive integer".into()));
            }
            let total = m as i64;
            let size = total / n;
            let large = total - n * size;
            let small_start = large * (size + 1);
            for (i, &r) in rows.iter().enumerate() {
                let i = i as i64;
                let bucket = if size == 0 {
                    i + 1
                } else if i < small_start {
                    1 + i / (size + 1)
                } else {
                    1 + large + (i - small_start) / size
                };
                vals[r] = Value::Integer(bucket);
            }
        }
        WinFunc::Lag | WinFunc::Lead => {
            let lag = w.func == WinFunc::Lag;
            for (i, &r) in rows.iter().enumerate() {
                let cur = &ins[r];
                let off = match cur.args.get(1) {
                    None => Some(1),
                    Some(v) => row_offset(v),
                };
                let target = off.and_then(|o| {
                    if lag {
                        (i as i64).checked_sub(o)
                    } else {
                        (i as i64).checked_add(o)
                    }
                });
                vals[r] = match target.and_then(|t| usize::try_from(t).ok()) {
                    Some(t) if t < m => arg0(t),
                    _ => cur.args.get(2).cloned().unwrap_or(Value::Null),
                };
            }
        }
        WinFunc::FirstValue | WinFunc::LastValue | WinFunc::NthValue => {
            for (i, &r) in rows.iter().enumerate() {
                let (s, e) = frame.bounds(i, m, &peer_start, &peer_end);
                vals[r] = if s == e {
                    Value::Null
                } else {
                    let at = match w.func {
                        WinFunc::FirstValue => Some(s),
                        WinFunc::LastValue => Some(e - 1),
                        _ => {
                            let nth = nth_index(ins[r].args.get(1).unwrap_or(&Value::Null))?;
                            s.checked_add(nth - 1).filter(|&k| k < e)
                        }
                    };
                    at.map_or(Value::Null, arg0)
                };
            }
        }
        WinFunc::Agg(name) => {
            let fresh = || -> Result<Box<dyn Aggregate>> {
                functions::new_aggregate_with_collation(name, w.args.len(), w.coll)?
                    .ok_or_else(|| Error::Sql(format!("no such function: {name}")))
            };
            let mut state: Option<Box<dyn Aggregate>> = None;
            // The state holds the rows [st_s, st_e) of the partition.
            let (mut st_s, mut st_e) = (0, 0);
            let mut last: Option<(usize, usize, Value)> = None;
            for (i, &r) in rows.iter().enumerate() {
                let (s, e) = frame.bounds(i, m, &peer_start, &peer_end);
                if let Some((ls, le, v)) = &last {
                    if (*ls, *le) == (s, e) {
                        vals[r] = v.clone();
                        continue;
                    }
                }
                if state.is_none() || st_s != s || st_e > e {
                    state = Some(fresh()?);
                    (st_s, st_e) = (s, s);
                }
                let st = state.as_mut().expect("made above");
                for &row in &rows[st_e..e] {
                    if ins[row].pass {
                        st.step(&ins[row].args)?;
                    }
                }
                st_e = e;
                let v = st.value()?;
                vals[r] = v.clone();
                last = Some((s, e, v));
            }
        }
    }
    Ok(())
}
