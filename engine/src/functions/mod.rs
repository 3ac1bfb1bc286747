//! SQL functions: scalar functions, aggregates, date/time, JSON and vectors, looked up by name.
//!
//! The executor calls [`lookup_scalar`] / [`new_aggregate`] at bind time and the returned function
//! pointers or states at run time. Every function follows `SQLite` 3.46 (the version whose
//! behaviour embedlite copies, see [`SQLITE_VERSION`]): the types of results, NULL handling and
//! error messages are `SQLite`'s, and `difftest` compares them with the real `SQLite`.
//!
//! # Arity
//!
//! A name is known if any scalar or aggregate function has it. [`lookup_scalar`] gives
//! `Ok(None)` for an unknown name *and* for a known aggregate with an arity the aggregate takes
//! (`count(x)`, `min(x)`): the caller then asks [`new_aggregate`]. A known name with an arity that
//! neither form takes is `wrong number of arguments to function NAME()`.
//!
//! # Context the executor supplies
//!
//! [`FnContext`] carries the connection's counters for `last_insert_rowid()`, `changes()` and
//! `total_changes()`, the collation of the arguments for `min`/`max`/`nullif` (`SQLite` takes it
//! from the argument expressions), the statement's time for `'now'`, and the JSON subtype flags
//! described in [`json`].
//!
//! ```
//! use embedlite::functions::{lookup_scalar, FnContext};
//! use embedlite::Value;
//!
//! let f = lookup_scalar("SUBSTR", 3)?.expect("substr exists");
//! let mut ctx = FnContext::default();
//! let v = f(&mut ctx, &[Value::Text("hello".into()), Value::Integer(2), Value::Integer(3)])?;
//! assert_eq!(v, Value::Text("ell".into()));
//! assert!(lookup_scalar("substr", 1).is_err());
//! # Ok::<(), embedlite::Error>(())
//! ```

pub mod aggregate;
pub mod datetime;
pub mod json;
pub mod math;
pub mod printf;
pub mod scalar;
pub mod vector;

#[cfg(test)]
mod difftest;

use crate::error::{Error, RaiseAction, Result};
use crate::storage::record::{Collation, Value};

pub use aggregate::Aggregate;
pub use json::{json_each, JsonEachRow};

/// The `SQLite` version whose behaviour embedlite follows; `sqlite_version()` returns it.
pub const SQLITE_VERSION: &str = "3.46.0";

/// The largest string or blob a function may produce (`SQLITE_MAX_LENGTH`, `SQLite`'s default
/// `SQLITE_LIMIT_LENGTH`); larger results are [`Error::TooBig`].
pub const MAX_LENGTH: usize = 1_000_000_000;

/// What a function may need from the connection and statement that call it.
#[derive(Debug, Default, Clone)]
pub struct FnContext {
    /// The rowid of the most recent successful INSERT on the connection.
    pub last_insert_rowid: i64,
    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    pub changes: i64,
    /// Rows changed since the connection opened.
    pub total_changes: i64,
    /// The collation of the arguments (for `min`, `max`, `nullif`): the executor sets it from the
    /// argument expressions as `SQLite`'s `sqlite3GetFuncCollSeq` does; BINARY by default.
    pub collation: Collation,
    /// The statement's time in milliseconds since the Unix epoch, used for `'now'` so that it is
    /// stable within one statement as in `SQLite`; `None` reads the system clock at each call.
    pub now_unix_ms: Option<i64>,
    /// Bit `i` set: argument `i` carries `SQLite`'s JSON subtype (it is the direct result of a
    /// function call that set [`FnContext::json_result`]). JSON functions then embed that text as
    /// JSON instead of as a string. The executor sets this before each call (0 when unsure).
    pub json_args: u64,
    /// Set by a function whose result carries the JSON subtype; the executor clears it before a
    /// call and reads it after, to fill `json_args` of an enclosing call.
    pub json_result: bool,
}

impl FnContext {
    /// Whether argument `i` carries the JSON subtype.
    #[must_use]
    pub fn arg_is_json(&self, i: usize) -> bool {
        i < 64 && self.json_args & (1u64 << i) != 0
    }
}

