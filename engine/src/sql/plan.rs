//! Bound statements: what the binder produces and the executor runs. Names are resolved,
//! column references are `(slot, column)` pairs into the runtime environment, affinities and
//! collations of comparisons are decided.

use std::sync::Arc;

use super::catalog::{Index, Table};
use super::coerce::{Affinity, ArithOp};
use crate::functions::ScalarFn;
use crate::storage::record::Collation;
use crate::storage::Value;

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// Bitwise operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    /// `&`
    And,
    /// `|`
    Or,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
}

/// A bound expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A constant.
    Lit(Value),
    /// Parameter number (0-based).
    Param(usize),
    /// Column `col` of the row in `slot` (the rowid is the column after the last).
    Col(usize, usize),
    /// `-x`
    Neg(Box<Expr>),
    /// `NOT x`
    Not(Box<Expr>),
    /// `~x`
    BitNot(Box<Expr>),
    /// `+ - * / %`
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `||`
    Concat(Box<Expr>, Box<Expr>),
    /// `& | << >>`
    Bit(BitOp, Box<Expr>, Box<Expr>),
    /// Comparison, with the collation and the affinity applied to both sides.
    Cmp { op: CmpOp, l: Box<Expr>, r: Box<Expr>, coll: Collation, aff: Option<Affinity> },
    /// `l IS r` (or `IS NOT` when negated).
    Is { l: Box<Expr>, r: Box<Expr>, negated: bool, coll: Collation, aff: Option<Affinity> },
    /// `AND`
    And(Box<Expr>, Box<Expr>),
    /// `OR`
    Or(Box<Expr>, Box<Expr>),
    /// `x IS NULL` / `x IS NOT NULL`.
    IsNull(Box<Expr>, bool),
    /// `LIKE`, `GLOB`.
    Like { e: Box<Expr>, pat: Box<Expr>, esc: Option<Box<Expr>>, negated: bool, glob: bool },
    /// `BETWEEN`.
    Between {
        e: Box<Expr>,
        lo: Box<Expr>,
        hi: Box<Expr>,
        negated: bool,
        coll: Collation,
        aff: Option<Affinity>,
    },
    /// `IN (list)`.
    InList { e: Box<Expr>, list: Vec<Expr>, negated: bool, coll: Collation, aff: Option<Affinity> },
    /// `IN (subquery)`; the subquery's number.
    InSub { e: Box<Expr>, sub: usize, negated: bool, coll: Collation, aff: Option<Affinity> },
    /// `EXISTS (subquery)`.
    Exists { sub: usize, negated: bool },
    /// `(subquery)` as a value.
    Scalar(usize),
    /// `CASE`.
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        else_: Option<Box<Expr>>,
        coll: Collation,
    },
    /// `CAST(x AS type)`.
    Cast(Box<Expr>, String),
    /// A scalar function call.
    Func(&'static str, ScalarFn, Vec<Expr>),
    /// `coalesce`/`ifnull`, evaluated lazily.
    Coalesce(Vec<Expr>),
    /// `iif(c, a, b)`, evaluated lazily.
    Iif(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// How rows of a table source are found.
#[derive(Debug, Clone)]
pub enum Access {
    /// Every row.
    Scan,
    /// The row with this rowid.
    RowidEq(Expr),
    /// Rows with rowid in a range (bounds with inclusiveness), in rowid order or, `reverse`,
    /// from the highest rowid down (for `ORDER BY rowid DESC`).
    RowidRange { lo: Option<(Expr, bool)>, hi: Option<(Expr, bool)>, reverse: bool },
    /// Rows whose index key starts with the values `keys` (each with the affinity to apply) and
    /// whose next key column lies in `range`, in index order or, `reverse`, backwards. A
    /// covering seek reads the columns from the index entries alone.
    IndexSeek {
        index: Arc<Index>,
        keys: Vec<(Expr, Affinity)>,
        range: Option<IndexRange>,
        covering: bool,
        reverse: bool,
    },
    /// The `k` rows nearest to `query` by a vector index (for `ORDER BY vector_distance_xxx(col,
    /// query) LIMIT k`), among the rows that `filter` (the source's `WHERE` conditions, planned
    /// on their own) yields.
    Vector {
        def: Arc<crate::vector_index::VectorIndexDef>,
        query: Expr,
        k: Expr,
        filter: Option<Box<Core>>,
    },
    /// The `k` rows nearest to `query` by an exact scan (`ORDER BY func(column, query) LIMIT k`
    /// without a vector index): only the distance is computed for each row, from the vector
    /// read in place, and only the `k` best rows are built.
    ExactVector {
        column: usize,
        func: (&'static str, crate::functions::ScalarFn),
        query: Expr,
        k: Expr,
        /// The column is the function's first argument (else its second).
        row_first: bool,
    },
}

/// Bounds on the values of the index column after the equality keys of an
/// [`Access::IndexSeek`] (for a `DESC` column the scan meets the upper bound first). The
/// conditions stay in the source's filters, which also drop the NULLs that a range reads when
/// it is open at the end where the index keeps them.
#[derive(Debug, Clone)]
pub struct IndexRange {
    /// Lower bound.
    pub lo: Option<RangeBound>,
    /// Upper bound.
    pub hi: Option<RangeBound>,
}

/// One bound of an [`IndexRange`].
#[derive(Debug, Clone)]
pub struct RangeBound {
    /// The value.
    pub value: Expr,
    /// Whether the bound itself is in the range.
    pub inclusive: bool,
    /// The affinity the comparison applies to the value.
    pub aff: Option<Affinity>,
}

/// Where a source's rows come from.
#[derive(Debug, Clone)]
pub enum SourceKind {
    /// A table's b-tree.
    Table(Arc<Table>),
    /// A subquery, view or CTE, computed into rows.
    Select(Box<Select>),
    /// The current row of a recursive CTE (already in the source's slot).
    Queue,
    /// `json_each`/`json_tree`(json[, path]).
    JsonEach { args: Vec<Expr>, recursive: bool },
    /// `vector_top_k(index, query, k [, search_l])`.
    VectorTopK { def: Arc<crate::vector_index::VectorIndexDef>, args: Vec<Expr> },
}

/// One source of a query's `FROM`.
#[derive(Debug, Clone)]
pub struct Source {
    /// Runtime slot of its row.
    pub slot: usize,
    /// Where its rows come from.
    pub kind: SourceKind,
    /// Number of columns (the rowid follows).
    pub ncols: usize,
    /// Outer-joined (`LEFT JOIN`): a row of NULLs when nothing matches.
    pub left_join: bool,
    /// `ON` conditions of a left join, which decide whether a row matches.
    pub on: Vec<Expr>,
    /// How rows are found.
    pub access: Access,
    /// Whether the source depends on outer or earlier rows (re-computed per use).
    pub correlated: bool,
    /// How many leading columns of a table's rows the query reads (`usize::MAX`: all); the
    /// others are left NULL instead of being decoded.
    pub width: usize,
    /// Which of those leading columns are read (empty: all of them).
    pub need: Vec<bool>,
}

/// An aggregate call.
#[derive(Debug, Clone)]
pub struct AggCall {
    /// Function name (lower case).
    pub name: String,
    /// Arguments.
    pub args: Vec<Expr>,
    /// `DISTINCT`.
    pub distinct: bool,
    /// `FILTER (WHERE ...)`.
    pub filter: Option<Expr>,
}

/// What a window call computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WinFunc {
    /// `row_number()`
    RowNumber,
    /// `rank()`
    Rank,
    /// `dense_rank()`
    DenseRank,
    /// `percent_rank()`
    PercentRank,
    /// `cume_dist()`
    CumeDist,
    /// `ntile(n)`
    Ntile,
    /// `lag(x [, offset [, default]])`
    Lag,
    /// `lead(x [, offset [, default]])`
    Lead,
    /// `first_value(x)`
    FirstValue,
    /// `last_value(x)`
    LastValue,
    /// `nth_value(x, n)`
    NthValue,
    /// An aggregate function (its lower-case name) over the frame.
    Agg(String),
}

/// One end of a window frame. Offsets are constants (they may read enclosing queries), evaluated
/// once per run of the core.
#[derive(Debug, Clone)]
pub enum FrameBound {
    /// `UNBOUNDED PRECEDING`
    UnboundedPreceding,
    /// `n PRECEDING`
    Preceding(Expr),
    /// `CURRENT ROW` (with `RANGE`: the first or last peer of the row).
    CurrentRow,
    /// `n FOLLOWING`
    Following(Expr),
    /// `UNBOUNDED FOLLOWING`
    UnboundedFollowing,
}

/// A window frame: `ROWS` or `RANGE` (without offsets) between two bounds. The binder has
/// checked that the start does not come after the end in the order UNBOUNDED PRECEDING,
/// PRECEDING, CURRENT ROW, FOLLOWING, UNBOUNDED FOLLOWING.
#[derive(Debug, Clone)]
pub struct Frame {
    /// `ROWS` (else `RANGE`, where the current row stands for all its peers).
    pub rows: bool,
    /// Where the frame starts.
    pub start: FrameBound,
    /// Where the frame ends (inclusive).
    pub end: FrameBound,
}

/// A window function call (`f(...) OVER (...)`); its value for the current row is the row in
/// the core's `win_slot`.
#[derive(Debug, Clone)]
pub struct WinCall {
    /// The function.
    pub func: WinFunc,
    /// Arguments.
    pub args: Vec<Expr>,
    /// The collation of the first argument, which `min` and `max` compare under.
    pub coll: Collation,
    /// `FILTER (WHERE ...)` (aggregates only).
    pub filter: Option<Expr>,
    /// The `PARTITION BY` terms, then the window's `ORDER BY` terms.
    pub keys: Vec<Expr>,
    /// How many of `keys` are partition terms.
    pub nparts: usize,
    /// One sort term per key (`key` indexes `keys`); partition terms sort ascending.
    pub order: Vec<OrderTerm>,
    /// The frame (ignored by the ranking functions and `lag`/`lead`).
    pub frame: Frame,
}

/// One `SELECT ... FROM ... WHERE ... GROUP BY ...`.
#[derive(Debug, Clone)]
pub struct Core {
    /// Sources in loop order.
    pub sources: Vec<Source>,
    /// Conditions checked once before the loops (constants and outer references).
    pub pre_filters: Vec<Expr>,
    /// Conditions checked after the row of level `i` is set.
    pub filters: Vec<Vec<Expr>>,
    /// `GROUP BY` terms.
    pub group_by: Vec<Expr>,
    /// Collations of the `GROUP BY` terms.
    pub group_colls: Vec<Collation>,
    /// Aggregate calls; their results are the row in `agg_slot`.
    pub aggs: Vec<AggCall>,
    /// Slot of the aggregate results.
    pub agg_slot: usize,
    /// An aggregate query (aggregates or `GROUP BY`).
    pub aggregate: bool,
    /// `HAVING`.
    pub having: Option<Expr>,
    /// Output expressions: the result columns, then hidden sort keys.
    pub output: Vec<Expr>,
    /// Number of result columns at the start of `output`.
    pub ncols: usize,
    /// `DISTINCT`.
    pub distinct: bool,
    /// Slots this core's sources use (to save and restore group representatives).
    pub slots: Vec<usize>,
    /// Slot of the current group's key values.
    pub group_slot: usize,
    /// Whether grouped output reads source columns outside aggregates and GROUP BY terms.
    pub bare_columns: bool,
    /// Window calls, computed after grouping and `HAVING`; their values are the row in
    /// `win_slot`.
    pub windows: Vec<WinCall>,
    /// Slot of the window values.
    pub win_slot: usize,
}

/// Compound operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompoundOp {
    /// `UNION`
    Union,
    /// `UNION ALL`
    UnionAll,
    /// `INTERSECT`
    Intersect,
    /// `EXCEPT`
    Except,
}

/// The body of a query.
#[derive(Debug, Clone)]
pub enum Body {
    /// One select core.
    Core(Box<Core>),
    /// `VALUES (...), (...)`.
    Values(Vec<Vec<Expr>>),
    /// A compound select.
    Compound(CompoundOp, Box<Body>, Box<Body>),
    /// A recursive CTE: the initial part, then the recursive part reading the queue slot.
    Recursive { init: Box<Body>, step: Box<Body>, slot: usize, union_all: bool },
}

/// One `ORDER BY` term: a position in the produced row.
#[derive(Debug, Clone)]
pub struct OrderTerm {
    /// Index into the produced row.
    pub key: usize,
    /// Descending.
    pub desc: bool,
    /// NULLs first (SQLite's default: first when ascending).
    pub nulls_first: bool,
    /// Collation.
    pub coll: Collation,
}

/// A complete query.
#[derive(Debug, Clone)]
pub struct Select {
    /// The body.
    pub body: Body,
    /// Sort terms.
    pub order: Vec<OrderTerm>,
    /// `LIMIT`.
    pub limit: Option<Expr>,
    /// `OFFSET`.
    pub offset: Option<Expr>,
    /// Visible columns (the produced rows may carry hidden sort keys after them).
    pub ncols: usize,
    /// Column names.
    pub columns: Vec<String>,
    /// Affinity of each result column (for comparisons with `IN (subquery)`).
    pub affinities: Vec<Option<Affinity>>,
    /// Collation of each result column.
    pub collations: Vec<Option<Collation>>,
}

/// A subquery used by an expression.
#[derive(Debug, Clone)]
pub struct SubPlan {
    /// The query.
    pub select: Select,
    /// Whether it reads rows of enclosing queries (then it is recomputed for each use).
    pub correlated: bool,
    /// The slots of enclosing queries it reads.
    pub outer_slots: std::collections::HashSet<usize>,
}
