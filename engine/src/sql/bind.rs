//! The binder: turns `sqlparser`'s AST into bound plans (`plan.rs`), resolving names against
//! the catalog and the scopes of enclosing queries, and choosing access paths.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sqlparser::ast::{
    self, BinaryOperator, Expr as A, FunctionArg, FunctionArgExpr, FunctionArguments,
    JoinConstraint, JoinOperator, SelectItem, SetExpr, SetOperator, SetQuantifier, TableFactor,
    UnaryOperator,
};

use super::access;
use super::catalog::{collation_named, object_name, Catalog, Index, Table};
use super::coerce::{affinity_of_type, comparison_affinity, Affinity, ArithOp};
use super::plan::{
    Access, AggCall, BitOp, Body, CmpOp, CompoundOp, Core, Expr, Frame, FrameBound, OrderTerm,
    Select, Source, SourceKind, SubPlan, WinCall, WinFunc,
};
use crate::error::{Error, Result};
use crate::functions;
use crate::storage::record::Collation;
use crate::storage::Value;

/// Metadata of one visible column.
#[derive(Debug, Clone)]
struct ColMeta {
    name: String,
    aff: Option<Affinity>,
    coll: Option<Collation>,
    hidden: bool,
}

/// One source visible in a scope.
#[derive(Debug, Clone)]
struct ScopeSrc {
    name: String,
    cols: Vec<ColMeta>,
    slot: usize,
    has_rowid: bool,
}

#[derive(Debug, Default)]
struct Scope {
    srcs: Vec<ScopeSrc>,
    /// Result-column aliases of the select being bound, usable in WHERE/GROUP BY/HAVING/ORDER BY,
    /// each with whether it holds a window call (then only ORDER BY may use it).
    aliases: Vec<(String, Expr, bool)>,
}

/// A common table expression in scope.
#[derive(Debug, Clone)]
struct Cte {
    query: ast::Query,
    columns: Vec<String>,
    /// While binding a recursive CTE's step: the queue slot and column metadata.
    recursive: Option<(usize, Vec<ColMeta>)>,
}

/// Aggregates collected while binding a select's expressions.
#[derive(Debug)]
struct AggCtx {
    slot: usize,
    calls: Vec<AggCall>,
    /// The select's window calls.
    win: WinCtx,
}

impl AggCtx {
    /// A context that collects aggregates into `slot` and allows no window calls.
    fn new(slot: usize) -> AggCtx {
        AggCtx { slot, calls: Vec::new(), win: WinCtx::default() }
    }
}

/// Window calls collected while binding a select's result columns and `ORDER BY`.
#[derive(Debug, Default)]
struct WinCtx {
    /// Slot of the window values.
    slot: usize,
    calls: Vec<WinCall>,
    /// Whether a window call may appear where the binder is (result columns and `ORDER BY`,
    /// outside the arguments and keys of another window call).
    allowed: bool,
    /// The select's `WINDOW` definitions by lower-case name.
    named: HashMap<String, ast::NamedWindowExpr>,
}

/// The built-in window functions: what they compute and how many arguments they take.
fn window_function(lname: &str) -> Option<(WinFunc, usize, usize)> {
    Some(match lname {
        "row_number" => (WinFunc::RowNumber, 0, 0),
        "rank" => (WinFunc::Rank, 0, 0),
        "dense_rank" => (WinFunc::DenseRank, 0, 0),
        "percent_rank" => (WinFunc::PercentRank, 0, 0),
        "cume_dist" => (WinFunc::CumeDist, 0, 0),
        "ntile" => (WinFunc::Ntile, 1, 1),
        "lag" => (WinFunc::Lag, 1, 3),
        "lead" => (WinFunc::Lead, 1, 3),
        "first_value" => (WinFunc::FirstValue, 1, 1),
        "last_value" => (WinFunc::LastValue, 1, 1),
        "nth_value" => (WinFunc::NthValue, 2, 2),
        _ => return None,
    })
}

/// The position of a frame bound in the order a frame's start may not come after its end.
fn bound_rank(b: &FrameBound) -> u8 {
    match b {
        FrameBound::UnboundedPreceding => 0,
        FrameBound::Preceding(_) => 1,
        FrameBound::CurrentRow => 2,
        FrameBound::Following(_) => 3,
        FrameBound::UnboundedFollowing => 4,
    }
}

/// Binds statements against a catalog.
#[derive(Debug)]
pub struct Binder<'c> {
    cat: &'c Catalog,
    next_slot: usize,
    /// Subqueries of the statement.
    pub subs: Vec<SubPlan>,
    /// Parameter names by number (`None` for `?`/`?NNN`).
    pub params: Vec<Option<String>>,
    scopes: Vec<Scope>,
    ctes: Vec<HashMap<String, Cte>>,
    /// For each subquery being bound: the scope depth where it starts and the outer slots it
    /// reads.
    sub_refs: Vec<(usize, HashSet<usize>)>,
    /// Slots of tables named with `NOT INDEXED` (no vector index for their `ORDER BY`).
    not_indexed: HashSet<usize>,
    /// Whether an alias of a window call may be used where the binder is (result columns and
    /// `ORDER BY` of the select being bound).
    win_alias_ok: bool,
    /// Lower-case names of the triggers whose programs are being bound, outermost first: a
    /// trigger is not bound again inside its own program (SQLite's `recursive_triggers = OFF`),
    /// and `RAISE()` is allowed only while this is not empty.
    pub trigger_stack: Vec<String>,
    /// Trigger programs bound for the statement so far (bounded, see `exec::trigger`).
    pub trigger_programs: usize,
    /// The conflict clause (`OR ...`) of the statement whose trigger programs are being bound:
    /// as in SQLite, it replaces the clauses of the statements in their bodies.
    pub forced_conflict: Option<ast::SqliteOnConflict>,
}

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::Sql(msg.into()))
}

/// A table's columns for a scope; `hidden` ones are read qualified only (`excluded.x`, `new.x`).
fn table_cols(table: &Table, hidden: bool) -> Vec<ColMeta> {
    table
        .columns
        .iter()
        .map(|c| ColMeta {
            name: c.name.clone(),
            aff: Some(c.affinity),
            coll: Some(c.collation),
            hidden,
        })
        .collect()
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// Visits the column references of an expression (`col`) and the subqueries it uses (`sub`).
fn walk_expr(e: &Expr, col: &mut dyn FnMut(usize, usize), sub: &mut dyn FnMut(usize)) {
    let mut go = |x: &Expr| walk_expr(x, col, sub);
    match e {
        Expr::Lit(_) | Expr::Param(_) => {}
        Expr::Col(s, c) => col(*s, *c),
        Expr::Neg(a) | Expr::Not(a) | Expr::BitNot(a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => {
            go(a);
        }
        Expr::Arith(_, a, b)
        | Expr::Concat(a, b)
        | Expr::Bit(_, a, b)
        | Expr::And(a, b)
        | Expr::Or(a, b) => {
            go(a);
            go(b);
        }
        Expr::Cmp { l, r, .. } | Expr::Is { l, r, .. } => {
            go(l);
            go(r);
        }
        Expr::Like { e, pat, esc, .. } => {
            go(e);
            go(pat);
            if let Some(x) = esc {
                go(x);
            }
        }
        Expr::Between { e, lo, hi, .. } => {
            go(e);
            go(lo);
            go(hi);
        }
        Expr::InList { e, list, .. } => {
            go(e);
            list.iter().for_each(&mut go);
        }
        Expr::InSub { e, sub: n, .. } => {
            go(e);
            sub(*n);
        }
        Expr::Exists { sub: n, .. } | Expr::Scalar(n) => sub(*n),
        Expr::Case { operand, whens, else_, .. } => {
            if let Some(o) = operand {
                go(o);
            }
            for (w, t) in whens {
                go(w);
                go(t);
            }
            if let Some(x) = else_ {
                go(x);
            }
        }
        Expr::Func(_, _, args) | Expr::Coalesce(args) => args.iter().for_each(&mut go),
        Expr::Iif(a, b, c) => {
            go(a);
            go(b);
            go(c);
        }
    }
}

/// Slots an expression reads (subqueries included through their outer slots).
fn expr_slots(e: &Expr, sub_slots: &[HashSet<usize>], out: &mut HashSet<usize>) {
    let mut subs_used = Vec::new();
    walk_expr(
        e,
        &mut |s, _| {
            out.insert(s);
        },
        &mut |n| subs_used.push(n),
    );
    for n in subs_used {
        out.extend(sub_slots[n].iter().copied());
    }
}

fn split_and(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::And(a, b) => {
            split_and(*a, out);
            split_and(*b, out);
        }
        other => out.push(other),
    }
}

fn ident_name(e: &A) -> Option<String> {
    match e {
        A::Identifier(id) => Some(id.value.clone()),
        A::CompoundIdentifier(ids) => ids.last().map(|i| i.value.clone()),
        _ => None,
    }
}

fn is_rowid_name(n: &str) -> bool {
    n.eq_ignore_ascii_case("rowid")
        || n.eq_ignore_ascii_case("oid")
        || n.eq_ignore_ascii_case("_rowid_")
}

/// Parses a numeric literal as SQLite does.
pub(crate) fn number_literal(s: &str) -> Value {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if let Ok(v) = u64::from_str_radix(hex, 16) {
            return Value::Integer(v as i64);
        }
    }
    if !s.contains(['.', 'e', 'E']) {
        if let Ok(v) = s.parse::<i64>() {
            return Value::Integer(v);
        }
    }
    Value::Real(s.parse::<f64>().unwrap_or(f64::INFINITY))
}

fn hex_blob(s: &str) -> Result<Value> {
    if s.len() % 2 != 0 {
        return err(format!("malformed blob literal x'{s}'"));
    }
    let bytes: Option<Vec<u8>> =
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect();
    bytes.map(Value::Blob).ok_or_else(|| Error::Sql(format!("malformed blob literal x'{s}'")))
}

impl<'c> Binder<'c> {
    /// A binder for one statement.
    #[must_use]
    pub fn new(cat: &'c Catalog) -> Self {
        Binder {
            cat,
            next_slot: 0,
            subs: Vec::new(),
            params: Vec::new(),
            scopes: Vec::new(),
            ctes: Vec::new(),
            sub_refs: Vec::new(),
            not_indexed: HashSet::new(),
            win_alias_ok: false,
            trigger_stack: Vec::new(),
            trigger_programs: 0,
            forced_conflict: None,
        }
    }

    /// Number of runtime slots the statement needs.
    #[must_use]
    pub fn slot_count(&self) -> usize {
        self.next_slot
    }

    /// Allocates a runtime slot.
    pub fn alloc_slot(&mut self) -> usize {
        self.next_slot += 1;
        self.next_slot - 1
    }

    fn sub_slot_sets(&self) -> Vec<HashSet<usize>> {
        self.subs.iter().map(|s| s.outer_slots.clone()).collect()
    }

    // ----- scopes -------------------------------------------------------------------------

    /// Makes a table visible under `name` at `slot` (used by DML statements).
    pub fn push_table_scope(&mut self, table: &Table, name: &str, slot: usize) {
        let cols = table_cols(table, false);
        let has_rowid = !table.without_rowid;
        self.scopes.push(Scope {
            srcs: vec![ScopeSrc { name: lower(name), cols, slot, has_rowid }],
            aliases: Vec::new(),
        });
    }

    /// Adds another table to the innermost scope whose columns are read qualified only (the
    /// upsert's `excluded` row: an unqualified name is the target table's column).
    pub fn add_table_to_scope(&mut self, table: &Table, name: &str, slot: usize) {
        let cols = table_cols(table, true);
        if let Some(s) = self.scopes.last_mut() {
            let has_rowid = !table.without_rowid;
            s.srcs.push(ScopeSrc { name: lower(name), cols, slot, has_rowid });
        }
    }