/// A scalar function: the context and the argument values in, the result out.
pub type ScalarFn = fn(&mut FnContext, &[Value]) -> Result<Value>;

/// How many arguments a function takes: `min..=max`.
#[derive(Debug, Clone, Copy)]
struct Arity {
    min: usize,
    max: usize,
}

const ANY: usize = usize::MAX;

const fn ar(min: usize, max: usize) -> Arity {
    Arity { min, max }
}

/// One scalar function in the registry.
struct ScalarDef {
    name: &'static str,
    arity: Arity,
    f: ScalarFn,
    deterministic: bool,
}

const fn def(name: &'static str, arity: Arity, f: ScalarFn) -> ScalarDef {
    ScalarDef { name, arity, f, deterministic: true }
}

const fn volatile(name: &'static str, arity: Arity, f: ScalarFn) -> ScalarDef {
    ScalarDef { name, arity, f, deterministic: false }
}

/// Every scalar function, by name (lower case). A name may appear more than once with different
/// arities.
static SCALARS: &[ScalarDef] = &[
    // Core (func.c)
    def("abs", ar(1, 1), scalar::abs),
    def("char", ar(0, ANY), scalar::char),
    def("coalesce", ar(2, ANY), scalar::coalesce),
    def("concat", ar(1, ANY), scalar::concat),
    def("concat_ws", ar(2, ANY), scalar::concat_ws),
    def("format", ar(0, ANY), printf::printf_fn),
    def("printf", ar(0, ANY), printf::printf_fn),
    def("glob", ar(2, 2), scalar::glob_fn),
    def("hex", ar(1, 1), scalar::hex),
    def("ifnull", ar(2, 2), scalar::coalesce),
    def("iif", ar(3, 3), scalar::iif),
    def("instr", ar(2, 2), scalar::instr),
    volatile("last_insert_rowid", ar(0, 0), scalar::last_insert_rowid),
    volatile("changes", ar(0, 0), scalar::changes),
    volatile("total_changes", ar(0, 0), scalar::total_changes),
    def("length", ar(1, 1), scalar::length),
    def("octet_length", ar(1, 1), scalar::octet_length),
    def("like", ar(2, 3), scalar::like_fn),
    def("likelihood", ar(2, 2), scalar::likelihood),
    def("likely", ar(1, 1), scalar::identity),
    def("unlikely", ar(1, 1), scalar::identity),
    def("lower", ar(1, 1), scalar::lower),
    def("upper", ar(1, 1), scalar::upper),
    def("ltrim", ar(1, 2), scalar::ltrim),
    def("rtrim", ar(1, 2), scalar::rtrim),
    def("trim", ar(1, 2), scalar::trim),
    def("max", ar(2, ANY), scalar::max),
    def("min", ar(2, ANY), scalar::min),
    def("nullif", ar(2, 2), scalar::nullif),
    def("quote", ar(1, 1), scalar::quote),
    volatile("random", ar(0, 0), scalar::random),
    volatile("randomblob", ar(1, 1), scalar::randomblob),
    def("replace", ar(3, 3), scalar::replace),
    def("round", ar(1, 2), scalar::round),
    def("sign", ar(1, 1), scalar::sign),
    def("soundex", ar(1, 1), scalar::soundex),
    def("substr", ar(2, 3), scalar::substr),
    def("substring", ar(2, 3), scalar::substr),
    def("typeof", ar(1, 1), scalar::type_of),
    def("unhex", ar(1, 2), scalar::unhex),
    def("unicode", ar(1, 1), scalar::unicode),
    def("zeroblob", ar(1, 1), scalar::zeroblob),
    def("sqlite_version", ar(0, 0), scalar::sqlite_version),
    // Math (SQLITE_ENABLE_MATH_FUNCTIONS)
    def("acos", ar(1, 1), math::acos),
    def("asin", ar(1, 1), math::asin),
    def("atan", ar(1, 1), math::atan),
    def("atan2", ar(2, 2), math::atan2),
    def("cos", ar(1, 1), math::cos),
    def("sin", ar(1, 1), math::sin),
    def("tan", ar(1, 1), math::tan),
    def("cosh", ar(1, 1), math::cosh),
    def("sinh", ar(1, 1), math::sinh),
    def("tanh", ar(1, 1), math::tanh),
    def("acosh", ar(1, 1), math::acosh),
    def("asinh", ar(1, 1), math::asinh),
    def("atanh", ar(1, 1), math::atanh),
    def("ceil", ar(1, 1), math::ceil),
    def("ceiling", ar(1, 1), math::ceil),
    def("floor", ar(1, 1), math::floor),
    def("trunc", ar(1, 1), math::trunc),
    def("degrees", ar(1, 1), math::degrees),
    def("radians", ar(1, 1), math::radians),
    def("exp", ar(1, 1), math::exp),
    def("ln", ar(1, 1), math::ln),
    def("log", ar(1, 2), math::log),
    def("log10", ar(1, 1), math::log10),
    def("log2", ar(1, 1), math::log2),
    def("mod", ar(2, 2), math::modulo),
    def("pi", ar(0, 0), math::pi),
    def("pow", ar(2, 2), math::pow),
    def("power", ar(2, 2), math::pow),
    def("sqrt", ar(1, 1), math::sqrt),
    // Date and time (date.c). Not deterministic: 'now' and the current_* functions read the
    // clock (SQLite lets them into indexes but fails there at run time when 'now' is used).
    volatile("date", ar(0, ANY), datetime::date),
    volatile("time", ar(0, ANY), datetime::time),
    volatile("datetime", ar(0, ANY), datetime::datetime),
    volatile("julianday", ar(0, ANY), datetime::julianday),
    volatile("unixepoch", ar(0, ANY), datetime::unixepoch),
    volatile("strftime", ar(0, ANY), datetime::strftime),
    volatile("timediff", ar(2, 2), datetime::timediff),
    volatile("current_date", ar(0, 0), datetime::current_date),
    volatile("current_time", ar(0, 0), datetime::current_time),
    volatile("current_timestamp", ar(0, 0), datetime::current_timestamp),
    // JSON (json.c)
    def("json", ar(1, 1), json::json),
    def("json_array", ar(0, ANY), json::json_array),
    def("json_array_length", ar(1, 2), json::json_array_length),
    def("json_error_position", ar(1, 1), json::json_error_position),
    def("json_extract", ar(0, ANY), json::json_extract),
    def("json_arrow", ar(2, 2), json::json_arrow),
    def("->", ar(2, 2), json::json_arrow),
    def("json_arrow2", ar(2, 2), json::json_arrow2),
    def("->>", ar(2, 2), json::json_arrow2),
    def("json_insert", ar(0, ANY), json::json_insert),
    def("json_replace", ar(0, ANY), json::json_replace),
    def("json_set", ar(0, ANY), json::json_set),
    def("json_object", ar(0, ANY), json::json_object),
    def("json_patch", ar(2, 2), json::json_patch),
    def("json_pretty", ar(1, 2), json::json_pretty),
    def("json_quote", ar(1, 1), json::json_quote),
    def("json_remove", ar(0, ANY), json::json_remove),
    def("json_type", ar(1, 2), json::json_type),
    def("json_valid", ar(1, 2), json::json_valid),
    // Vectors (libSQL's vector.c, Turso's extensions)
    def("vector", ar(1, 1), vector::vector),
    def("vector32", ar(1, 1), vector::vector32),
    def("vector64", ar(1, 1), vector::vector64),
    def("vector16", ar(1, 1), vector::vector16),
    def("vectorb16", ar(1, 1), vector::vectorb16),
    def("vector8", ar(1, 1), vector::vector8),
    def("vector1bit", ar(1, 1), vector::vector1bit),
    def("vector_extract", ar(1, 1), vector::vector_extract),
    def("vector_distance_cos", ar(2, 2), vector::vector_distance_cos),
    def("vector_distance_l2", ar(2, 2), vector::vector_distance_l2),
    def("vector_distance_dot", ar(2, 2), vector::vector_distance_dot),
    def("vector_concat", ar(2, 2), vector::vector_concat),
    def("vector_slice", ar(3, 3), vector::vector_slice),
    def("vector_norm", ar(1, 1), vector::vector_norm),
    def("vector_normalize", ar(1, 1), vector::vector_normalize),
];

