//! The aggregate functions: `count`, `sum`, `total`, `avg`, `min`, `max`, `group_concat` /
//! `string_agg` (the JSON ones are in [`super::json`]).
//!
//! `sum`, `total` and `avg` add like `SQLite` 3.46: exactly in 64-bit integers while every input
//! is an integer (an overflow makes `sum` fail with `integer overflow`, unless a non-integer
//! comes later), and otherwise with Kahan–Babuška–Neumaier compensated summation, large integers
//! split into two parts first. Text and blobs count with the value of their numeric prefix.

use std::fmt::Debug;

use super::check_len;
use super::scalar::text_value;
use crate::error::{Error, Result};
use crate::sql::coerce::{self, numeric_type};
use crate::storage::record::{compare_values, Collation, Value};

/// The running state of one aggregate over one group.
pub trait Aggregate: Send + Debug {
    /// Adds one row's arguments.
    fn step(&mut self, args: &[Value]) -> Result<()>;

    /// The result for the rows stepped so far. Called once per group.
    fn finish(&mut self) -> Result<Value>;

    /// The result for the rows stepped so far, leaving the state ready for more rows
    /// (`SQLite`'s `xValue`): a window function reads it once per frame.
    fn value(&self) -> Result<Value>;

    /// As [`Aggregate::step`], knowing which arguments carry the JSON subtype (see
    /// [`super::FnContext::json_args`]); only the JSON aggregates care.
    fn step_json(&mut self, args: &[Value], json_args: u64) -> Result<()> {
        let _ = json_args;
        self.step(args)
    }

    /// Whether the result carries the JSON subtype.
    fn result_is_json(&self) -> bool {
        false
    }
}

/// `count(*)` and `count(X)`.
#[derive(Debug)]
pub struct Count {
    star: bool,
    n: i64,
}

impl Count {
    /// `count(*)` if `star`, else `count(X)`.
    #[must_use]
    pub fn new(star: bool) -> Count {
        Count { star, n: 0 }
    }
}

impl Aggregate for Count {
    fn step(&mut self, args: &[Value]) -> Result<()> {
        if self.star || !matches!(args.first(), Some(Value::Null) | None) {
            self.n += 1;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<Value> {
        self.value()
    }

    fn value(&self) -> Result<Value> {
        Ok(Value::Integer(self.n))
    }
}

/// Which of the three summing aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SumKind {
    /// `sum(X)`: NULL for no rows, INTEGER while exact.
    Sum,
    /// `total(X)`: always REAL, 0.0 for no rows.
    Total,
    /// `avg(X)`: REAL, NULL for no rows.
    Avg,
}

/// `sum`, `total` and `avg` (`SumCtx` in func.c).
#[derive(Debug)]
pub struct Sum {
    kind: SumKind,
    real: f64,
    err: f64,
    int: i64,
    cnt: i64,
    approx: bool,
    overflow: bool,
}

impl Sum {
    /// A new sum of the given kind.
    #[must_use]
    pub fn new(kind: SumKind) -> Sum {
        Sum { kind, real: 0.0, err: 0.0, int: 0, cnt: 0, approx: false, overflow: false }
    }

    fn kbn_step(&mut self, r: f64) {
        let s = self.real;
        let t = s + r;
        if s.abs() > r.abs() {
            self.err += (s - t) + r;
        } else {
            self.err += (r - t) + s;
        }
        self.real = t;
    }

    fn kbn_step_int(&mut self, i: i64) {
        if (-4_503_599_627_370_495..=4_503_599_627_370_495).contains(&i) {
            self.kbn_step(i as f64);
        } else {
            let small = i % 16384;
            self.kbn_step((i - small) as f64);
            self.kbn_step(small as f64);
        }
    }

    fn kbn_init(&mut self, i: i64) {
        if (-4_503_599_627_370_495..=4_503_599_627_370_495).contains(&i) {
            self.real = i as f64;
            self.err = 0.0;
        } else {
            let small = i % 16384;
            self.real = (i - small) as f64;
            self.err = small as f64;
        }
    }

