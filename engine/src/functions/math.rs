//! The math functions of `SQLite`'s `-DSQLITE_ENABLE_MATH_FUNCTIONS` set (`lang_mathfunc.html`).
//!
//! An argument counts only if it is a number, or text that is all a number
//! (`sqlite3_value_numeric_type`); anything else gives NULL. Results are REAL, except `ceil`,
//! `floor` and `trunc` of an INTEGER, which return it unchanged. Out-of-domain arguments give
//! what the C library gives (NaN, which is NULL to `SQLite`); `ln`/`log` of a value `<= 0` give
//! NULL. The functions are those of the platform's libm, as `SQLite` calls them.

use super::FnContext;
use crate::error::Result;
use crate::sql::coerce::numeric_type;
use crate::storage::record::Value;

/// The real value of a numeric argument, or `None` if it is not numeric.
fn num(v: &Value) -> Option<f64> {
    match numeric_type(v) {
        Value::Integer(i) => Some(i as f64),
        Value::Real(r) => Some(r),
        _ => None,
    }
}

/// A REAL result; NaN is NULL.
fn real(r: f64) -> Value {
    if r.is_nan() {
        Value::Null
    } else {
        Value::Real(r)
    }
}

fn math1(a: &[Value], f: fn(f64) -> f64) -> Value {
    num(&a[0]).map_or(Value::Null, |x| real(f(x)))
}

fn math2(a: &[Value], f: fn(f64, f64) -> f64) -> Value {
    match (num(&a[0]), num(&a[1])) {
        (Some(x), Some(y)) => real(f(x, y)),
        _ => Value::Null,
    }
}

macro_rules! unary {
    ($($(#[$doc:meta])* $name:ident => $f:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name(_: &mut FnContext, a: &[Value]) -> Result<Value> {
            Ok(math1(a, $f))
        }
    )*};
}

unary! {
    /// `acos(X)`
    acos => f64::acos;
    /// `asin(X)`
    asin => f64::asin;
    /// `atan(X)`
    atan => f64::atan;
    /// `cos(X)`
    cos => f64::cos;
    /// `sin(X)`
    sin => f64::sin;
    /// `tan(X)`
    tan => f64::tan;
    /// `cosh(X)`
    cosh => f64::cosh;
    /// `sinh(X)`
    sinh => f64::sinh;
    /// `tanh(X)`
    tanh => f64::tanh;
    /// `acosh(X)`
    acosh => f64::acosh;
    /// `asinh(X)`
    asinh => f64::asinh;
    /// `atanh(X)`
    atanh => f64::atanh;
    /// `exp(X)`
    exp => f64::exp;
    /// `sqrt(X)`
    sqrt => f64::sqrt;
    /// `degrees(X)`: X * (180/π), as `SQLite` computes it.
    degrees => |x| x * (180.0 / std::f64::consts::PI);
    /// `radians(X)`: X * (π/180).
    radians => |x| x * (std::f64::consts::PI / 180.0);
}

/// `ceil`, `floor`, `trunc`: an INTEGER is returned as it is.
fn rounding(a: &[Value], f: fn(f64) -> f64) -> Value {
    match numeric_type(&a[0]) {
        Value::Integer(i) => Value::Integer(i),
        Value::Real(r) => real(f(r)),
        _ => Value::Null,
    }
}

/// `ceil(X)`, `ceiling(X)`.
pub fn ceil(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(rounding(a, f64::ceil))
}

/// `floor(X)`.
pub fn floor(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(rounding(a, f64::floor))
}

/// `trunc(X)`.
pub fn trunc(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(rounding(a, f64::trunc))
}

/// `ln(X)`: NULL for X <= 0.
pub fn ln(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(num(&a[0]).filter(|&x| x > 0.0).map_or(Value::Null, |x| real(x.ln())))
}

/// `log10(X)`.
pub fn log10(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(num(&a[0]).filter(|&x| x > 0.0).map_or(Value::Null, |x| real(x.log10())))
}

/// `log2(X)`.
pub fn log2(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(num(&a[0]).filter(|&x| x > 0.0).map_or(Value::Null, |x| real(x.log2())))
}

/// `log(X)` (base 10) and `log(B, X)` (`ln(X)/ln(B)`; NULL unless B > 1... precisely, unless
/// `ln(B) > 0` and X > 0).
pub fn log(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let Some(x) = num(&a[0]).filter(|&x| x > 0.0) else { return Ok(Value::Null) };
    if a.len() == 1 {
        return Ok(real(x.log10()));
    }
    let b = x.ln();
    if b <= 0.0 {
        return Ok(Value::Null);
    }
    let Some(x) = num(&a[1]).filter(|&x| x > 0.0) else { return Ok(Value::Null) };
    Ok(real(x.ln() / b))
}