/// The aggregates and the arities they take.
static AGGREGATES: &[(&str, Arity)] = &[
    ("count", ar(0, 1)),
    ("sum", ar(1, 1)),
    ("total", ar(1, 1)),
    ("avg", ar(1, 1)),
    ("min", ar(1, 1)),
    ("max", ar(1, 1)),
    ("group_concat", ar(1, 2)),
    ("string_agg", ar(2, 2)),
    ("json_group_array", ar(1, 1)),
    ("json_group_object", ar(2, 2)),
];

fn wrong_args(name: &str) -> Error {
    Error::Sql(format!("wrong number of arguments to function {name}()"))
}

fn aggregate_takes(lower: &str, nargs: usize) -> Option<bool> {
    let mut known = None;
    for (n, a) in AGGREGATES {
        if *n == lower {
            known = Some(known.unwrap_or(false) || (a.min..=a.max).contains(&nargs));
        }
    }
    known
}

/// The registry's own spelling of the scalar function `lower` (a lower-case name), which plans
/// keep: a `'static` name without leaking a copy per bound call.
#[must_use]
pub fn scalar_name(lower: &str) -> Option<&'static str> {
    SCALARS.iter().find(|d| d.name == lower).map(|d| d.name)
}

/// The scalar function `name` (any case) taking `nargs` arguments.
///
/// `Ok(None)`: no scalar function of that name, or an aggregate of that name takes `nargs`
/// arguments (ask [`new_aggregate`]). `Err(Sql("wrong number of arguments to function name()"))`:
/// the name is known but no form takes `nargs` arguments.
pub fn lookup_scalar(name: &str, nargs: usize) -> Result<Option<ScalarFn>> {
    let lower = name.to_ascii_lowercase();
    let mut known = false;
    for d in SCALARS.iter().filter(|d| d.name == lower) {
        known = true;
        if (d.arity.min..=d.arity.max).contains(&nargs) {
            return Ok(Some(d.f));
        }
    }
    match aggregate_takes(&lower, nargs) {
        Some(true) => Ok(None),
        Some(false) => Err(wrong_args(name)),
        None => {
            if known {
                Err(wrong_args(name))
            } else {
                Ok(None)
            }
        }
    }
}

