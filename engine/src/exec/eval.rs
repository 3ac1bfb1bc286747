//! Expression evaluation with SQLite's semantics: three-valued logic, affinities applied to
//! comparisons, collations, lazy `CASE`/`coalesce`, subqueries (cached when uncorrelated).

use std::cmp::Ordering;
use std::rc::Rc;

use super::query::run_select;
use super::Cx;
use crate::error::{Error, Result};
use crate::sql::coerce::{
    self, apply_comparison_affinity, compare_sql, is_true, to_integer, to_text,
};
use crate::sql::plan::{BitOp, CmpOp, Expr};
use crate::storage::record::{compare_values, Collation};
use crate::storage::Value;

/// A cached subquery result.
#[derive(Debug)]
pub enum SubResult {
    /// A scalar subquery's value.
    Scalar(Value),
    /// `EXISTS`.
    Exists(bool),
    /// The values of an `IN (subquery)`, sorted, with whether a NULL was among them.
    Set { sorted: Vec<Value>, has_null: bool, coll: Collation },
}

fn bool_value(b: Option<bool>) -> Value {
    match b {
        Some(b) => Value::Integer(i64::from(b)),
        None => Value::Null,
    }
}

fn truth(v: &Value) -> Option<bool> {
    is_true(v)
}

/// Compares two values as an SQL comparison does: affinity applied, NULL → None.
fn compare(
    a: Value,
    b: Value,
    coll: Collation,
    aff: Option<crate::sql::coerce::Affinity>,
) -> Option<Ordering> {
    let (a, b) = (apply_comparison_affinity(a, aff), apply_comparison_affinity(b, aff));
    compare_sql(&a, &b, coll)
}

fn cmp_result(op: CmpOp, o: Option<Ordering>) -> Value {
    bool_value(o.map(|o| match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }))
}

fn bitop(op: BitOp, a: &Value, b: &Value) -> Value {
    if matches!(a, Value::Null) || matches!(b, Value::Null) {
        return Value::Null;
    }
    let (x, y) = (to_integer(&coerce::numeric_value(a)), to_integer(&coerce::numeric_value(b)));
    Value::Integer(match op {
        BitOp::And => x & y,
        BitOp::Or => x | y,
        BitOp::Shl => shift(x, y),
        BitOp::Shr => shift(x, y.checked_neg().unwrap_or(i64::MAX)),
    })
}

/// SQLite's `x << n` (a negative `n` shifts right, arithmetic).
fn shift(x: i64, n: i64) -> i64 {
    if n >= 64 {
        0
    } else if n >= 0 {
        ((x as u64) << n) as i64
    } else if n <= -64 {
        if x < 0 {
            -1
        } else {
            0
        }
    } else {
        x >> (-n)
    }
}

/// Evaluates `e` into `out`; a column's text or blob is copied into `out`'s buffer when `out`
/// holds one already, so that a value evaluated once per row does not allocate each time.
pub fn eval_into(e: &Expr, cx: &mut Cx<'_>, out: &mut Value) -> Result<()> {
    match e {
        Expr::Col(slot, col) => match (cx.env[*slot].get(*col), out) {
            (Some(Value::Text(s)), Value::Text(d)) => {
                d.clear();
                d.push_str(s);
            }
            (Some(Value::Blob(b)), Value::Blob(d)) => {
                d.clear();
                d.extend_from_slice(b);
            }
            (v, out) => *out = v.cloned().unwrap_or(Value::Null),
        },
        _ => *out = eval(e, cx)?,
    }
    Ok(())
}