    fn total(&self) -> f64 {
        if self.approx {
            if self.err.is_finite() {
                self.real + self.err
            } else {
                self.real
            }
        } else {
            self.int as f64
        }
    }
}

impl Aggregate for Sum {
    fn step(&mut self, args: &[Value]) -> Result<()> {
        let v = numeric_type(&args[0]);
        if matches!(v, Value::Null) {
            return Ok(());
        }
        self.cnt += 1;
        let int = if let Value::Integer(i) = v { Some(i) } else { None };
        if self.approx {
            if let Some(i) = int {
                self.kbn_step_int(i);
            } else {
                self.overflow = false;
                self.kbn_step(coerce::to_real(&args[0]));
            }
        } else if let Some(i) = int {
            if let Some(s) = self.int.checked_add(i) {
                self.int = s;
            } else {
                self.overflow = true;
                self.kbn_init(self.int);
                self.approx = true;
                self.kbn_step_int(i);
            }
        } else {
            self.kbn_init(self.int);
            self.approx = true;
            self.kbn_step(coerce::to_real(&args[0]));
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<Value> {
        Aggregate::value(self)
    }

    fn value(&self) -> Result<Value> {
        // A NaN result (inf - inf) is NULL, as sqlite3_result_double makes it.
        let real = |r: f64| if r.is_nan() { Value::Null } else { Value::Real(r) };
        match self.kind {
            SumKind::Total => Ok(real(self.total())),
            _ if self.cnt == 0 => Ok(Value::Null),
            SumKind::Avg => Ok(real(self.total() / self.cnt as f64)),
            SumKind::Sum => {
                if !self.approx {
                    Ok(Value::Integer(self.int))
                } else if self.overflow {
                    Err(Error::Sql("integer overflow".into()))
                } else {
                    Ok(real(self.total()))
                }
            }
        }
    }
}

/// `min(X)` and `max(X)`: NULLs are skipped; ties keep the first value.
#[derive(Debug)]
pub struct MinMax {
    is_max: bool,
    coll: Collation,
    best: Option<Value>,
}

impl MinMax {
    /// `max` if `is_max`, else `min`, comparing text under `coll`.
    #[must_use]
    pub fn new(is_max: bool, coll: Collation) -> MinMax {
        MinMax { is_max, coll, best: None }
    }
}

impl Aggregate for MinMax {
    fn step(&mut self, args: &[Value]) -> Result<()> {
        let v = &args[0];
        if matches!(v, Value::Null) {
            return Ok(());
        }
        let replace = match &self.best {
            None => true,
            Some(b) => {
                let c = compare_values(b.as_ref(), v.as_ref(), self.coll);
                if self.is_max {
                    c.is_lt()
                } else {
                    c.is_gt()
                }
            }
        };
        if replace {
            self.best = Some(v.clone());
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<Value> {
        Ok(self.best.take().unwrap_or(Value::Null))
    }

    fn value(&self) -> Result<Value> {
        Ok(self.best.clone().unwrap_or(Value::Null))
    }
}

/// `group_concat(X [, SEP])` and `string_agg(X, SEP)`: the separator (`,` by default) goes
/// before every value but the first; NULL values are skipped; NULL if no value was added.
#[derive(Debug, Default)]
pub struct GroupConcat {
    buf: Vec<u8>,
    started: bool,
}

impl Aggregate for GroupConcat {
    fn step(&mut self, args: &[Value]) -> Result<()> {
        if matches!(args[0], Value::Null) {
            return Ok(());
        }
        if self.started {
            match args.get(1) {
                None => self.buf.push(b','),
                Some(Value::Null) => {}
                Some(sep) => self.buf.extend_from_slice(&coerce::text_bytes(sep)),
            }
        }
        self.started = true;
        self.buf.extend_from_slice(&coerce::text_bytes(&args[0]));
        check_len(self.buf.len(), "group_concat")
    }

    fn finish(&mut self) -> Result<Value> {
        if !self.started {
            return Ok(Value::Null);
        }
        Ok(text_value(std::borrow::Cow::Owned(std::mem::take(&mut self.buf))))
    }

    fn value(&self) -> Result<Value> {
        if !self.started {
            return Ok(Value::Null);
        }
        Ok(text_value(std::borrow::Cow::Borrowed(&self.buf)))
    }
}