fn raise(action: RaiseAction, args: &[Value]) -> Result<Value> {
    let message = match args.first() {
        Some(Value::Text(s)) => s.clone(),
        _ => String::new(),
    };
    Err(Error::Raise { action, message })
}

/// `RAISE(IGNORE)` (bound only inside trigger programs).
pub fn raise_ignore(_: &mut FnContext, args: &[Value]) -> Result<Value> {
    raise(RaiseAction::Ignore, args)
}

/// `RAISE(ABORT, message)`.
pub fn raise_abort(_: &mut FnContext, args: &[Value]) -> Result<Value> {
    raise(RaiseAction::Abort, args)
}

/// `RAISE(FAIL, message)`.
pub fn raise_fail(_: &mut FnContext, args: &[Value]) -> Result<Value> {
    raise(RaiseAction::Fail, args)
}

/// `RAISE(ROLLBACK, message)`.
pub fn raise_rollback(_: &mut FnContext, args: &[Value]) -> Result<Value> {
    raise(RaiseAction::Rollback, args)
}

/// Whether `name` always gives the same result for the same arguments. `random()`,
/// `randomblob()`, `changes()`, `total_changes()`, `last_insert_rowid()` and the date and time
/// functions (which read the clock for `'now'`) are not; unknown names are not either.
#[must_use]
pub fn is_deterministic(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if let Some(d) = SCALARS.iter().find(|d| d.name == lower) {
        return d.deterministic;
    }
    aggregate_takes(&lower, 1).is_some() || aggregate_takes(&lower, 0).is_some()
}

