//! The executor: runs bound statements against the pager.

mod alter;
pub mod ddl;
pub mod dml;
pub mod eval;
pub mod fkey;
pub mod pragma;
pub mod query;
pub mod trigger;
mod window;

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use crate::error::Result;
use crate::functions::FnContext;
use crate::sql::bind::Binder;
use crate::sql::catalog::Catalog;
use crate::sql::parse::Parsed;
use crate::sql::plan::{Select, SubPlan};
use crate::storage::pager::Pager;
use crate::storage::Value;

use self::dml::{DeletePlan, InsertPlan, UpdatePlan};
use self::eval::SubResult;
use self::query::Row;

/// The runtime state of one statement execution.
#[derive(Debug)]
pub struct Cx<'a> {
    /// The connection's pager (inside a transaction).
    pub pager: &'a mut Pager,
    /// Bound parameter values.
    pub params: &'a [Value],
    /// The statement's subqueries.
    pub subs: &'a [SubPlan],
    /// Results of uncorrelated subqueries.
    pub sub_cache: Vec<Option<Rc<SubResult>>>,
    /// The current row of every slot.
    pub env: Vec<Row>,
    /// State for `changes()`, `last_insert_rowid()`.
    pub fnctx: &'a mut FnContext,
    /// Rows of uncorrelated FROM subqueries, by slot.
    pub materialized: HashMap<usize, Rc<Vec<Row>>>,
    /// Rows changed by this statement.
    pub changes: i64,
    /// The connection's decoded vector indexes (`None` outside a connection).
    pub vectors: Option<&'a mut crate::vector_index::Mirrors>,
    /// Vector index changes of this statement, applied when it succeeds.
    pub vector_ops: Vec<(Arc<crate::vector_index::VectorIndexDef>, crate::vector_index::VecOp)>,
    /// `PRAGMA foreign_keys`: enforce foreign keys.
    pub foreign_keys: bool,
    /// Foreign-key checks queued until the end of the statement.
    pub fk: fkey::FkState,
    /// The cursors of each seeking source, by slot, kept between its seeks (see
    /// [`query::SeekState`]).
    pub seeks: Vec<Option<Box<query::SeekState>>>,
}

impl<'a> Cx<'a> {
    /// A context for a statement with `nslots` slots.
    pub fn new(
        pager: &'a mut Pager,
        params: &'a [Value],
        subs: &'a [SubPlan],
        nslots: usize,
        fnctx: &'a mut FnContext,
    ) -> Self {
        Cx {
            pager,
            params,
            subs,
            sub_cache: vec![None; subs.len()],
            env: vec![Vec::new(); nslots],
            fnctx,
            materialized: HashMap::new(),
            changes: 0,
            vectors: None,
            vector_ops: Vec::new(),
            foreign_keys: false,
            fk: fkey::FkState::default(),
            seeks: Vec::new(),
        }
    }
}

/// What a prepared statement does.
#[derive(Debug, Clone)]
pub enum Plan {
    /// A query.
    Query(Select),
    /// `INSERT`.
    Insert(InsertPlan),
    /// `UPDATE`.
    Update(UpdatePlan),
    /// `DELETE`.
    Delete(DeletePlan),
    /// `EXPLAIN QUERY PLAN`: its rows `(id, parent, notused, detail)`, made at bind time.
    Explain(Vec<Vec<Value>>),
    /// Everything else (DDL, transactions, pragmas), run from the parsed statement.
    Other(Box<Parsed>),
}

/// A bound statement.
#[derive(Debug, Clone)]
pub struct Bound {
    /// The plan.
    pub plan: Plan,
    /// Its subqueries.
    pub subs: Vec<SubPlan>,
    /// Runtime slots needed.
    pub nslots: usize,
    /// Parameter names by number.
    pub params: Vec<Option<String>>,
    /// Result column names.
    pub columns: Vec<String>,
}