/// Evaluates an expression against the current environment.
pub fn eval(e: &Expr, cx: &mut Cx<'_>) -> Result<Value> {
    Ok(match e {
        Expr::Lit(v) => v.clone(),
        Expr::Param(i) => cx.params.get(*i).cloned().unwrap_or(Value::Null),
        Expr::Col(slot, col) => cx.env[*slot].get(*col).cloned().unwrap_or(Value::Null),
        Expr::Neg(x) => match coerce::numeric_value(&eval(x, cx)?) {
            Value::Integer(i) => i.checked_neg().map_or(Value::Real(-(i as f64)), Value::Integer),
            Value::Real(r) => Value::Real(-r),
            _ => Value::Null,
        },
        Expr::Not(x) => bool_value(truth(&eval(x, cx)?).map(|b| !b)),
        Expr::BitNot(x) => match eval(x, cx)? {
            Value::Null => Value::Null,
            v => Value::Integer(!to_integer(&coerce::numeric_value(&v))),
        },
        Expr::Arith(op, a, b) => {
            let (a, b) = (eval(a, cx)?, eval(b, cx)?);
            coerce::arith(*op, &a, &b)
        }
        Expr::Concat(a, b) => {
            let (a, b) = (eval(a, cx)?, eval(b, cx)?);
            match (to_text(&a), to_text(&b)) {
                (Some(x), Some(y)) => Value::Text(x + &y),
                _ => Value::Null,
            }
        }
        Expr::Bit(op, a, b) => {
            let (a, b) = (eval(a, cx)?, eval(b, cx)?);
            bitop(*op, &a, &b)
        }
        Expr::Cmp { op, l, r, coll, aff } => {
            let (a, b) = (eval(l, cx)?, eval(r, cx)?);
            cmp_result(*op, compare(a, b, *coll, *aff))
        }
        Expr::Is { l, r, negated, coll, aff } => {
            let (a, b) = (eval(l, cx)?, eval(r, cx)?);
            let same = match (&a, &b) {
                (Value::Null, Value::Null) => true,
                (Value::Null, _) | (_, Value::Null) => false,
                _ => compare(a, b, *coll, *aff) == Some(Ordering::Equal),
            };
            Value::Integer(i64::from(same != *negated))
        }
        Expr::And(a, b) => {
            let x = truth(&eval(a, cx)?);
            if x == Some(false) {
                return Ok(Value::Integer(0));
            }
            let y = truth(&eval(b, cx)?);
            bool_value(match (x, y) {
                (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            })
        }
        Expr::Or(a, b) => {
            let x = truth(&eval(a, cx)?);
            if x == Some(true) {
                return Ok(Value::Integer(1));
            }
            let y = truth(&eval(b, cx)?);
            bool_value(match (x, y) {
                (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            })
        }
        Expr::IsNull(x, negated) => {
            Value::Integer(i64::from(matches!(eval(x, cx)?, Value::Null) != *negated))
        }
        Expr::Like { e, pat, esc, negated, glob } => {
            let (v, p) = (eval(e, cx)?, eval(pat, cx)?);
            let esc = match esc {
                Some(x) => match eval(x, cx)? {
                    Value::Null => return Ok(Value::Null),
                    v => {
                        let s = to_text(&v).unwrap_or_default();
                        let mut chars = s.chars();
                        match (chars.next(), chars.next()) {
                            (Some(c), None) => Some(c),
                            _ => {
                                return Err(Error::Sql(
                                    "ESCAPE expression must be a single character".into(),
                                ))
                            }
                        }
                    }
                },
                None => None,
            };
            match (to_text(&p), to_text(&v)) {
                (Some(p), Some(t)) => {
                    let m = if *glob { coerce::glob(&p, &t) } else { coerce::like(&p, &t, esc) };
                    Value::Integer(i64::from(m != *negated))
                }
                _ => Value::Null,
            }
        }
        Expr::Between { e, lo, hi, negated, coll, aff } => {
            let v = eval(e, cx)?;
            let (l, h) = (eval(lo, cx)?, eval(hi, cx)?);
            let ge = compare(v.clone(), l, *coll, *aff).map(|o| o != Ordering::Less);
            let le = compare(v, h, *coll, *aff).map(|o| o != Ordering::Greater);
            let r = match (ge, le) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
            bool_value(r.map(|b| b != *negated))
        }
        Expr::InList { e, list, negated, coll, aff } => {
            let v = eval(e, cx)?;
            if list.is_empty() {
                return Ok(Value::Integer(i64::from(*negated)));
            }
            if matches!(v, Value::Null) {
                return Ok(Value::Null);
            }
            let mut saw_null = false;
            let mut found = false;
            for item in list {
                let x = eval(item, cx)?;
                match compare(v.clone(), x, *coll, *aff) {
                    Some(Ordering::Equal) => {
                        found = true;
                        break;
                    }
                    None => saw_null = true,
                    _ => {}
                }
            }
            bool_value(if found {
                Some(!*negated)
            } else if saw_null {
                None
            } else {
                Some(*negated)
            })
        }
        Expr::InSub { e, sub, negated, coll, aff } => {
            let v = eval(e, cx)?;
            let set = in_set(*sub, *coll, *aff, cx)?;
            let SubResult::Set { sorted, has_null, coll } = set.as_ref() else {
                return Err(Error::Sql("internal: IN set expected".into()));
            };
            if sorted.is_empty() && !has_null {
                return Ok(Value::Integer(i64::from(*negated)));
            }
            if matches!(v, Value::Null) {
                return Ok(Value::Null);
            }
            let v = apply_comparison_affinity(v, *aff);
            let found =
                sorted.binary_search_by(|x| compare_values(x.as_ref(), v.as_ref(), *coll)).is_ok();
            bool_value(if found {
                Some(!*negated)
            } else if *has_null {
                None
            } else {
                Some(*negated)
            })
        }
        Expr::Exists { sub, negated } => {
            let r = sub_result(*sub, cx, |rows| SubResult::Exists(!rows.is_empty()), Some(1))?;
            let SubResult::Exists(b) = r.as_ref() else {
                return Err(Error::Sql("internal: EXISTS expected".into()));
            };
            Value::Integer(i64::from(*b != *negated))
        }
        Expr::Scalar(sub) => {
            let r = sub_result(
                *sub,
                cx,
                |rows| {
                    SubResult::Scalar(
                        rows.into_iter()
                            .next()
                            .and_then(|r| r.into_iter().next())
                            .unwrap_or(Value::Null),
                    )
                },
                Some(1),
            )?;
            let SubResult::Scalar(v) = r.as_ref() else {
                return Err(Error::Sql("internal: scalar expected".into()));
            };
            v.clone()
        }
        Expr::Case { operand, whens, else_, coll } => {
            let base = match operand {
                Some(o) => Some(eval(o, cx)?),
                None => None,
            };
            for (w, t) in whens {
                let wv = eval(w, cx)?;
                let hit = match &base {
                    Some(b) => compare_sql(b, &wv, *coll) == Some(Ordering::Equal),
                    None => truth(&wv) == Some(true),
                };
                if hit {
                    return eval(t, cx);
                }
            }
            match else_ {
                Some(x) => eval(x, cx)?,
                None => Value::Null,
            }
        }
        Expr::Cast(x, ty) => coerce::cast(eval(x, cx)?, ty),
        Expr::Func(_, f, args) => {
            let mut vals = Vec::with_capacity(args.len());
            let mut json_args = 0u64;
            for (i, a) in args.iter().enumerate() {
                cx.fnctx.json_result = false;
                vals.push(eval(a, cx)?);
                // A value straight from a JSON function keeps SQLite's JSON subtype.
                if matches!(a, Expr::Func(..)) && cx.fnctx.json_result && i < 64 {
                    json_args |= 1 << i;
                }
            }
            cx.fnctx.json_args = json_args;
            cx.fnctx.json_result = false;
            f(cx.fnctx, &vals)?
        }
        Expr::Coalesce(args) => {
            for a in args {
                let v = eval(a, cx)?;
                if !matches!(v, Value::Null) {
                    return Ok(v);
                }
            }
            Value::Null
        }
        Expr::Iif(c, a, b) => {
            if truth(&eval(c, cx)?) == Some(true) {
                eval(a, cx)?
            } else {
                eval(b, cx)?
            }
        }
    })
}

/// Whether an expression is true (NULL and false are not).
pub fn eval_true(e: &Expr, cx: &mut Cx<'_>) -> Result<bool> {
    Ok(truth(&eval(e, cx)?) == Some(true))
}

fn sub_result(
    sub: usize,
    cx: &mut Cx<'_>,
    make: impl FnOnce(Vec<Vec<Value>>) -> SubResult,
    max_rows: Option<usize>,
) -> Result<Rc<SubResult>> {
    let plan = &cx.subs[sub];
    if !plan.correlated {
        if let Some(r) = &cx.sub_cache[sub] {
            return Ok(r.clone());
        }
    }
    let select = &cx.subs[sub].select;
    let rows = run_select(select, cx, max_rows)?;
    let r = Rc::new(make(rows));
    if !cx.subs[sub].correlated {
        cx.sub_cache[sub] = Some(r.clone());
    }
    Ok(r)
}

fn in_set(
    sub: usize,
    coll: Collation,
    aff: Option<crate::sql::coerce::Affinity>,
    cx: &mut Cx<'_>,
) -> Result<Rc<SubResult>> {
    sub_result(
        sub,
        cx,
        |rows| {
            let mut has_null = false;
            let mut sorted: Vec<Value> = Vec::with_capacity(rows.len());
            for r in rows {
                let v = r.into_iter().next().unwrap_or(Value::Null);
                if matches!(v, Value::Null) {
                    has_null = true;
                } else {
                    sorted.push(apply_comparison_affinity(v, aff));
                }
            }
            sorted.sort_by(|a, b| compare_values(a.as_ref(), b.as_ref(), coll));
            SubResult::Set { sorted, has_null, coll }
        },
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::shift;

    #[test]
    fn shifts_follow_sqlite() {
        assert_eq!(shift(1, 3), 8);
        assert_eq!(shift(-8, -2), -2);
        assert_eq!(shift(1, 64), 0);
        assert_eq!(shift(-1, -100), -1);
    }
}