/// Whether `name` is a function whose results carry the JSON subtype (so that a JSON function
/// taking the result as an argument embeds it as JSON). For `json_extract` and `->` the subtype
/// depends on the value: the function sets [`FnContext::json_result`] when it applies.
#[must_use]
pub fn returns_json(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "json"
            | "json_array"
            | "json_extract"
            | "json_arrow"
            | "->"
            | "json_insert"
            | "json_replace"
            | "json_set"
            | "json_object"
            | "json_patch"
            | "json_quote"
            | "json_remove"
            | "json_group_array"
            | "json_group_object"
    )
}

/// A fresh aggregate state for `name` (any case) with `nargs` arguments, comparing with BINARY.
///
/// `count(*)` is `nargs == 0`. `min`/`max` with one argument are aggregates; with two or more
/// they are scalar (`Ok(None)` here). `Ok(None)` for a name that is not an aggregate;
/// `Err(wrong number of arguments)` for an aggregate name with an arity that no form takes.
pub fn new_aggregate(name: &str, nargs: usize) -> Result<Option<Box<dyn Aggregate>>> {
    new_aggregate_with_collation(name, nargs, Collation::Binary)
}

/// As [`new_aggregate`], with the collation `min` and `max` compare text under.
pub fn new_aggregate_with_collation(
    name: &str,
    nargs: usize,
    coll: Collation,
) -> Result<Option<Box<dyn Aggregate>>> {
    let lower = name.to_ascii_lowercase();
    match aggregate_takes(&lower, nargs) {
        None => return Ok(None),
        Some(false) => {
            let scalar_ok = SCALARS
                .iter()
                .any(|d| d.name == lower && (d.arity.min..=d.arity.max).contains(&nargs));
            return if scalar_ok { Ok(None) } else { Err(wrong_args(name)) };
        }
        Some(true) => {}
    }
    Ok(Some(match lower.as_str() {
        "count" => Box::new(aggregate::Count::new(nargs == 0)),
        "sum" => Box::new(aggregate::Sum::new(aggregate::SumKind::Sum)),
        "total" => Box::new(aggregate::Sum::new(aggregate::SumKind::Total)),
        "avg" => Box::new(aggregate::Sum::new(aggregate::SumKind::Avg)),
        "min" => Box::new(aggregate::MinMax::new(false, coll)),
        "max" => Box::new(aggregate::MinMax::new(true, coll)),
        "group_concat" | "string_agg" => Box::new(aggregate::GroupConcat::default()),
        "json_group_array" => Box::new(json::JsonGroupArray::default()),
        "json_group_object" => Box::new(json::JsonGroupObject::default()),
        _ => return Ok(None),
    }))
}