impl Bound {
    /// Whether the statement needs a savepoint to be undone alone on error. A one-row `INSERT`
    /// checks every constraint before it writes anything, so it needs none.
    #[must_use]
    pub fn needs_savepoint(&self) -> bool {
        match &self.plan {
            Plan::Insert(p) => {
                p.w.fk.is_some()
                    || p.w.triggers.is_some()
                    || !(matches!(&p.source, dml::InsertSource::Values(rows) if rows.len() == 1)
                        && p.upsert.is_none()
                        && matches!(
                            p.conflict,
                            dml::Conflict::Abort | dml::Conflict::Fail | dml::Conflict::Ignore
                        ))
            }
            // `VACUUM` runs alone in its own transaction, which an error rolls back whole.
            Plan::Other(p) if matches!(p.as_ref(), Parsed::Vacuum) => false,
            _ => true,
        }
    }

    /// Whether running it writes the database.
    #[must_use]
    pub fn writes(&self) -> bool {
        matches!(self.plan, Plan::Insert(_) | Plan::Update(_) | Plan::Delete(_))
    }
}

/// The `INSERT`, `UPDATE` or `DELETE` that a query body after `WITH` stands for.
fn write_statement(body: &sqlparser::ast::SetExpr) -> Option<&sqlparser::ast::Statement> {
    use sqlparser::ast::SetExpr;
    match body {
        SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) => Some(s),
        _ => None,
    }
}

/// Binds an `INSERT`, `UPDATE` or `DELETE`.
fn bind_write(
    b: &mut Binder<'_>,
    cat: &Catalog,
    stmt: &sqlparser::ast::Statement,
) -> Result<(Plan, Vec<String>)> {
    use sqlparser::ast::Statement;
    Ok(match stmt {
        Statement::Insert(ins) => {
            let (p, cols) = dml::bind_insert(b, cat, ins)?;
            (Plan::Insert(p), cols)
        }
        Statement::Update(up) => {
            let (p, cols) = dml::bind_update(b, cat, up)?;
            (Plan::Update(p), cols)
        }
        Statement::Delete(del) => {
            let (p, cols) = dml::bind_delete(b, cat, del)?;
            (Plan::Delete(p), cols)
        }
        other => return Err(crate::Error::Unsupported(format!("not a write statement: {other}"))),
    })
}

/// Binds a parsed statement against the catalog.
pub fn bind(parsed: &Parsed, cat: &Catalog) -> Result<Bound> {
    use sqlparser::ast::Statement;
    let mut b = Binder::new(cat);
    let (plan, columns) = match parsed {
        Parsed::Sql(stmt) => match stmt.as_ref() {
            // `WITH ... INSERT/UPDATE/DELETE`: the statement with the CTEs in scope.
            Statement::Query(q) if write_statement(&q.body).is_some() => {
                let inner = write_statement(&q.body).expect("checked by the guard");
                b.with_ctes(q.with.as_ref(), |b| bind_write(b, cat, inner))?
            }
            Statement::Query(q) => {
                let sel = b.query(q)?;
                let cols = sel.columns.clone();
                (Plan::Query(sel), cols)
            }
            Statement::Explain { query_plan: true, statement, .. } => {
                let Statement::Query(q) = statement.as_ref() else {
                    return Err(crate::Error::Unsupported(
                        "EXPLAIN QUERY PLAN is supported for SELECT only".into(),
                    ));
                };
                let sel = b.query(q)?;
                let cols = ["id", "parent", "notused", "detail"].map(String::from).to_vec();
                (Plan::Explain(query::explain(&sel)), cols)
            }
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
                bind_write(&mut b, cat, stmt)?
            }
            _ => (Plan::Other(Box::new(parsed.clone())), pragma::columns_of(parsed)),
        },
        other => (Plan::Other(Box::new(other.clone())), pragma::columns_of(other)),
    };
    Ok(Bound { plan, nslots: b.slot_count(), params: b.params, subs: b.subs, columns })
}