    /// Runs `f` with no scope or CTE of the statement being bound visible (a trigger program
    /// sees only its `NEW` and `OLD` rows).
    pub fn isolated<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let scopes = std::mem::take(&mut self.scopes);
        let ctes = std::mem::take(&mut self.ctes);
        let sub_refs = std::mem::take(&mut self.sub_refs);
        let r = f(self);
        self.scopes = scopes;
        self.ctes = ctes;
        self.sub_refs = sub_refs;
        r
    }

    /// Makes the `NEW` and `OLD` rows of a trigger on `table` visible (qualified only), each
    /// when it exists for the trigger's event.
    pub fn push_trigger_scope(&mut self, table: &Table, new: Option<usize>, old: Option<usize>) {
        let cols = table_cols(table, true);
        let mut srcs = Vec::new();
        for (name, slot) in [("new", new), ("old", old)] {
            if let Some(slot) = slot {
                srcs.push(ScopeSrc {
                    name: name.into(),
                    cols: cols.clone(),
                    slot,
                    has_rowid: !table.without_rowid,
                });
            }
        }
        self.scopes.push(Scope { srcs, aliases: Vec::new() });
    }

    /// Removes the innermost scope.
    pub fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    /// Pushes an empty scope.
    pub fn push_empty_scope(&mut self) {
        self.scopes.push(Scope::default());
    }

    fn resolve_column(
        &mut self,
        qualifier: Option<&str>,
        name: &str,
    ) -> Result<(Expr, Option<Affinity>, Option<Collation>)> {
        let depth = self.scopes.len();
        for d in (0..depth).rev() {
            let scope = &self.scopes[d];
            let mut found: Option<(usize, usize, Option<Affinity>, Option<Collation>)> = None;
            let mut ambiguous = false;
            for src in &scope.srcs {
                if let Some(q) = qualifier {
                    if !src.name.eq_ignore_ascii_case(q) {
                        continue;
                    }
                }
                let hit = src.cols.iter().position(|c| {
                    c.name.eq_ignore_ascii_case(name) && (qualifier.is_some() || !c.hidden)
                });
                if let Some(ci) = hit {
                    if found.is_some() {
                        ambiguous = true;
                    }
                    let c = &src.cols[ci];
                    found = Some((src.slot, ci, c.aff, c.coll));
                } else if src.has_rowid && is_rowid_name(name) && found.is_none() {
                    found = Some((src.slot, src.cols.len(), Some(Affinity::Integer), None));
                }
            }
            if ambiguous {
                let full = qualifier.map_or(name.to_string(), |q| format!("{q}.{name}"));
                return err(format!("ambiguous column name: {full}"));
            }
            if let Some((slot, col, aff, coll)) = found {
                for (base, set) in &mut self.sub_refs {
                    if *base > d {
                        set.insert(slot);
                    }
                }
                return Ok((Expr::Col(slot, col), aff, coll));
            }
            if qualifier.is_none() {
                if let Some((_, e, window)) =
                    scope.aliases.iter().find(|(a, ..)| a.eq_ignore_ascii_case(name))
                {
                    if *window && !self.win_alias_ok {
                        return err(format!("misuse of aliased window function {name}"));
                    }
                    return Ok((e.clone(), None, None));
                }
            }
        }
        let full = qualifier.map_or(name.to_string(), |q| format!("{q}.{name}"));
        err(format!("no such column: {full}"))
    }

    // ----- expressions --------------------------------------------------------------------

    /// Binds an expression (no aggregates allowed).
    pub fn expr(&mut self, e: &A) -> Result<Expr> {
        Ok(self.bind_expr(e, &mut None)?.0)
    }

    fn param(&mut self, p: &str) -> Result<Expr> {
        if p == "?" {
            self.params.push(None);
            return Ok(Expr::Param(self.params.len() - 1));
        }
        if let Some(n) = p.strip_prefix('?') {
            let n: usize = n.parse().map_err(|_| Error::Sql(format!("malformed parameter {p}")))?;
            if n == 0 || n > 32766 {
                return err(format!("variable number must be between ?1 and ?32766: {p}"));
            }
            while self.params.len() < n {
                self.params.push(None);
            }
            return Ok(Expr::Param(n - 1));
        }
        if let Some(i) = self.params.iter().position(|x| x.as_deref() == Some(p)) {
            return Ok(Expr::Param(i));
        }
        self.params.push(Some(p.to_string()));
        Ok(Expr::Param(self.params.len() - 1))
    }

    fn literal(&mut self, v: &ast::Value) -> Result<Expr> {
        Ok(Expr::Lit(match v {
            ast::Value::Number(s, _) => number_literal(s),
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => {
                Value::Text(s.clone())
            }
            ast::Value::HexStringLiteral(s) => hex_blob(s)?,
            ast::Value::Boolean(b) => Value::Integer(i64::from(*b)),
            ast::Value::Null => Value::Null,
            ast::Value::Placeholder(p) => return self.param(p),
            other => return err(format!("unsupported literal {other}")),
        }))
    }

    fn cmp(
        op: CmpOp,
        l: (Expr, Option<Affinity>, Option<Collation>),
        r: (Expr, Option<Affinity>, Option<Collation>),
    ) -> Expr {
        let coll = l.2.or(r.2).unwrap_or_default();
        let aff = comparison_affinity(l.1, r.1);
        Expr::Cmp { op, l: Box::new(l.0), r: Box::new(r.0), coll, aff }
    }

    /// Binds an expression; returns it with its affinity and collation.
    #[allow(clippy::type_complexity)]
    fn bind_expr(
        &mut self,
        e: &A,
        agg: &mut Option<&mut AggCtx>,
    ) -> Result<(Expr, Option<Affinity>, Option<Collation>)> {
        let plain = |x: Expr| Ok((x, None, None));
        match e {
            A::Identifier(id) => {
                if id.quote_style == Some('"') {
                    // SQLite: a double-quoted name that is not a column is a string literal.
                    match self.resolve_column(None, &id.value) {
                        Ok(r) => Ok(r),
                        Err(_) => plain(Expr::Lit(Value::Text(id.value.clone()))),
                    }
                } else {
                    self.resolve_column(None, &id.value)
                }
            }
            A::CompoundIdentifier(ids) => {
                let n = ids.len();
                if n < 2 {
                    return err("bad identifier");
                }
                self.resolve_column(Some(&ids[n - 2].value), &ids[n - 1].value)
            }
            A::Value(v) => plain(self.literal(&v.value)?),
            A::Nested(x) => self.bind_expr(x, agg),
            A::UnaryOp { op: UnaryOperator::Minus, expr } if matches!(expr.as_ref(), A::Value(v) if matches!(&v.value, ast::Value::Number(n, _) if n == "9223372036854775808")) =>
            {
                // SQLite reads -9223372036854775808 as the smallest integer, not as minus a real.
                plain(Expr::Lit(Value::Integer(i64::MIN)))
            }
            A::UnaryOp { op, expr } => {
                let (x, aff, coll) = self.bind_expr(expr, agg)?;
                match op {
                    UnaryOperator::Minus => plain(Expr::Neg(Box::new(x))),
                    UnaryOperator::Plus => Ok((x, aff, coll)),
                    UnaryOperator::Not => plain(Expr::Not(Box::new(x))),
                    UnaryOperator::BitwiseNot => plain(Expr::BitNot(Box::new(x))),
                    other => err(format!("unsupported operator {other}")),
                }
            }
            A::BinaryOp { left, op, right } => self.bind_binary(left, op, right, agg),
            A::IsNull(x) => plain(Expr::IsNull(Box::new(self.bind_expr(x, agg)?.0), false)),
            A::IsNotNull(x) => plain(Expr::IsNull(Box::new(self.bind_expr(x, agg)?.0), true)),
            A::IsTrue(x) | A::IsNotFalse(x) | A::IsFalse(x) | A::IsNotTrue(x) => {
                // `x IS TRUE` holds when x is not NULL and true; `IS FALSE` when not NULL and
                // false; the NOT forms negate those (so NULL IS NOT TRUE is true).
                let v = self.bind_expr(x, agg)?.0;
                let truth = if matches!(e, A::IsTrue(_) | A::IsNotTrue(_)) {
                    Expr::Not(Box::new(Expr::Not(Box::new(v))))
                } else {
                    Expr::Not(Box::new(v))
                };
                let is_not = matches!(e, A::IsNotFalse(_) | A::IsNotTrue(_));
                plain(Expr::Is {
                    l: Box::new(truth),
                    r: Box::new(Expr::Lit(Value::Integer(1))),
                    negated: is_not,
                    coll: Collation::Binary,
                    aff: None,
                })
            }
            A::IsDistinctFrom(a, b) | A::IsNotDistinctFrom(a, b) => {
                let l = self.bind_expr(a, agg)?;
                let r = self.bind_expr(b, agg)?;
                let coll = l.2.or(r.2).unwrap_or_default();
                let aff = comparison_affinity(l.1, r.1);
                plain(Expr::Is {
                    l: Box::new(l.0),
                    r: Box::new(r.0),
                    negated: matches!(e, A::IsDistinctFrom(..)),
                    coll,
                    aff,
                })
            }
            A::Like { negated, expr, pattern, escape_char, any, .. }
            | A::ILike { negated, expr, pattern, escape_char, any, .. } => {
                if *any {
                    return err("LIKE ANY is not supported");
                }
                let ex = self.bind_expr(expr, agg)?.0;
                let pat = self.bind_expr(pattern, agg)?.0;
                let esc = match escape_char {
                    Some(c) => Some(Box::new(self.bind_expr(c, agg)?.0)),
                    None => None,
                };
                plain(Expr::Like {
                    e: Box::new(ex),
                    pat: Box::new(pat),
                    esc,
                    negated: *negated,
                    glob: false,
                })
            }
            A::Between { expr, negated, low, high } => {
                let x = self.bind_expr(expr, agg)?;
                let lo = self.bind_expr(low, agg)?;
                let hi = self.bind_expr(high, agg)?;
                let coll = x.2.or(lo.2).or(hi.2).unwrap_or_default();
                let aff = comparison_affinity(x.1, lo.1).or_else(|| comparison_affinity(x.1, hi.1));
                plain(Expr::Between {
                    e: Box::new(x.0),
                    lo: Box::new(lo.0),
                    hi: Box::new(hi.0),
                    negated: *negated,
                    coll,
                    aff,
                })
            }
            A::In { expr, target, negated, .. } => {
                let x = self.bind_expr(expr, agg)?;
                match target {
                    ast::InTarget::List(list) => {
                        let mut items = Vec::with_capacity(list.len());
                        let mut aff = None;
                        for it in list {
                            let b = self.bind_expr(it, agg)?;
                            if aff.is_none() {
                                aff = comparison_affinity(x.1, b.1);
                            }
                            items.push(b.0);
                        }
                        let aff =
                            if x.1.is_some() { x.1.filter(|a| *a != Affinity::Blob) } else { aff };
                        plain(Expr::InList {
                            e: Box::new(x.0),
                            list: items,
                            negated: *negated,
                            coll: x.2.unwrap_or_default(),
                            aff,
                        })
                    }
                    ast::InTarget::Subquery(q) => {
                        let sub = self.bind_subquery(q)?;
                        let s = &self.subs[sub].select;
                        if s.ncols != 1 {
                            return err(format!(
                                "sub-select returns {} columns - expected 1",
                                s.ncols
                            ));
                        }
                        let (raff, rcoll) = (s.affinities[0], s.collations[0]);
                        let aff = comparison_affinity(x.1, raff);
                        let coll = x.2.or(rcoll).unwrap_or_default();
                        plain(Expr::InSub { e: Box::new(x.0), sub, negated: *negated, coll, aff })
                    }
                    ast::InTarget::Table { name, .. } => {
                        let q = sqlparser::parser::Parser::new(
                            &super::dialect::EmbedliteDialect::default(),
                        )
                        .try_with_sql(&format!("SELECT * FROM {name}"))
                        .and_then(|mut p| p.parse_query())
                        .map_err(|e| Error::Sql(e.to_string()))?;
                        let sub = self.bind_subquery(&q)?;
                        let aff = comparison_affinity(
                            x.1,
                            self.subs[sub].select.affinities.first().copied().flatten(),
                        );
                        plain(Expr::InSub {
                            e: Box::new(x.0),
                            sub,
                            negated: *negated,
                            coll: x.2.unwrap_or_default(),
                            aff,
                        })
                    }
                    ast::InTarget::Unnest(_) => err("unsupported IN target UNNEST"),
                }
            }
            A::Exists { subquery, negated } => {
                let sub = self.bind_subquery(subquery)?;
                plain(Expr::Exists { sub, negated: *negated })
            }
            A::Subquery(q) => {
                let sub = self.bind_subquery(q)?;
                let s = &self.subs[sub].select;
                if s.ncols != 1 {
                    return err(format!("sub-select returns {} columns - expected 1", s.ncols));
                }
                let (aff, coll) = (s.affinities[0], s.collations[0]);
                Ok((Expr::Scalar(sub), aff, coll))
            }
            A::Case { operand, conditions, else_result, .. } => {
                let (op, coll) = match operand {
                    Some(o) => {
                        let b = self.bind_expr(o, agg)?;
                        (Some(Box::new(b.0)), b.2.unwrap_or_default())
                    }
                    None => (None, Collation::Binary),
                };
                let mut whens = Vec::with_capacity(conditions.len());
                for cw in conditions {
                    whens.push((
                        self.bind_expr(&cw.condition, agg)?.0,
                        self.bind_expr(&cw.result, agg)?.0,
                    ));
                }
                let else_ = match else_result {
                    Some(x) => Some(Box::new(self.bind_expr(x, agg)?.0)),
                    None => None,
                };
                plain(Expr::Case { operand: op, whens, else_, coll })
            }
            A::Cast { expr, data_type, .. } => {
                let x = self.bind_expr(expr, agg)?.0;
                let ty = match data_type {
                    ast::DataType::Unspecified => String::new(),
                    t => t.to_string(),
                };
                let aff = affinity_of_type(&ty);
                Ok((Expr::Cast(Box::new(x), ty), Some(aff), None))
            }
            A::Collate { expr, collation } => {
                let c = collation_named(&object_name(collation))?;
                let (x, aff, _) = self.bind_expr(expr, agg)?;
                Ok((x, aff, Some(c)))
            }
            A::Function(f) => self.bind_function(f, agg),
            A::Tuple(_) => err("row value misused"),
            A::Trim { expr, trim_where, trim_what, trim_characters } => {
                let name = match trim_where {
                    Some(ast::TrimWhereField::Leading) => "ltrim",
                    Some(ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "trim",
                };
                let mut args = vec![self.bind_expr(expr, agg)?.0];
                if let Some(w) = trim_what {
                    args.push(self.bind_expr(w, agg)?.0);
                } else if let Some(chars) = trim_characters {
                    for c in chars {
                        args.push(self.bind_expr(c, agg)?.0);
                    }
                }
                Self::call_scalar(name, args)
            }
            A::Substring { expr, substring_from, substring_for, .. } => {
                let mut args = vec![self.bind_expr(expr, agg)?.0];
                if let Some(f) = substring_from {
                    args.push(self.bind_expr(f, agg)?.0);
                }
                if let Some(f) = substring_for {
                    args.push(self.bind_expr(f, agg)?.0);
                }
                Self::call_scalar("substr", args)
            }
            A::Ceil { expr, .. } => {
                let args = vec![self.bind_expr(expr, agg)?.0];
                Self::call_scalar("ceil", args)
            }
            A::Floor { expr, .. } => {
                let args = vec![self.bind_expr(expr, agg)?.0];
                Self::call_scalar("floor", args)
            }
            A::Position { expr, r#in } => {
                let args = vec![self.bind_expr(r#in, agg)?.0, self.bind_expr(expr, agg)?.0];
                Self::call_scalar("instr", args)
            }
            other => err(format!("unsupported expression: {other}")),
        }
    }

    fn call_scalar(
        name: &str,
        args: Vec<Expr>,
    ) -> Result<(Expr, Option<Affinity>, Option<Collation>)> {
        let lname = lower(name);
        match lname.as_str() {
            "coalesce" | "ifnull" => {
                if args.len() < 2 || (lname == "ifnull" && args.len() != 2) {
                    return err(format!("wrong number of arguments to function {name}()"));
                }
                return Ok((Expr::Coalesce(args), None, None));
            }
            "iif" => {
                if args.len() != 3 {
                    return err(format!("wrong number of arguments to function {name}()"));
                }
                let mut it = args.into_iter();
                let (a, b, c) = (
                    it.next().expect("3 args"),
                    it.next().expect("3 args"),
                    it.next().expect("3 args"),
                );
                return Ok((Expr::Iif(Box::new(a), Box::new(b), Box::new(c)), None, None));
            }
            _ => {}
        }
        let Some(f) = functions::lookup_scalar(&lname, args.len())? else {
            return err(format!("no such function: {name}"));
        };
        let static_name = functions::scalar_name(&lname).expect("lookup_scalar found it by name");
        Ok((Expr::Func(static_name, f, args), None, None))
    }

    fn bind_function(
        &mut self,
        f: &ast::Function,
        agg: &mut Option<&mut AggCtx>,
    ) -> Result<(Expr, Option<Affinity>, Option<Collation>)> {
        let name = object_name(&f.name);
        let lname = lower(&name);
        let (arg_exprs, distinct, star) = match &f.args {
            FunctionArguments::None => (Vec::new(), false, false),
            FunctionArguments::Subquery(_) => {
                return err(format!("unsupported argument to {name}()"))
            }
            FunctionArguments::List(l) => {
                let distinct =
                    matches!(l.duplicate_treatment, Some(ast::DuplicateTreatment::Distinct));
                let mut v = Vec::new();
                let mut star = false;
                for a in &l.args {
                    match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => v.push(x.clone()),
                        FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => star = true,
                        other => return err(format!("unsupported function argument {other}")),
                    }
                }
                (v, distinct, star)
            }
        };
        if let Some(over) = &f.over {
            return self.bind_window(f, &name, over, &arg_exprs, distinct, star, agg);
        }
        if lname == "raise" {
            return self.bind_raise(&arg_exprs);
        }
        if window_function(&lname).is_some() {
            return err(format!("misuse of window function {name}()"));
        }
        if star && (distinct || !arg_exprs.is_empty()) {
            // SQLite's grammar has no `f(DISTINCT *)` or `f(x, *)`.
            return err(format!("near \"*\": syntax error in {name}()"));
        }
        let nargs = arg_exprs.len();
        let is_agg =
            functions::new_aggregate(&lname, nargs)?.is_some() && !(star && lname != "count");
        if is_agg || (star && lname == "count") {
            if distinct && nargs != 1 {
                return err(format!(
                    "DISTINCT aggregates must have exactly one argument: {name}()"
                ));
            }
            let Some(ctx) = agg.as_deref_mut() else {
                return err(format!("misuse of aggregate function {name}()"));
            };
            let slot = ctx.slot;
            // Aggregate arguments are bound without aggregates inside them.
            let mut args = Vec::with_capacity(nargs);
            for a in &arg_exprs {
                args.push(self.bind_expr(a, &mut None)?.0);
            }
            let filter = match &f.filter {
                Some(fl) => Some(self.bind_expr(fl, &mut None)?.0),
                None => None,
            };
            let ctx = agg.as_deref_mut().expect("checked above");
            ctx.calls.push(AggCall { name: lname, args, distinct, filter });
            return Ok((Expr::Col(slot, ctx.calls.len() - 1), None, None));
        }
        if star {
            return err(format!("wrong number of arguments to function {name}()"));
        }
        if distinct {
            return err(format!("DISTINCT aggregates must have exactly one argument: {name}()"));
        }
        let mut args = Vec::with_capacity(nargs);
        for a in &arg_exprs {
            args.push(self.bind_expr(a, agg)?.0);
        }
        if lname == "likely" || lname == "unlikely" || lname == "likelihood" {
            if let Some(first) = args.into_iter().next() {
                return Ok((first, None, None));
            }
            return err(format!("wrong number of arguments to function {name}()"));
        }
        Self::call_scalar(&name, args)
    }

    /// Binds `RAISE(IGNORE)` or `RAISE(ABORT|FAIL|ROLLBACK, 'message')`: a call that fails
    /// with [`Error::Raise`] when evaluated.
    fn bind_raise(&mut self, args: &[A]) -> Result<(Expr, Option<Affinity>, Option<Collation>)> {
        if self.trigger_stack.is_empty() {
            return err("RAISE() may only be used within a trigger-program");
        }
        let action = match args.first() {
            Some(A::Identifier(i)) => lower(&i.value),
            _ => String::new(),
        };
        let message = match args.get(1) {
            Some(A::Value(v)) => match &v.value {
                ast::Value::SingleQuotedString(s) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        };
        let (f, message): (functions::ScalarFn, String) = match (action.as_str(), message) {
            ("ignore", None) if args.len() == 1 => (functions::raise_ignore, String::new()),
            ("abort", Some(m)) if args.len() == 2 => (functions::raise_abort, m),
            ("fail", Some(m)) if args.len() == 2 => (functions::raise_fail, m),
            ("rollback", Some(m)) if args.len() == 2 => (functions::raise_rollback, m),
            _ => return err("near \"RAISE\": syntax error"),
        };
        Ok((Expr::Func("raise", f, vec![Expr::Lit(Value::Text(message))]), None, None))
    }

    /// Binds `f(...) OVER (...)`: the call joins the select's window calls and reads as its slot
    /// column.
    #[allow(clippy::too_many_arguments)]
    fn bind_window(
        &mut self,
        f: &ast::Function,
        name: &str,
        over: &ast::WindowType,
        arg_exprs: &[A],
        distinct: bool,
        star: bool,
        agg: &mut Option<&mut AggCtx>,
    ) -> Result<(Expr, Option<Affinity>, Option<Collation>)> {
        let lname = lower(name);
        if !agg.as_deref().is_some_and(|c| c.win.allowed) {
            return err(format!("misuse of window function {name}()"));
        }
        let nargs = arg_exprs.len();
        let wrong_args = || err(format!("wrong number of arguments to function {name}()"));
        let func = if let Some((func, min, max)) = window_function(&lname) {
            if star || !(min..=max).contains(&nargs) {
                return wrong_args();
            }
            func
        } else if (star && lname == "count" && nargs == 0)
            || (!star && functions::new_aggregate(&lname, nargs)?.is_some())
        {
            WinFunc::Agg(lname.clone())
        } else if star {
            return wrong_args();
        } else if functions::lookup_scalar(&lname, nargs)?.is_some() {
            return err(format!("{name}() may not be used as a window function"));
        } else {
            return err(format!("no such function: {name}"));
        };
        if distinct {
            return err("DISTINCT is not supported for window functions");
        }
        if f.filter.is_some() && !matches!(func, WinFunc::Agg(_)) {
            return err("FILTER clause may only be used with aggregate window functions");
        }
        let ctx = agg.as_deref_mut().expect("checked above");
        let spec = Self::window_spec(over, &ctx.win.named, 0)?;
        // No window calls inside another's arguments, keys or filter.
        ctx.win.allowed = false;
        let parts = self.bind_window_parts(&spec, arg_exprs, f.filter.as_deref(), agg);
        let ctx = agg.as_deref_mut().expect("checked above");
        ctx.win.allowed = true;
        let (args, coll, filter, keys, nparts, order, frame) = parts?;
        ctx.win.calls.push(WinCall { func, args, coll, filter, keys, nparts, order, frame });
        Ok((Expr::Col(ctx.win.slot, ctx.win.calls.len() - 1), None, None))
    }

    /// The window that `OVER` names or spells out, with the clauses of a named base window
    /// (`OVER (w ORDER BY ...)`) merged in as `SQLite` allows.
    fn window_spec(
        over: &ast::WindowType,
        named: &HashMap<String, ast::NamedWindowExpr>,
        depth: usize,
    ) -> Result<ast::WindowSpec> {
        if depth > 32 {
            return err("too many levels of named windows");
        }
        let lookup = |n: &ast::Ident| -> Result<ast::WindowSpec> {
            match named.get(&lower(&n.value)) {
                None => err(format!("no such window: {}", n.value)),
                Some(ast::NamedWindowExpr::NamedWindow(other)) => Self::window_spec(
                    &ast::WindowType::NamedWindow(other.clone()),
                    named,
                    depth + 1,
                ),
                Some(ast::NamedWindowExpr::WindowSpec(spec)) => {
                    Self::window_spec(&ast::WindowType::WindowSpec(spec.clone()), named, depth + 1)
                }
            }
        };
        match over {
            ast::WindowType::NamedWindow(n) => lookup(n),
            ast::WindowType::WindowSpec(spec) => {
                let Some(base_name) = &spec.window_name else { return Ok(spec.clone()) };
                let base = lookup(base_name)?;
                let clash = if !spec.partition_by.is_empty() {
                    Some("PARTITION clause")
                } else if !base.order_by.is_empty() && !spec.order_by.is_empty() {
                    Some("ORDER BY clause")
                } else if base.window_frame.is_some() {
                    Some("frame specification")
                } else {
                    None
                };
                if let Some(what) = clash {
                    return err(format!("cannot override {what} of window: {}", base_name.value));
                }
                Ok(ast::WindowSpec {
                    window_name: None,
                    partition_by: base.partition_by,
                    order_by: if spec.order_by.is_empty() {
                        base.order_by
                    } else {
                        spec.order_by.clone()
                    },
                    window_frame: spec.window_frame.clone(),
                })
            }
        }
    }

    /// Binds the arguments, filter, partition and order keys and frame of a window call.
    #[allow(clippy::type_complexity)]
    fn bind_window_parts(
        &mut self,
        spec: &ast::WindowSpec,
        arg_exprs: &[A],
        filter: Option<&A>,
        agg: &mut Option<&mut AggCtx>,
    ) -> Result<(Vec<Expr>, Collation, Option<Expr>, Vec<Expr>, usize, Vec<OrderTerm>, Frame)> {
        let mut args = Vec::with_capacity(arg_exprs.len());
        let mut coll = None;
        for a in arg_exprs {
            let (x, _, c) = self.bind_expr(a, agg)?;
            if args.is_empty() {
                coll = c;
            }
            args.push(x);
        }
        let filter = match filter {
            Some(fl) => Some(self.bind_expr(fl, agg)?.0),
            None => None,
        };
        let mut keys = Vec::new();
        let mut order = Vec::new();
        for p in &spec.partition_by {
            let (x, _, coll) = self.bind_expr(p, agg)?;
            order.push(OrderTerm {
                key: keys.len(),
                desc: false,
                nulls_first: true,
                coll: coll.unwrap_or_default(),
            });
            keys.push(x);
        }
        let nparts = keys.len();
        for ob in &spec.order_by {
            let desc = matches!(ob.options.sort, Some(ast::OrderBySort::Desc));
            let (x, _, coll) = self.bind_expr(&ob.expr, agg)?;
            order.push(OrderTerm {
                key: keys.len(),
                desc,
                nulls_first: ob.options.nulls_first.unwrap_or(!desc),
                coll: coll.unwrap_or_default(),
            });
            keys.push(x);
        }
        let frame = self.window_frame(spec.window_frame.as_ref(), spec.order_by.len())?;
        Ok((args, coll.unwrap_or_default(), filter, keys, nparts, order, frame))
    }

    /// Binds a frame clause; `None` is `SQLite`'s default, `RANGE BETWEEN UNBOUNDED PRECEDING
    /// AND CURRENT ROW` (the whole partition when the window has no `ORDER BY`, since every row
    /// is then a peer of every other). Offsets are bound like constants: they may not read the
    /// select's columns.
    fn window_frame(&mut self, frame: Option<&ast::WindowFrame>, norder: usize) -> Result<Frame> {
        let Some(fr) = frame else {
            return Ok(Frame {
                rows: false,
                start: FrameBound::UnboundedPreceding,
                end: FrameBound::CurrentRow,
            });
        };
        let rows = match fr.units {
            ast::WindowFrameUnits::Rows => true,
            ast::WindowFrameUnits::Range => false,
            ast::WindowFrameUnits::Groups => return err("GROUPS frames are not supported"),
        };
        // The select's own columns are not visible to offsets (an empty scope does not hide
        // them from name lookup, so references to them are refused after binding).
        let own: HashSet<usize> = self
            .scopes
            .last()
            .map(|sc| sc.srcs.iter().map(|s| s.slot).collect())
            .unwrap_or_default();
        self.push_empty_scope();
        let r = (|| {
            let mut offset = |e: &A, which: &str| -> Result<Expr> {
                let x = self.expr(e)?;
                let mut reads_own = false;
                walk_expr(&x, &mut |s, _| reads_own |= own.contains(&s), &mut |_| {});
                if reads_own {
                    return err(format!("frame {which} offset must be a non-negative integer"));
                }
                Ok(x)
            };
            let mut bound = |b: &ast::WindowFrameBound, which: &str| -> Result<FrameBound> {
                Ok(match b {
                    ast::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
                    ast::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
                    ast::WindowFrameBound::Preceding(Some(e)) => {
                        FrameBound::Preceding(offset(e, which)?)
                    }
                    ast::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
                    ast::WindowFrameBound::Following(Some(e)) => {
                        FrameBound::Following(offset(e, which)?)
                    }
                })
            };
            let start = bound(&fr.start_bound, "starting")?;
            let end = match &fr.end_bound {
                Some(b) => bound(b, "ending")?,
                None => FrameBound::CurrentRow,
            };
            Ok((start, end))
        })();
        self.pop_scope();
        let (start, end) = r?;
        if matches!(start, FrameBound::UnboundedFollowing)
            || matches!(end, FrameBound::UnboundedPreceding)
            || bound_rank(&start) > bound_rank(&end)
        {
            return err("unsupported frame specification");
        }
        let offset =
            |b: &FrameBound| matches!(b, FrameBound::Preceding(_) | FrameBound::Following(_));
        if !rows && (offset(&start) || offset(&end)) {
            if norder != 1 {
                return err(
                    "RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY expression",
                );
            }
            return err("RANGE frames with an offset PRECEDING/FOLLOWING are not supported");
        }
        Ok(Frame { rows, start, end })
    }

    fn bind_binary(
        &mut self,
        left: &A,
        op: &BinaryOperator,
        right: &A,
        agg: &mut Option<&mut AggCtx>,
    ) -> Result<(Expr, Option<Affinity>, Option<Collation>)> {
        let l = self.bind_expr(left, agg)?;
        let r = self.bind_expr(right, agg)?;
        let plain = |x: Expr| Ok((x, None, None));
        let arith = |o: ArithOp, l: Expr, r: Expr| plain(Expr::Arith(o, Box::new(l), Box::new(r)));
        match op {
            BinaryOperator::Plus => arith(ArithOp::Add, l.0, r.0),
            BinaryOperator::Minus => arith(ArithOp::Sub, l.0, r.0),
            BinaryOperator::Multiply => arith(ArithOp::Mul, l.0, r.0),
            BinaryOperator::Divide => arith(ArithOp::Div, l.0, r.0),
            BinaryOperator::Modulo => arith(ArithOp::Rem, l.0, r.0),
            BinaryOperator::StringConcat => {
                let coll = l.2.or(r.2);
                Ok((Expr::Concat(Box::new(l.0), Box::new(r.0)), None, coll))
            }
            BinaryOperator::Eq => Ok((Self::cmp(CmpOp::Eq, l, r), None, None)),
            BinaryOperator::NotEq => Ok((Self::cmp(CmpOp::Ne, l, r), None, None)),
            BinaryOperator::Lt => Ok((Self::cmp(CmpOp::Lt, l, r), None, None)),
            BinaryOperator::LtEq => Ok((Self::cmp(CmpOp::Le, l, r), None, None)),
            BinaryOperator::Gt => Ok((Self::cmp(CmpOp::Gt, l, r), None, None)),
            BinaryOperator::GtEq => Ok((Self::cmp(CmpOp::Ge, l, r), None, None)),
            BinaryOperator::Is | BinaryOperator::IsNot => {
                let coll = l.2.or(r.2).unwrap_or_default();
                let aff = comparison_affinity(l.1, r.1);
                plain(Expr::Is {
                    l: Box::new(l.0),
                    r: Box::new(r.0),
                    negated: matches!(op, BinaryOperator::IsNot),
                    coll,
                    aff,
                })
            }
            BinaryOperator::And => plain(Expr::And(Box::new(l.0), Box::new(r.0))),
            BinaryOperator::Or => plain(Expr::Or(Box::new(l.0), Box::new(r.0))),
            BinaryOperator::BitwiseAnd => {
                plain(Expr::Bit(BitOp::And, Box::new(l.0), Box::new(r.0)))
            }
            BinaryOperator::BitwiseOr => plain(Expr::Bit(BitOp::Or, Box::new(l.0), Box::new(r.0))),
            BinaryOperator::PGBitwiseShiftLeft => {
                plain(Expr::Bit(BitOp::Shl, Box::new(l.0), Box::new(r.0)))
            }
            BinaryOperator::PGBitwiseShiftRight => {
                plain(Expr::Bit(BitOp::Shr, Box::new(l.0), Box::new(r.0)))
            }
            BinaryOperator::Glob => plain(Expr::Like {
                e: Box::new(l.0),
                pat: Box::new(r.0),
                esc: None,
                negated: false,
                glob: true,
            }),
            BinaryOperator::Arrow | BinaryOperator::LongArrow => {
                let name =
                    if matches!(op, BinaryOperator::Arrow) { "json_arrow" } else { "json_arrow2" };
                Self::call_scalar(name, vec![l.0, r.0])
            }
            other => err(format!("unsupported operator {other}")),
        }
    }

    // ----- queries ------------------------------------------------------------------------

    /// Binds a subquery used inside an expression and returns its number.
    fn bind_subquery(&mut self, q: &ast::Query) -> Result<usize> {
        self.sub_refs.push((self.scopes.len(), HashSet::new()));
        let r = self.query(q);
        let (_, outer) = self.sub_refs.pop().expect("pushed above");
        let select = r?;
        // The enclosing subqueries also read what this one reads from further out.
        let depth = self.scopes.len();
        for (base, set) in &mut self.sub_refs {
            if *base <= depth {
                set.extend(outer.iter().copied());
            }
        }
        let correlated = !outer.is_empty();
        self.subs.push(SubPlan { select, correlated, outer_slots: outer });
        Ok(self.subs.len() - 1)
    }

    /// Binds a complete query (`WITH`, body, `ORDER BY`, `LIMIT`).
    pub fn query(&mut self, q: &ast::Query) -> Result<Select> {
        self.with_ctes(q.with.as_ref(), |b| b.query_inner(q))
    }

    /// Runs `f` with the common table expressions of `with` (if any) in scope.
    pub fn with_ctes<T>(
        &mut self,
        with: Option<&ast::With>,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let Some(with) = with else { return f(self) };
        let mut map = HashMap::new();
        for cte in &with.cte_tables {
            let columns = cte.alias.columns.iter().map(|c| c.name.value.clone()).collect();
            map.insert(
                lower(&cte.alias.name.value),
                Cte { query: (*cte.query).clone(), columns, recursive: None },
            );
        }
        self.ctes.push(map);
        let r = f(self);
        self.ctes.pop();
        r
    }

    fn order_terms(q: &ast::Query) -> &[ast::OrderByExpr] {
        match &q.order_by {
            Some(ob) => match &ob.kind {
                ast::OrderByKind::Expressions(v) => v,
                ast::OrderByKind::All(_) => &[],
            },
            None => &[],
        }
    }

    fn limit_exprs(&mut self, q: &ast::Query) -> Result<(Option<Expr>, Option<Expr>)> {
        self.push_empty_scope();
        let r = (|| {
            Ok(match &q.limit_clause {
                None => (None, None),
                Some(ast::LimitClause::LimitOffset { limit, offset, .. }) => {
                    let l = match limit {
                        Some(e) => Some(self.expr(e)?),
                        None => None,
                    };
                    let o = match offset {
                        Some(o) => Some(self.expr(&o.value)?),
                        None => None,
                    };
                    (l, o)
                }
                Some(ast::LimitClause::OffsetCommaLimit { offset, limit }) => {
                    (Some(self.expr(limit)?), Some(self.expr(offset)?))
                }
            })
        })();
        self.pop_scope();
        r
    }

    fn query_inner(&mut self, q: &ast::Query) -> Result<Select> {
        let order = Self::order_terms(q);
        let (limit, offset) = self.limit_exprs(q)?;
        if let SetExpr::Select(s) = q.body.as_ref() {
            let mut sel = self.select_core(s, order)?;
            sel.limit = limit;
            sel.offset = offset;
            self.use_vector_index(&mut sel);
            self.use_scan_order(&mut sel);
            return Ok(sel);
        }
        if let SetExpr::Query(inner) = q.body.as_ref() {
            if order.is_empty() && limit.is_none() {
                return self.query(inner);
            }
        }
        let (body, columns, affs, colls) = self.body(&q.body)?;
        let ncols = columns.len();
        let mut terms = Vec::with_capacity(order.len());
        for ob in order {
            let (key, coll) = Self::compound_order_key(&ob.expr, &columns)?;
            let coll = coll.or(colls.get(key).copied().flatten()).unwrap_or_default();
            let desc = matches!(ob.options.sort, Some(ast::OrderBySort::Desc));
            terms.push(OrderTerm {
                key,
                desc,
                nulls_first: ob.options.nulls_first.unwrap_or(!desc),
                coll,
            });
        }
        Ok(Select {
            body,
            order: terms,
            limit,
            offset,
            ncols,
            columns,
            affinities: affs,
            collations: colls,
        })
    }

    fn compound_order_key(e: &A, columns: &[String]) -> Result<(usize, Option<Collation>)> {
        match e {
            A::Collate { expr, collation } => {
                let (k, _) = Self::compound_order_key(expr, columns)?;
                Ok((k, Some(collation_named(&object_name(collation))?)))
            }
            A::Value(v) => {
                if let ast::Value::Number(n, _) = &v.value {
                    let k: usize =
                        n.parse().map_err(|_| Error::Sql(format!("invalid ORDER BY term {n}")))?;
                    if k == 0 || k > columns.len() {
                        return err(format!(
                            "1st ORDER BY term out of range - should be between 1 and {}",
                            columns.len()
                        ));
                    }
                    return Ok((k - 1, None));
                }
                err("ORDER BY term does not match any column in the result set")
            }
            _ => {
                if let Some(n) = ident_name(e) {
                    if let Some(k) = columns.iter().position(|c| c.eq_ignore_ascii_case(&n)) {
                        return Ok((k, None));
                    }
                }
                err("1st ORDER BY term does not match any column in the result set")
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn body(
        &mut self,
        b: &SetExpr,
    ) -> Result<(Body, Vec<String>, Vec<Option<Affinity>>, Vec<Option<Collation>>)> {
        match b {
            SetExpr::Select(s) => {
                let sel = self.select_core(s, &[])?;
                let Body::Core(core) = sel.body else {
                    return err("internal: select core expected");
                };
                Ok((Body::Core(core), sel.columns, sel.affinities, sel.collations))
            }
            SetExpr::Query(q) => {
                let sel = self.query(q)?;
                if sel.order.is_empty() && sel.limit.is_none() && sel.offset.is_none() {
                    return Ok((sel.body, sel.columns, sel.affinities, sel.collations));
                }
                // A parenthesised query with its own ORDER BY/LIMIT: keep it whole as a source.
                let cols = sel.columns.clone();
                let (affs, colls) = (sel.affinities.clone(), sel.collations.clone());
                let core = self.wrap_select(sel);
                Ok((Body::Core(Box::new(core)), cols, affs, colls))
            }
            SetExpr::Values(v) => {
                self.push_empty_scope();
                let mut rows = Vec::with_capacity(v.rows.len());
                let mut width = None;
                for r in &v.rows {
                    let mut row = Vec::with_capacity(r.content.len());
                    for e in &r.content {
                        row.push(self.expr(e)?);
                    }
                    if *width.get_or_insert(row.len()) != row.len() {
                        self.pop_scope();
                        return err("all VALUES must have the same number of terms");
                    }
                    rows.push(row);
                }
                self.pop_scope();
                let n = width.unwrap_or(0);
                let cols = (1..=n).map(|i| format!("column{i}")).collect();
                Ok((Body::Values(rows), cols, vec![None; n], vec![None; n]))
            }
            SetExpr::SetOperation { left, op, set_quantifier, right } => {
                let (lb, lc, la, lcoll) = self.body(left)?;
                let (rb, rc, _, _) = self.body(right)?;
                if lc.len() != rc.len() {
                    let opname = match op {
                        SetOperator::Union => "UNION",
                        SetOperator::Intersect => "INTERSECT",
                        _ => "EXCEPT",
                    };
                    return err(format!("SELECTs to the left and right of {opname} do not have the same number of result columns"));
                }
                let all = matches!(set_quantifier, SetQuantifier::All);
                let cop = match op {
                    SetOperator::Union if all => CompoundOp::UnionAll,
                    SetOperator::Union => CompoundOp::Union,
                    SetOperator::Intersect => CompoundOp::Intersect,
                    SetOperator::Except | SetOperator::Minus => CompoundOp::Except,
                };
                Ok((Body::Compound(cop, Box::new(lb), Box::new(rb)), lc, la, lcoll))
            }
            other => err(format!("unsupported query: {other}")),
        }
    }

    /// A core that reads the rows of a complete select (used for parenthesised compound parts).
    fn wrap_select(&mut self, sel: Select) -> Core {
        let slot = self.alloc_slot();
        let agg_slot = self.alloc_slot();
        let n = sel.ncols;
        let output = (0..n).map(|i| Expr::Col(slot, i)).collect();
        Core {
            sources: vec![Source {
                slot,
                ncols: n,
                kind: SourceKind::Select(Box::new(sel)),
                left_join: false,
                on: Vec::new(),
                access: Access::Scan,
                correlated: true,
                width: usize::MAX,
                need: Vec::new(),
            }],
            pre_filters: Vec::new(),
            filters: vec![Vec::new()],
            group_by: Vec::new(),
            group_colls: Vec::new(),
            aggs: Vec::new(),
            agg_slot,
            aggregate: false,
            having: None,
            output,
            ncols: n,
            distinct: false,
            slots: vec![slot],
            group_slot: agg_slot,
            bare_columns: true,
            windows: Vec::new(),
            win_slot: agg_slot,
        }
    }

    /// Binds one `SELECT` with the `ORDER BY` terms that apply to it.
    fn select_core(&mut self, s: &ast::Select, order: &[ast::OrderByExpr]) -> Result<Select> {
        self.scopes.push(Scope::default());
        let saved = self.win_alias_ok;
        let r = self.select_core_inner(s, order);
        self.win_alias_ok = saved;
        self.scopes.pop();
        r
    }

    fn select_core_inner(&mut self, s: &ast::Select, order: &[ast::OrderByExpr]) -> Result<Select> {
        let mut sources: Vec<Source> = Vec::new();
        let mut conds: Vec<Expr> = Vec::new();
        for twj in &s.from {
            let first = sources.len();
            self.bind_from_item(&twj.relation, false, &mut sources, &mut conds)?;
            for j in &twj.joins {
                let (left, right, constraint) = match &j.join_operator {
                    JoinOperator::Join(c) | JoinOperator::Inner(c) | JoinOperator::CrossJoin(c) => {
                        (false, false, c)
                    }
                    JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (true, false, c),
                    JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (false, true, c),
                    JoinOperator::FullOuter(_) => {
                        return err("FULL OUTER JOIN is not supported yet");
                    }
                    other => return err(format!("unsupported join {other:?}")),
                };
                // `A RIGHT JOIN B ON c` runs as `B LEFT JOIN A ON c` (result columns keep the
                // written order): possible when A, everything before the join (joins and
                // commas are left-associative), is one plain source and c is an ON clause.
                if right
                    && (first != 0
                        || sources.len() != 1
                        || sources[first].left_join
                        || sources[first].correlated
                        || !matches!(constraint, JoinConstraint::On(_)))
                {
                    return err(
                        "RIGHT JOIN is supported only after a single table, with an ON clause",
                    );
                }
                let before = self.scopes.last().map_or(0, |sc| sc.srcs.len());
                self.bind_from_item(&j.relation, left, &mut sources, &mut conds)?;
                if right && sources.len() != first + 2 {
                    return err("RIGHT JOIN is supported only of a single table");
                }
                let mut on = Vec::new();
                match constraint {
                    JoinConstraint::On(e) => {
                        let b = self.expr(e)?;
                        split_and(b, &mut on);
                    }
                    JoinConstraint::Using(cols) => {
                        let names: Vec<String> = cols.iter().map(object_name).collect();
                        self.using_conditions(before, &names, &mut on)?;
                    }
                    JoinConstraint::Natural => {
                        let scope = self.scopes.last().expect("scope pushed");
                        let right = &scope.srcs[before..];
                        let mut names = Vec::new();
                        for c in right.iter().flat_map(|s| s.cols.iter()) {
                            if scope.srcs[..before].iter().any(|s| {
                                s.cols
                                    .iter()
                                    .any(|l| !l.hidden && l.name.eq_ignore_ascii_case(&c.name))
                            }) {
                                names.push(c.name.clone());
                            }
                        }
                        self.using_conditions(before, &names, &mut on)?;
                    }
                    JoinConstraint::None | JoinConstraint::UsingAlias(..) => {}
                }
                if left {
                    sources.last_mut().expect("just added").on = on;
                } else if right {
                    let r = sources.pop().expect("the right table was just added");
                    let mut l = sources.pop().expect("checked: one table on the left");
                    l.left_join = true;
                    l.on = on;
                    sources.push(r);
                    sources.push(l);
                } else {
                    conds.extend(on);
                }
            }
        }
        let agg_slot = self.alloc_slot();
        let mut aggctx = AggCtx::new(agg_slot);
        // Window calls may appear in the result columns and ORDER BY.
        aggctx.win.slot = self.alloc_slot();
        aggctx.win.allowed = true;
        for def in &s.named_window {
            aggctx.win.named.insert(lower(&def.0.value), def.1.clone());
        }
        self.win_alias_ok = true;
        // Result columns.
        let mut output = Vec::new();
        let mut names = Vec::new();
        let mut affs = Vec::new();
        let mut colls = Vec::new();
        for item in &s.projection {
            match item {
                SelectItem::Wildcard(_) => {
                    let scope = self.scopes.last().expect("scope pushed");
                    if scope.srcs.is_empty() {
                        return err("no tables specified");
                    }
                    for src in &scope.srcs {
                        for (i, c) in src.cols.iter().enumerate() {
                            if !c.hidden {
                                output.push(Expr::Col(src.slot, i));
                                names.push(c.name.clone());
                                affs.push(c.aff);
                                colls.push(c.coll);
                            }
                        }
                    }
                }
                SelectItem::QualifiedWildcard(kind, _) => {
                    let q = match kind {
                        ast::SelectItemQualifiedWildcardKind::ObjectName(n) => object_name(n),
                        ast::SelectItemQualifiedWildcardKind::Expr(e) => e.to_string(),
                    };
                    let scope = self.scopes.last().expect("scope pushed");
                    let src = scope
                        .srcs
                        .iter()
                        .find(|s| s.name.eq_ignore_ascii_case(&q))
                        .ok_or_else(|| Error::Sql(format!("no such table: {q}")))?;
                    for (i, c) in src.cols.iter().enumerate() {
                        output.push(Expr::Col(src.slot, i));
                        names.push(c.name.clone());
                        affs.push(c.aff);
                        colls.push(c.coll);
                    }
                }
                SelectItem::UnnamedExpr(e) => {
                    let (x, aff, coll) = self.bind_expr(e, &mut Some(&mut aggctx))?;
                    names.push(ident_name(e).unwrap_or_else(|| e.to_string()));
                    output.push(x);
                    affs.push(aff);
                    colls.push(coll);
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let nwin = aggctx.win.calls.len();
                    let (x, aff, coll) = self.bind_expr(expr, &mut Some(&mut aggctx))?;
                    let window = aggctx.win.calls.len() > nwin;
                    names.push(alias.value.clone());
                    self.scopes.last_mut().expect("scope pushed").aliases.push((
                        alias.value.clone(),
                        x.clone(),
                        window,
                    ));
                    output.push(x);
                    affs.push(aff);
                    colls.push(coll);
                }
                SelectItem::ExprWithAliases { .. } => return err("unsupported select item"),
            }
        }
        let ncols = output.len();
        self.win_alias_ok = false;
        if let Some(w) = &s.selection {
            let b = self.expr(w)?;
            split_and(b, &mut conds);
        }
        let mut group_by = Vec::new();
        let mut group_colls = Vec::new();
        if let ast::GroupByExpr::Expressions(exprs, _) = &s.group_by {
            for g in exprs {
                if let A::Value(v) = g {
                    if let ast::Value::Number(n, _) = &v.value {
                        let k: usize = n.parse().unwrap_or(0);
                        if k == 0 || k > ncols {
                            return err(format!(
                                "GROUP BY term out of range - should be between 1 and {ncols}"
                            ));
                        }
                        group_by.push(output[k - 1].clone());
                        group_colls.push(colls[k - 1].unwrap_or_default());
                        continue;
                    }
                }
                let (x, _, coll) = self.bind_expr(g, &mut None)?;
                group_by.push(x);
                group_colls.push(coll.unwrap_or_default());
            }
        }
        aggctx.win.allowed = false;
        let having = match &s.having {
            Some(h) => Some(self.bind_expr(h, &mut Some(&mut aggctx))?.0),
            None => None,
        };
        aggctx.win.allowed = true;
        self.win_alias_ok = true;
        let mut terms = Vec::with_capacity(order.len());
        for ob in order {
            let desc = matches!(ob.options.sort, Some(ast::OrderBySort::Desc));
            let nulls_first = ob.options.nulls_first.unwrap_or(!desc);
            let (inner, explicit_coll) = match &ob.expr {
                A::Collate { expr, collation } => {
                    (expr.as_ref(), Some(collation_named(&object_name(collation))?))
                }
                e => (e, None),
            };
            // An integer constant is a result column number; a name matching an alias is that
            // result column.
            let mut key = None;
            if let A::Value(v) = inner {
                if let ast::Value::Number(n, _) = &v.value {
                    let k: usize = n.parse().unwrap_or(0);
                    if k == 0 || k > ncols {
                        return err(format!(
                            "1st ORDER BY term out of range - should be between 1 and {ncols}"
                        ));
                    }
                    key = Some((k - 1, colls[k - 1]));
                }
            }
            if key.is_none() {
                if let A::Identifier(id) = inner {
                    if let Some(k) = s.projection.iter().position(|it| matches!(it, SelectItem::ExprWithAlias { alias, .. } if alias.value.eq_ignore_ascii_case(&id.value))) {
                        // Position among the expanded outputs: aliases are never wildcards.
                        let before_wild = s.projection[..k].iter().all(|it| !matches!(it, SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)));
                        if before_wild {
                            key = Some((k, colls[k]));
                        }
                    }
                }
            }
            let (k, coll) = if let Some(k) = key {
                k
            } else {
                let (x, _, coll) = self.bind_expr(inner, &mut Some(&mut aggctx))?;
                output.push(x);
                (output.len() - 1, coll)
            };
            terms.push(OrderTerm {
                key: k,
                desc,
                nulls_first,
                coll: explicit_coll.or(coll).unwrap_or_default(),
            });
        }
        let distinct = matches!(s.distinct, Some(ast::Distinct::Distinct));
        let aggregate = !aggctx.calls.is_empty() || !group_by.is_empty();
        if having.is_some() && !aggregate {
            return err("a GROUP BY clause is required before HAVING");
        }
        let core = self.plan_core(
            sources,
            conds,
            group_by,
            group_colls,
            aggctx,
            aggregate,
            having,
            output,
            ncols,
            distinct,
        );
        Ok(Select {
            body: Body::Core(Box::new(core)),
            order: terms,
            limit: None,
            offset: None,
            ncols,
            columns: names,
            affinities: affs,
            collations: colls,
        })
    }

    fn using_conditions(
        &mut self,
        right_start: usize,
        names: &[String],
        on: &mut Vec<Expr>,
    ) -> Result<()> {
        for n in names {
            let scope = self.scopes.last().expect("scope pushed");
            let left = scope.srcs[..right_start].iter().find_map(|s| {
                s.cols
                    .iter()
                    .position(|c| !c.hidden && c.name.eq_ignore_ascii_case(n))
                    .map(|i| (s.slot, i, s.cols[i].aff, s.cols[i].coll))
            });
            let right = scope.srcs[right_start..].iter().enumerate().find_map(|(si, s)| {
                s.cols
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(n))
                    .map(|i| (si + right_start, s.slot, i, s.cols[i].aff, s.cols[i].coll))
            });
            let (Some(l), Some(r)) = (left, right) else {
                return err(format!(
                    "cannot join using column {n} - column not present in both tables"
                ));
            };
            let e = Self::cmp(
                CmpOp::Eq,
                (Expr::Col(l.0, l.1), l.2, l.3),
                (Expr::Col(r.1, r.2), r.3, r.4),
            );
            on.push(e);
            let scope = self.scopes.last_mut().expect("scope pushed");
            scope.srcs[r.0].cols[r.2].hidden = true;
        }
        Ok(())
    }

    fn bind_from_item(
        &mut self,
        f: &TableFactor,
        left_join: bool,
        sources: &mut Vec<Source>,
        conds: &mut Vec<Expr>,
    ) -> Result<()> {
        match f {
            TableFactor::Table { name, alias, args, index_directives, .. } => {
                let tname = object_name(name);
                let alias_name =
                    alias.as_ref().map_or_else(|| tname.clone(), |a| a.name.value.clone());
                if let Some(args) = args {
                    return self.table_function(
                        &tname,
                        &args.args,
                        &alias_name,
                        left_join,
                        sources,
                    );
                }
                // CTEs, innermost first.
                let cte = self.ctes.iter().rev().find_map(|m| m.get(&lower(&tname)).cloned());
                if let Some(cte) = cte {
                    return self.cte_source(
                        &tname,
                        &cte,
                        alias.as_ref(),
                        &alias_name,
                        left_join,
                        sources,
                    );
                }
                if let Some(view) = self.cat.views.get(&lower(&tname)).cloned() {
                    let sel = self.isolated_query(&view.query)?;
                    let cols = if view.columns.is_empty() {
                        sel.columns.clone()
                    } else {
                        view.columns.clone()
                    };
                    self.select_source(sel, cols, &alias_name, alias.as_ref(), left_join, sources);
                    return Ok(());
                }
                let lname = lower(&tname);
                if lname == "sqlite_schema" || lname == "sqlite_master" {
                    let table = schema_table();
                    self.table_source(Arc::new(table), &alias_name, left_join, sources);
                    return Ok(());
                }
                let table = self
                    .cat
                    .table(&tname)
                    .cloned()
                    .ok_or_else(|| Error::Sql(format!("no such table: {tname}")))?;
                if index_directives
                    .iter()
                    .any(|d| matches!(d, ast::TableIndexDirective::NotIndexed))
                {
                    self.not_indexed.insert(self.next_slot);
                }
                self.table_source(table, &alias_name, left_join, sources);
                Ok(())
            }
            TableFactor::Derived { subquery, alias, .. } => {
                let sel = self.query(subquery)?;
                let name = alias.as_ref().map_or_else(String::new, |a| a.name.value.clone());
                let cols = sel.columns.clone();
                self.select_source(sel, cols, &name, alias.as_ref(), left_join, sources);
                Ok(())
            }
            TableFactor::NestedJoin { table_with_joins, .. } => {
                self.bind_from_item(&table_with_joins.relation, left_join, sources, conds)?;
                for j in &table_with_joins.joins {
                    let (lj, c) = match &j.join_operator {
                        JoinOperator::Join(c)
                        | JoinOperator::Inner(c)
                        | JoinOperator::CrossJoin(c) => (false, c),
                        JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (true, c),
                        other => return err(format!("unsupported join {other:?}")),
                    };
                    let before = self.scopes.last().map_or(0, |sc| sc.srcs.len());
                    self.bind_from_item(&j.relation, lj, sources, conds)?;
                    let mut on = Vec::new();
                    match c {
                        JoinConstraint::On(e) => {
                            let b = self.expr(e)?;
                            split_and(b, &mut on);
                        }
                        JoinConstraint::Using(cols) => {
                            let names: Vec<String> = cols.iter().map(object_name).collect();
                            self.using_conditions(before, &names, &mut on)?;
                        }
                        _ => {}
                    }
                    if lj {
                        sources.last_mut().expect("just added").on = on;
                    } else {
                        conds.extend(on);
                    }
                }
                Ok(())
            }
            other => err(format!("unsupported FROM item: {other}")),
        }
    }

    /// Binds a query that sees no enclosing scopes (views).
    fn isolated_query(&mut self, q: &ast::Query) -> Result<Select> {
        let saved_scopes = std::mem::take(&mut self.scopes);
        let saved_ctes = std::mem::take(&mut self.ctes);
        let r = self.query(q);
        self.scopes = saved_scopes;
        self.ctes = saved_ctes;
        r
    }

    fn table_source(
        &mut self,
        table: Arc<Table>,
        alias: &str,
        left_join: bool,
        sources: &mut Vec<Source>,
    ) {
        let slot = self.alloc_slot();
        let cols = table
            .columns
            .iter()
            .map(|c| ColMeta {
                name: c.name.clone(),
                aff: Some(c.affinity),
                coll: Some(c.collation),
                hidden: false,
            })
            .collect();
        self.scopes.last_mut().expect("scope pushed").srcs.push(ScopeSrc {
            name: lower(alias),
            cols,
            slot,
            has_rowid: !table.without_rowid,
        });
        sources.push(Source {
            slot,
            ncols: table.columns.len(),
            kind: SourceKind::Table(table),
            left_join,
            on: Vec::new(),
            access: Access::Scan,
            correlated: false,
            width: usize::MAX,
            need: Vec::new(),
        });
    }

    fn select_source(
        &mut self,
        sel: Select,
        cols: Vec<String>,
        alias: &str,
        ast_alias: Option<&ast::TableAlias>,
        left_join: bool,
        sources: &mut Vec<Source>,
    ) {
        let names: Vec<String> = match ast_alias {
            Some(a) if !a.columns.is_empty() => {
                a.columns.iter().map(|c| c.name.value.clone()).collect()
            }
            _ => cols,
        };
        let slot = self.alloc_slot();
        let metas = names
            .iter()
            .enumerate()
            .map(|(i, n)| ColMeta {
                name: n.clone(),
                aff: sel.affinities.get(i).copied().flatten(),
                coll: sel.collations.get(i).copied().flatten(),
                hidden: false,
            })
            .collect();
        self.scopes.last_mut().expect("scope pushed").srcs.push(ScopeSrc {
            name: lower(alias),
            cols: metas,
            slot,
            has_rowid: false,
        });
        let correlated = self.select_reads_outside(&sel);
        sources.push(Source {
            slot,
            ncols: sel.ncols,
            kind: SourceKind::Select(Box::new(sel)),
            left_join,
            on: Vec::new(),
            access: Access::Scan,
            correlated,
            width: usize::MAX,
            need: Vec::new(),
        });
    }

    /// Conservative: a FROM subquery is recomputed per use when the statement has enclosing
    /// scopes it may read (it is bound inside a correlated subquery).
    fn select_reads_outside(&self, _sel: &Select) -> bool {
        self.sub_refs.iter().any(|(_, set)| !set.is_empty()) || self.scopes.len() > 1
    }

    fn cte_source(
        &mut self,
        name: &str,
        cte: &Cte,
        alias: Option<&ast::TableAlias>,
        alias_name: &str,
        left_join: bool,
        sources: &mut Vec<Source>,
    ) -> Result<()> {
        if let Some((slot, metas)) = &cte.recursive {
            // The recursive reference inside the CTE's own step: reads the queue row.
            self.scopes.last_mut().expect("scope pushed").srcs.push(ScopeSrc {
                name: lower(alias_name),
                cols: metas.clone(),
                slot: *slot,
                has_rowid: false,
            });
            let _ = (alias, left_join);
            sources.push(Source {
                slot: *slot,
                ncols: metas.len(),
                kind: SourceKind::Queue,
                left_join,
                on: Vec::new(),
                access: Access::Scan,
                correlated: true,
                width: usize::MAX,
                need: Vec::new(),
            });
            return Ok(());
        }
        let sel = self.cte_select(name, cte)?;
        let cols = if cte.columns.is_empty() { sel.columns.clone() } else { cte.columns.clone() };
        self.select_source(sel, cols, alias_name, alias, left_join, sources);
        Ok(())
    }

    /// Binds a CTE's query, recursive or not.
    fn cte_select(&mut self, name: &str, cte: &Cte) -> Result<Select> {
        let lname = lower(name);
        let recursive_parts = match cte.query.body.as_ref() {
            SetExpr::SetOperation { left, op: SetOperator::Union, set_quantifier, right }
                if query_mentions(right, &lname) =>
            {
                Some((left.clone(), right.clone(), matches!(set_quantifier, SetQuantifier::All)))
            }
            _ => None,
        };
        // Within its own definition, the CTE's name refers to itself only when recursive;
        // hide it to avoid infinite expansion otherwise.
        let Some((init, step, union_all)) = recursive_parts else {
            let hidden = self.hide_cte(&lname);
            let r = self.query(&cte.query);
            self.restore_cte(&lname, hidden);
            return r;
        };
        let hidden = self.hide_cte(&lname);
        let init_r = self.body(&init);
        let (init_body, cols, affs, colls) = match init_r {
            Ok(x) => x,
            Err(e) => {
                self.restore_cte(&lname, hidden);
                return Err(e);
            }
        };
        let names = if cte.columns.is_empty() { cols } else { cte.columns.clone() };
        let slot = self.alloc_slot();
        let metas: Vec<ColMeta> = names
            .iter()
            .enumerate()
            .map(|(i, n)| ColMeta {
                name: n.clone(),
                aff: affs.get(i).copied().flatten(),
                coll: colls.get(i).copied().flatten(),
                hidden: false,
            })
            .collect();
        let mut map = HashMap::new();
        map.insert(
            lname.clone(),
            Cte {
                query: cte.query.clone(),
                columns: names.clone(),
                recursive: Some((slot, metas)),
            },
        );
        self.ctes.push(map);
        let step_r = self.body(&step);
        self.ctes.pop();
        self.restore_cte(&lname, hidden);
        let (step_body, step_cols, _, _) = step_r?;
        if step_cols.len() != names.len() {
            return err("SELECTs to the left and right of UNION do not have the same number of result columns");
        }
        let mut sel = Select {
            body: Body::Recursive {
                init: Box::new(init_body),
                step: Box::new(step_body),
                slot,
                union_all,
            },
            order: Vec::new(),
            limit: None,
            offset: None,
            ncols: names.len(),
            columns: names,
            affinities: affs,
            collations: colls,
        };
        let order = Self::order_terms(&cte.query);
        for ob in order {
            let (key, coll) = Self::compound_order_key(&ob.expr, &sel.columns)?;
            let desc = matches!(ob.options.sort, Some(ast::OrderBySort::Desc));
            sel.order.push(OrderTerm {
                key,
                desc,
                nulls_first: ob.options.nulls_first.unwrap_or(!desc),
                coll: coll.unwrap_or_default(),
            });
        }
        let (limit, offset) = self.limit_exprs(&cte.query)?;
        sel.limit = limit;
        sel.offset = offset;
        Ok(sel)
    }

    fn hide_cte(&mut self, name: &str) -> Vec<(usize, Cte)> {
        let mut hidden = Vec::new();
        for (i, m) in self.ctes.iter_mut().enumerate() {
            if let Some(c) = m.remove(name) {
                hidden.push((i, c));
            }
        }
        hidden
    }

    fn restore_cte(&mut self, name: &str, hidden: Vec<(usize, Cte)>) {
        for (i, c) in hidden {
            self.ctes[i].insert(name.to_string(), c);
        }
    }

    fn table_function(
        &mut self,
        name: &str,
        args: &[FunctionArg],
        alias: &str,
        left_join: bool,
        sources: &mut Vec<Source>,
    ) -> Result<()> {
        let lname = lower(name);
        if lname == "vector_top_k" {
            return self.vector_top_k(args, alias, left_join, sources);
        }
        if lname != "json_each" && lname != "json_tree" {
            return err(format!("no such table-valued function: {name}"));
        }
        let mut bound = Vec::new();
        for a in args {
            match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => bound.push(self.expr(e)?),
                other => return err(format!("unsupported argument {other}")),
            }
        }
        if bound.is_empty() || bound.len() > 2 {
            return err(format!("wrong number of arguments to {name}()"));
        }
        let names =
            ["key", "value", "type", "atom", "id", "parent", "fullkey", "path", "json", "root"];
        let kind = SourceKind::JsonEach { args: bound, recursive: lname == "json_tree" };
        self.function_source(&names, &["json", "root"], kind, alias, left_join, sources);
        Ok(())
    }

    /// Adds a table-valued function's rows as a source (re-computed for each outer row) with
    /// the columns `names`, of which `hidden` are left out of `*`.
    fn function_source(
        &mut self,
        names: &[&str],
        hidden: &[&str],
        kind: SourceKind,
        alias: &str,
        left_join: bool,
        sources: &mut Vec<Source>,
    ) {
        let slot = self.alloc_slot();
        let cols = names
            .iter()
            .map(|n| ColMeta {
                name: (*n).to_string(),
                aff: None,
                coll: None,
                hidden: hidden.contains(n),
            })
            .collect();
        self.scopes.last_mut().expect("scope pushed").srcs.push(ScopeSrc {
            name: lower(alias),
            cols,
            slot,
            has_rowid: true,
        });
        sources.push(Source {
            slot,
            ncols: names.len(),
            kind,
            left_join,
            on: Vec::new(),
            access: Access::Scan,
            correlated: true,
            width: usize::MAX,
            need: Vec::new(),
        });
    }

    /// `vector_top_k('index', query, k [, search_l])`: rows `(id, distance)`.
    fn vector_top_k(
        &mut self,
        args: &[FunctionArg],
        alias: &str,
        left_join: bool,
        sources: &mut Vec<Source>,
    ) -> Result<()> {
        let mut exprs = Vec::new();
        for a in args {
            match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => exprs.push(e),
                other => return err(format!("unsupported argument {other}")),
            }
        }
        if !(3..=4).contains(&exprs.len()) {
            return err(
                "vector_top_k takes an index name, a query vector, k and an optional search width",
            );
        }
        let Expr::Lit(Value::Text(name)) = self.expr(exprs[0])? else {
            return err("vector_top_k: the first argument must be the index name as a string");
        };
        let def = self
            .cat
            .vector_indexes
            .get(&lower(&name))
            .cloned()
            .ok_or_else(|| Error::Sql(format!("vector_top_k: no such vector index: {name}")))?;
        let mut bound = Vec::new();
        for e in &exprs[1..] {
            bound.push(self.expr(e)?);
        }
        let kind = SourceKind::VectorTopK { def, args: bound };
        self.function_source(&["id", "distance"], &[], kind, alias, left_join, sources);
        Ok(())
    }

    /// Answers `ORDER BY` by the order in which the first source's rows are read, when the sort
    /// terms are its rowid (a scan or rowid range, run backwards for `DESC`) or the key columns of
    /// an index after those its seek fixes (the index is scanned, forwards or backwards). The sort
    /// is then dropped, and a `LIMIT` stops the scan early. A plain scan turns into an index scan
    /// only when the index covers the query or a `LIMIT` bounds the table lookups.
    fn use_scan_order(&self, sel: &mut Select) {
        if sel.order.is_empty() {
            return;
        }
        let limited = sel.limit.is_some();
        let Body::Core(core) = &mut sel.body else { return };
        if core.aggregate || core.distinct || !core.windows.is_empty() {
            return;
        }
        let Some(src) = core.sources.first_mut() else { return };
        let SourceKind::Table(table) = &src.kind else { return };
        let mut terms = Vec::with_capacity(sel.order.len());
        for t in &sel.order {
            match core.output.get(t.key) {
                Some(Expr::Col(s, c)) if *s == src.slot => terms.push((*c, t)),
                _ => return,
            }
        }
        let is_rowid = |c: usize| c == table.columns.len() || Some(c) == table.rowid_alias;
        let covers = |index: &Index| {
            src.width != usize::MAX
                && src.need.iter().enumerate().all(|(c, &n)| !n || index_holds(table, index, c))
        };
        let full_indexes =
            || self.cat.indexes_of(&table.name).into_iter().filter(|ix| ix.predicate.is_none());
        let access = match &src.access {
            Access::Scan | Access::RowidRange { reverse: false, .. } if is_rowid(terms[0].0) => {
                let (lo, hi) = match &src.access {
                    Access::RowidRange { lo, hi, .. } => (lo.clone(), hi.clone()),
                    _ => (None, None),
                };
                Access::RowidRange { lo, hi, reverse: terms[0].1.desc }
            }
            Access::Scan => {
                let Some((index, reverse)) = full_indexes()
                    .find_map(|ix| index_order(table, &ix, 0, &terms).map(|r| (ix, r)))
                else {
                    return;
                };
                let covering = covers(&index);
                if !covering && !limited {
                    return;
                }
                Access::IndexSeek { index, keys: Vec::new(), range: None, covering, reverse }
            }
            Access::IndexSeek { index, keys, range, covering, reverse: false } => {
                // The seek's index, or another whose leading columns take the same keys.
                let same_keys = |ix: &Index| {
                    range.is_none()
                        && ix.columns.len() > keys.len()
                        && ix.columns[..keys.len()].iter().zip(&index.columns).all(|(a, b)| {
                            a.column.is_some() && a.column == b.column && a.collation == b.collation
                        })
                };
                let choice = std::iter::once(index.clone())
                    .chain(full_indexes().filter(|ix| same_keys(ix)))
                    .find_map(|ix| index_order(table, &ix, keys.len(), &terms).map(|r| (ix, r)));
                let Some((ix, reverse)) = choice else { return };
                let covering = if Arc::ptr_eq(&ix, index) { *covering } else { covers(&ix) };
                Access::IndexSeek {
                    index: ix,
                    keys: keys.clone(),
                    range: range.clone(),
                    covering,
                    reverse,
                }
            }
            _ => return,
        };
        src.access = access;
        sel.order.clear();
    }

    /// Plans `SELECT ... FROM t [WHERE ...] ORDER BY vector_distance_xxx(col, q) LIMIT k` as a
    /// search of a vector index on `t.col` with the same metric (approximate, as pgvector does;
    /// `FROM t NOT INDEXED` asks for the exact answer).
    fn use_vector_index(&mut self, sel: &mut Select) {
        let (Some(limit), [term]) = (&sel.limit, sel.order.as_slice()) else { return };
        if term.desc {
            return;
        }
        let Body::Core(core) = &mut sel.body else { return };
        if core.aggregate || core.distinct || !core.windows.is_empty() || core.sources.len() != 1 {
            return;
        }
        let src = &core.sources[0];
        let SourceKind::Table(table) = &src.kind else { return };
        if src.left_join || !matches!(src.access, Access::Scan) {
            return;
        }
        let Some(Expr::Func(fname, func, args)) = core.output.get(term.key) else { return };
        let metric = match *fname {
            "vector_distance_cos" => embedlite_vector::Metric::Cosine,
            "vector_distance_l2" => embedlite_vector::Metric::L2,
            "vector_distance_dot" => embedlite_vector::Metric::Dot,
            _ => return,
        };
        let constant = |e: &Expr| {
            let (mut cols, mut subs) = (0, 0);
            walk_expr(e, &mut |_, _| cols += 1, &mut |_| subs += 1);
            cols + subs == 0
        };
        let (col, query, row_first) = match args.as_slice() {
            [Expr::Col(s, c), q] if *s == src.slot && constant(q) => (*c, q.clone(), true),
            [q, Expr::Col(s, c)] if *s == src.slot && constant(q) => (*c, q.clone(), false),
            _ => return,
        };
        let def = if self.not_indexed.contains(&src.slot) {
            None
        } else {
            self.cat
                .vector_indexes_of(&table.name)
                .into_iter()
                .find(|d| d.column == col && d.params.metric == metric && d.predicate.is_none())
        };
        let (fname, func) = (*fname, *func);
        let k = match &sel.offset {
            Some(o) => Expr::Arith(
                super::coerce::ArithOp::Add,
                Box::new(limit.clone()),
                Box::new(o.clone()),
            ),
            None => limit.clone(),
        };
        let Some(def) = def else {
            // No index: an exact scan that keeps the k best rows by the distance alone, reading
            // the vector from each page without building the row (unfiltered queries only).
            if core.filters.first().is_none_or(Vec::is_empty)
                && col < table.columns.len()
                && Some(col) != table.rowid_alias
                && !table.without_rowid
            {
                core.sources[0].access =
                    Access::ExactVector { column: col, func: (fname, func), query, k, row_first };
            }
            return;
        };
        // The rows the WHERE conditions allow come from a plan of their own, which may seek an
        // index and reads only the columns the conditions need.
        let conds = core.filters.first().cloned().unwrap_or_default();
        let filter = if conds.is_empty() {
            None
        } else {
            let mut src = core.sources[0].clone();
            src.access = Access::Scan;
            let aggctx = AggCtx::new(core.agg_slot);
            let plan = self.plan_core(
                vec![src],
                conds,
                Vec::new(),
                Vec::new(),
                aggctx,
                false,
                None,
                Vec::new(),
                0,
                false,
            );
            Some(Box::new(plan))
        };
        core.sources[0].access = Access::Vector { def, query, k, filter };
    }

    // ----- planning -----------------------------------------------------------------------

    /// Plans a plain scan of sources with conditions (for UPDATE and DELETE).
    pub fn plan_scan(
        &mut self,
        sources: Vec<Source>,
        conds: Vec<Expr>,
        agg_slot: usize,
    ) -> Result<Core> {
        let aggctx = AggCtx::new(agg_slot);
        let mut core = self.plan_core(
            sources,
            conds,
            Vec::new(),
            Vec::new(),
            aggctx,
            false,
            None,
            Vec::new(),
            0,
            false,
        );
        // UPDATE and DELETE need whole rows.
        for src in &mut core.sources {
            src.width = usize::MAX;
            src.need.clear();
            if let Access::IndexSeek { covering, .. } = &mut src.access {
                *covering = false;
            }
        }
        Ok(core)
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_core(
        &mut self,
        mut sources: Vec<Source>,
        conds: Vec<Expr>,
        group_by: Vec<Expr>,
        group_colls: Vec<Collation>,
        aggctx: AggCtx,
        aggregate: bool,
        having: Option<Expr>,
        output: Vec<Expr>,
        ncols: usize,
        distinct: bool,
    ) -> Core {
        // Output columns that are GROUP BY terms read the group's key (taken from its first
        // row, as SQLite does), not the last row of the group.
        let group_slot = self.alloc_slot();
        let mut output = output;
        let mut having = having;
        let win_slot = aggctx.win.slot;
        let mut windows = aggctx.win.calls;
        if !group_by.is_empty() {
            let window_exprs = windows.iter_mut().flat_map(|w| {
                w.args.iter_mut().chain(w.filter.iter_mut()).chain(w.keys.iter_mut())
            });
            for e in output.iter_mut().chain(having.iter_mut()).chain(window_exprs) {
                substitute_group_cols(e, &group_by, group_slot);
            }
        }
        let sub_slots = self.sub_slot_sets();
        let slots_of = |e: &Expr| {
            let mut set = HashSet::new();
            expr_slots(e, &sub_slots, &mut set);
            set
        };
        access::order_sources(self.cat, &mut sources, &conds, &slots_of);
        let slot_level: HashMap<usize, usize> =
            sources.iter().enumerate().map(|(i, s)| (s.slot, i)).collect();
        let level_of = |e: &Expr| -> Option<usize> {
            let mut set = HashSet::new();
            expr_slots(e, &sub_slots, &mut set);
            set.iter().filter_map(|s| slot_level.get(s)).max().copied()
        };
        let mut pre_filters = Vec::new();
        let mut filters: Vec<Vec<Expr>> = vec![Vec::new(); sources.len()];
        for c in conds {
            match level_of(&c) {
                None => pre_filters.push(c),
                Some(l) => filters[l].push(c),
            }
        }
        // Access paths: equality on the rowid or an index's leading columns, from conditions
        // that only read earlier levels (or nothing of this query).
        for i in 0..sources.len() {
            let SourceKind::Table(table) = &sources[i].kind else { continue };
            if table.name == "sqlite_schema" {
                continue;
            }
            let cands = if sources[i].left_join { &sources[i].on } else { &filters[i] };
            let earlier = |e: &Expr| level_of(e).is_none_or(|l| l < i);
            let (access, consumed) =
                access::choose_access(self.cat, table, sources[i].slot, cands, &earlier);
            if !matches!(access, Access::Scan) {
                sources[i].access = access;
            }
            if !sources[i].left_join {
                let mut pos = 0;
                filters[i].retain(|_| {
                    pos += 1;
                    !consumed.contains(&(pos - 1))
                });
            }
        }
        // An index seek covers its source when every column the query reads of it is in the
        // index: the row is then built from the index entry, without a table lookup.
        let mut used: HashMap<usize, HashSet<usize>> = HashMap::new();
        let mut sub_reads: HashSet<usize> = HashSet::new();
        {
            let mut note = |e: &Expr| {
                let mut subs_used = Vec::new();
                walk_expr(
                    e,
                    &mut |s, c| {
                        used.entry(s).or_default().insert(c);
                    },
                    &mut |n| subs_used.push(n),
                );
                for n in subs_used {
                    sub_reads.extend(sub_slots[n].iter().copied());
                }
            };
            output
                .iter()
                .chain(having.iter())
                .chain(group_by.iter())
                .chain(pre_filters.iter())
                .chain(filters.iter().flatten())
                .for_each(&mut note);
            for src in &sources {
                src.on.iter().for_each(&mut note);
                match &src.access {
                    Access::RowidEq(e) => note(e),
                    Access::RowidRange { lo, hi, .. } => {
                        lo.iter().chain(hi.iter()).for_each(|(e, _)| note(e));
                    }
                    Access::IndexSeek { keys, range, .. } => {
                        for (e, _) in keys {
                            note(e);
                        }
                        if let Some(r) = range {
                            r.lo.iter().chain(r.hi.iter()).for_each(|b| note(&b.value));
                        }
                    }
                    Access::Vector { query, k, .. } | Access::ExactVector { query, k, .. } => {
                        note(query);
                        note(k);
                    }
                    Access::Scan => {}
                }
                if let SourceKind::JsonEach { args, .. } | SourceKind::VectorTopK { args, .. } =
                    &src.kind
                {
                    args.iter().for_each(&mut note);
                }
            }
            for a in &aggctx.calls {
                a.args.iter().chain(a.filter.iter()).for_each(&mut note);
            }
            for w in &windows {
                w.args.iter().chain(w.filter.iter()).chain(w.keys.iter()).for_each(&mut note);
            }
        }
        for src in &mut sources {
            let SourceKind::Table(table) = &src.kind else { continue };
            let ncols = table.columns.len();
            let alias = table.rowid_alias;
            if !sub_reads.contains(&src.slot) {
                let read = |c: usize| {
                    c < ncols
                        && Some(c) != alias
                        && used.get(&src.slot).is_some_and(|cols| cols.contains(&c))
                };
                src.width = (0..ncols).rev().find(|&c| read(c)).map_or(0, |c| c + 1);
                src.need = (0..src.width).map(read).collect();
            }
            if let Access::IndexSeek { index, covering, .. } = &mut src.access {
                *covering = !sub_reads.contains(&src.slot)
                    && used
                        .get(&src.slot)
                        .is_none_or(|cols| cols.iter().all(|&c| index_holds(table, index, c)));
            }
        }
        let slots: Vec<usize> = sources.iter().map(|s| s.slot).collect();
        // Whether grouped output reads source columns directly (bare columns), which then need
        // each group's last row.
        let mut read = HashSet::new();
        let window_exprs =
            windows.iter().flat_map(|w| w.args.iter().chain(w.filter.iter()).chain(w.keys.iter()));
        for e in output.iter().chain(having.iter()).chain(window_exprs) {
            expr_slots(e, &sub_slots, &mut read);
        }
        let bare_columns = slots.iter().any(|s| read.contains(s));
        Core {
            bare_columns,
            sources,
            pre_filters,
            filters,
            group_by,
            group_colls,
            aggs: aggctx.calls,
            agg_slot: aggctx.slot,
            aggregate,
            having,
            output,
            ncols,
            distinct,
            slots,
            group_slot,
            windows,
            win_slot,
        }
    }
}

/// Whether scanning `index` (forwards: `Some(false)`, backwards: `Some(true)`) yields rows in
/// the order of the sort `terms` (column, term), when its first `fixed` key columns are held
/// equal by the seek. Terms on those columns are constant and skipped; the rowid, which follows
/// the key columns in every entry, may end the terms.
fn index_order(
    table: &Table,
    index: &Index,
    fixed: usize,
    terms: &[(usize, &OrderTerm)],
) -> Option<bool> {
    let is_rowid = |c: usize| c == table.columns.len() || Some(c) == table.rowid_alias;
    let mut pos = fixed;
    let mut reverse = None;
    for &(c, t) in terms {
        if index.columns[..fixed].iter().any(|ic| ic.column == Some(c)) {
            continue;
        }
        let (desc, nulls_first) = match index.columns.get(pos) {
            Some(ic) if ic.column == Some(c) && ic.collation == t.coll => (ic.desc, !ic.desc),
            None if is_rowid(c) => (false, true),
            _ => return None,
        };
        // Read backwards, the column's order and its NULLs' place flip.
        let rev = t.desc != desc;
        if reverse.is_some_and(|r| r != rev) || t.nulls_first != (nulls_first != rev) {
            return None;
        }
        reverse = Some(rev);
        if pos == index.columns.len() {
            break;
        }
        pos += 1;
    }
    reverse
}

/// Whether the entries of `index` hold column `c` of `table` (the rowid is in every entry; a
/// `WITHOUT ROWID` table's entries hold its primary key, and its primary key's entries are its
/// rows).
fn index_holds(table: &Table, index: &Index, c: usize) -> bool {
    if table.without_rowid {
        return index.primary_key
            || index.columns.iter().chain(&table.pk).any(|ic| ic.column == Some(c));
    }
    c == table.columns.len()
        || Some(c) == table.rowid_alias
        || index.columns.iter().any(|ic| ic.column == Some(c))
}

/// Replaces column references equal to a GROUP BY column term by the group key's column.
fn substitute_group_cols(e: &mut Expr, group_by: &[Expr], group_slot: usize) {
    if let Expr::Col(s, c) = e {
        if let Some(i) =
            group_by.iter().position(|g| matches!(g, Expr::Col(gs, gc) if gs == s && gc == c))
        {
            *e = Expr::Col(group_slot, i);
        }
        return;
    }
    let go = |x: &mut Expr| substitute_group_cols(x, group_by, group_slot);
    match e {
        Expr::Neg(a) | Expr::Not(a) | Expr::BitNot(a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => {
            go(a);
        }
        Expr::Arith(_, a, b)
        | Expr::Concat(a, b)
        | Expr::Bit(_, a, b)
        | Expr::And(a, b)
        | Expr::Or(a, b) => {
            go(a);
            go(b);
        }
        Expr::Cmp { l, r, .. } | Expr::Is { l, r, .. } => {
            go(l);
            go(r);
        }
        Expr::Like { e, pat, esc, .. } => {
            go(e);
            go(pat);
            if let Some(x) = esc {
                go(x);
            }
        }
        Expr::Between { e, lo, hi, .. } => {
            go(e);
            go(lo);
            go(hi);
        }
        Expr::InList { e, list, .. } => {
            go(e);
            list.iter_mut().for_each(go);
        }
        Expr::InSub { e, .. } => go(e),
        Expr::Case { operand, whens, else_, .. } => {
            if let Some(o) = operand {
                go(o);
            }
            for (w, t) in whens {
                go(w);
                go(t);
            }
            if let Some(x) = else_ {
                go(x);
            }
        }
        Expr::Func(_, _, args) | Expr::Coalesce(args) => args.iter_mut().for_each(go),
        Expr::Iif(a, b, c) => {
            go(a);
            go(b);
            go(c);
        }
        Expr::Lit(_) | Expr::Param(_) | Expr::Col(..) | Expr::Exists { .. } | Expr::Scalar(_) => {}
    }
}

/// Whether a query text mentions a table name in a FROM clause (to detect recursive CTEs).
fn query_mentions(s: &SetExpr, name: &str) -> bool {
    match s {
        SetExpr::Select(sel) => sel.from.iter().any(|t| {
            factor_mentions(&t.relation, name)
                || t.joins.iter().any(|j| factor_mentions(&j.relation, name))
        }),
        SetExpr::SetOperation { left, right, .. } => {
            query_mentions(left, name) || query_mentions(right, name)
        }
        SetExpr::Query(q) => query_mentions(&q.body, name),
        _ => false,
    }
}

fn factor_mentions(f: &TableFactor, name: &str) -> bool {
    match f {
        TableFactor::Table { name: n, .. } => object_name(n).eq_ignore_ascii_case(name),
        TableFactor::Derived { subquery, .. } => query_mentions(&subquery.body, name),
        TableFactor::NestedJoin { table_with_joins, .. } => {
            factor_mentions(&table_with_joins.relation, name)
                || table_with_joins.joins.iter().any(|j| factor_mentions(&j.relation, name))
        }
        _ => false,
    }
}

/// `sqlite_schema` as a table.
#[must_use]
pub fn schema_table() -> Table {
    let col = |n: &str, t: &str| super::catalog::Column {
        name: n.into(),
        decl_type: t.into(),
        affinity: affinity_of_type(t),
        collation: Collation::Binary,
        not_null: false,
        default: None,
        default_value: Value::Null,
        primary_key: false,
        vector: None,
    };
    Table {
        name: "sqlite_schema".into(),
        root: crate::storage::PageNo::ONE,
        columns: vec![
            col("type", "text"),
            col("name", "text"),
            col("tbl_name", "text"),
            col("rootpage", "int"),
            col("sql", "text"),
        ],
        rowid_alias: None,
        autoincrement: false,
        checks: Vec::new(),
        without_rowid: false,
        pk: Vec::new(),
        foreign_keys: Vec::new(),
        sql: String::new(),
    }
}