/// Fails with [`Error::TooBig`] if a result of `len` bytes exceeds [`MAX_LENGTH`].
pub(crate) fn check_len(len: usize, what: &str) -> Result<()> {
    if len > MAX_LENGTH {
        Err(Error::TooBig(format!("{what} result of {len} bytes")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_arity() {
        assert!(lookup_scalar("ABS", 1).expect("ok").is_some());
        assert_eq!(scalar_name("abs"), Some("abs"));
        assert_eq!(scalar_name("count"), None);
        assert!(lookup_scalar("abs", 2).is_err());
        assert!(lookup_scalar("nosuch", 2).expect("ok").is_none());
        assert!(lookup_scalar("min", 1).expect("ok").is_none());
        assert!(lookup_scalar("min", 3).expect("ok").is_some());
        assert!(lookup_scalar("min", 0).is_err());
        assert!(lookup_scalar("count", 1).expect("ok").is_none());
        assert!(lookup_scalar("count", 2).is_err());
        assert!(new_aggregate("count", 0).expect("ok").is_some());
        assert!(new_aggregate("max", 2).expect("ok").is_none());
        assert!(new_aggregate("sum", 2).is_err());
        assert!(new_aggregate("abs", 1).expect("ok").is_none());
        let e = lookup_scalar("Substr", 1).expect_err("error");
        assert_eq!(e.to_string(), "wrong number of arguments to function Substr()");
        assert!(!is_deterministic("random"));
        assert!(is_deterministic("abs"));
        assert!(returns_json("json_object"));
    }

    fn run(name: &str, ctx: &mut FnContext, args: &[Value]) -> Result<Value> {
        let f = lookup_scalar(name, args.len())?.expect("function exists");
        f(ctx, args)
    }

    #[test]
    fn context_functions() {
        let mut ctx = FnContext {
            last_insert_rowid: 42,
            changes: 3,
            total_changes: 9,
            now_unix_ms: Some(1_700_000_000_123),
            ..FnContext::default()
        };
        assert_eq!(run("last_insert_rowid", &mut ctx, &[]).expect("ok"), Value::Integer(42));
        assert_eq!(run("changes", &mut ctx, &[]).expect("ok"), Value::Integer(3));
        assert_eq!(run("total_changes", &mut ctx, &[]).expect("ok"), Value::Integer(9));
        let now = Value::Text("now".into());
        assert_eq!(
            run("datetime", &mut ctx, std::slice::from_ref(&now)).expect("ok"),
            Value::Text("2023-11-14 22:13:20".into())
        );
        assert_eq!(
            run("current_timestamp", &mut ctx, &[]).expect("ok"),
            Value::Text("2023-11-14 22:13:20".into())
        );
        assert_eq!(
            run("unixepoch", &mut ctx, &[now, Value::Text("subsec".into())]).expect("ok"),
            Value::Real(1_700_000_000.123)
        );
        assert_eq!(run("sqlite_version", &mut ctx, &[]).expect("ok"), Value::Text("3.46.0".into()));
    }

    #[test]
    fn random_and_errors() {
        let mut ctx = FnContext::default();
        for _ in 0..100 {
            let Value::Integer(r) = run("random", &mut ctx, &[]).expect("ok") else { panic!() };
            assert_ne!(r, i64::MIN);
        }
        let Value::Blob(b) = run("randomblob", &mut ctx, &[Value::Integer(0)]).expect("ok") else {
            panic!()
        };
        assert_eq!(b.len(), 1);
        let Value::Blob(b) = run("randomblob", &mut ctx, &[Value::Integer(16)]).expect("ok") else {
            panic!()
        };
        assert_eq!(b.len(), 16);
        let e =
            run("likelihood", &mut ctx, &[Value::Integer(1), Value::Integer(2)]).expect_err("bad");
        assert!(e.to_string().contains("likelihood"));
        assert!(run("likelihood", &mut ctx, &[Value::Integer(1), Value::Real(0.5)]).is_ok());
        let e = run("zeroblob", &mut ctx, &[Value::Integer(2_000_000_000)]).expect_err("too big");
        assert!(matches!(e, Error::TooBig(_)));
    }

    #[test]
    fn json_subtype_protocol() {
        let mut ctx = FnContext::default();
        let inner = run("json_object", &mut ctx, &[Value::Text("a".into()), Value::Integer(1)])
            .expect("ok");
        assert!(ctx.json_result);
        let mut outer = FnContext { json_args: 1, ..FnContext::default() };
        let v = run("json_array", &mut outer, std::slice::from_ref(&inner)).expect("ok");
        assert_eq!(v, Value::Text("[{\"a\":1}]".into()));
        let mut plain = FnContext::default();
        let v = run("json_array", &mut plain, &[inner]).expect("ok");
        assert_eq!(v, Value::Text("[\"{\\\"a\\\":1}\"]".into()));
        let mut agg = new_aggregate("json_group_array", 1).expect("ok").expect("aggregate");
        agg.step_json(&[Value::Text("[1]".into())], 1).expect("step");
        agg.step(&[Value::Text("[1]".into())]).expect("step");
        assert_eq!(agg.finish().expect("ok"), Value::Text("[[1],\"[1]\"]".into()));
        assert!(agg.result_is_json());
        let rows = json_each(&Value::Text("{\"a\":[1,2]}".into()), None, true).expect("ok");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[1].fullkey, "$.a");
        assert_eq!(rows[3].key, Value::Integer(1));
    }
}