/// `atan2(Y, X)`.
pub fn atan2(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(math2(a, f64::atan2))
}

/// `mod(X, Y)`: C's `fmod`.
pub fn modulo(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(math2(a, |x, y| x % y))
}

/// `pow(X, Y)`, `power(X, Y)`.
pub fn pow(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(math2(a, f64::powf))
}

/// `pi()`.
pub fn pi(_: &mut FnContext, _: &[Value]) -> Result<Value> {
    Ok(Value::Real(std::f64::consts::PI))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: super::super::ScalarFn, a: &[Value]) -> Value {
        f(&mut FnContext::default(), a).expect("math functions do not fail")
    }

    #[test]
    fn rules() {
        let (i, r, t) = (Value::Integer, Value::Real, |s: &str| Value::Text(s.into()));
        assert_eq!(call(ceil, &[i(3)]), i(3));
        assert_eq!(call(ceil, &[r(1.2)]), r(2.0));
        assert_eq!(call(floor, &[t("-1.5")]), r(-2.0));
        assert_eq!(call(floor, &[t("-1.5x")]), Value::Null);
        assert_eq!(call(trunc, &[r(-1.7)]), r(-1.0));
        assert_eq!(call(sqrt, &[i(-1)]), Value::Null);
        assert_eq!(call(ln, &[i(0)]), Value::Null);
        assert_eq!(call(log, &[i(100)]), r(2.0));
        assert_eq!(call(log, &[i(2), i(8)]), r(3.0));
        assert_eq!(call(log, &[i(1), i(8)]), Value::Null);
        assert_eq!(call(log2, &[i(8)]), r(3.0));
        assert_eq!(call(pow, &[i(2), i(10)]), r(1024.0));
        assert_eq!(call(modulo, &[i(7), r(2.5)]), r(2.0));
        assert_eq!(call(modulo, &[i(7), i(0)]), Value::Null);
        assert_eq!(call(pi, &[]), r(std::f64::consts::PI));
        assert_eq!(call(degrees, &[r(std::f64::consts::PI)]), r(180.0));
        assert_eq!(call(exp, &[Value::Blob(vec![1])]), Value::Null);
        assert_eq!(call(acos, &[i(2)]), Value::Null);
    }
}

#[cfg(test)]
mod dump {
    use super::super::{lookup_scalar, FnContext};
    use crate::storage::record::Value;

    /// Prints results for `scripts`-style cross-checks against a `SQLite` that has the math
    /// functions (the bundled one does not): `cargo test ... math::dump -- --ignored --nocapture`.
    #[test]
    #[ignore = "prints values for an out-of-process comparison"]
    fn dump_math() {
        let xs = [
            -2.5, -1.0, -0.5, 0.0, 0.3, 0.5, 0.999, 1.0, 1.5, 2.0, 3.7, 10.0, 100.0, 1e-10, 1e10,
            710.0, -710.0, 0.1,
        ];
        let names = [
            "acos", "asin", "atan", "cos", "sin", "tan", "cosh", "sinh", "tanh", "acosh", "asinh",
            "atanh", "exp", "ln", "log", "log10", "log2", "sqrt", "degrees", "radians", "ceil",
            "floor", "trunc",
        ];
        for n in names {
            let f = lookup_scalar(n, 1).expect("ok").expect("exists");
            for x in xs {
                let v = f(&mut FnContext::default(), &[Value::Real(x)]).expect("no error");
                let s = match v {
                    Value::Real(r) => format!("{:016x}", r.to_bits()),
                    Value::Integer(i) => format!("i{i}"),
                    _ => "null".into(),
                };
                println!("MATH {n} {x:e} {s}");
            }
        }
        for n in ["atan2", "mod", "pow", "log"] {
            let f = lookup_scalar(n, 2).expect("ok").expect("exists");
            for x in xs {
                for y in [-1.5, 0.5, 2.0, 3.0] {
                    let v = f(&mut FnContext::default(), &[Value::Real(x), Value::Real(y)])
                        .expect("no error");
                    let s = match v {
                        Value::Real(r) => format!("{:016x}", r.to_bits()),
                        _ => "null".into(),
                    };
                    println!("MATH2 {n} {x:e} {y:e} {s}");
                }
            }
        }
    }
}
