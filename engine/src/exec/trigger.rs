//! Row triggers (SQLite's `trigger.c`): `BEFORE` and `AFTER` `INSERT`, `UPDATE [OF cols]` and
//! `DELETE`, with an optional `WHEN` and a body of `INSERT`, `UPDATE`, `DELETE` and `SELECT`
//! statements that read the `NEW` and `OLD` rows.
//!
//! A statement that writes a table with triggers carries a [`TriggerPlan`]: the programs of the
//! triggers its event fires, bound when the statement is bound (so the statement cache, which
//! rebinds when the schema cookie changes, also follows `CREATE`/`DROP TRIGGER`). `NEW` and
//! `OLD` are two slots holding full rows, the rowid in the column after the last. A body
//! statement that writes a table with triggers carries its own plan, bound in turn; as with
//! SQLite's default `recursive_triggers = OFF`, a trigger is not bound inside its own program,
//! which makes the tree of programs finite, and [`MAX_PROGRAMS`] bounds its size.
//!
//! Running (hooks in `dml.rs`): `BEFORE` programs run before the row is written or deleted,
//! `AFTER` programs after. `RAISE(IGNORE)` abandons the row (and its remaining programs);
//! `RAISE(ABORT|FAIL|ROLLBACK, msg)` fails the statement with [`Error::Raise`]. Body statements
//! do not count toward `changes()`, and `last_insert_rowid()` set inside a program reverts when
//! it ends, as in SQLite.

use std::ops::Range;

use sqlparser::ast::{self, TriggerEvent, TriggerPeriod};

use super::dml::{self, DeletePlan, InsertPlan, TableWriter, UpdatePlan};
use super::eval::eval_true;
use super::query::{run_select, Row};
use super::Cx;
use crate::error::{Error, RaiseAction, Result};
use crate::sql::bind::Binder;
use crate::sql::catalog::{object_name, Catalog, Table};
use crate::sql::plan::{Expr, Select};

/// Most trigger programs one statement may bind (nested programs included): triggers that
/// write each other's tables would otherwise multiply without end.
const MAX_PROGRAMS: usize = 10_000;

/// When a program runs relative to the row change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Before the row is written or deleted.
    Before,
    /// After it.
    After,
}

/// The change that fires triggers.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// `INSERT`.
    Insert,
    /// `UPDATE` of these columns (the rowid is the column after the last).
    Update(&'a [usize]),
    /// `DELETE`.
    Delete,
}

/// One statement of a trigger body.
#[derive(Debug, Clone)]
enum Step {
    Insert(InsertPlan),
    Update(UpdatePlan),
    Delete(DeletePlan),
    Select(Select),
}

/// One bound trigger.
#[derive(Debug, Clone)]
struct Program {
    timing: Timing,
    when: Option<Expr>,
    steps: Vec<Step>,
    /// The subqueries bound for it: their cached results are dropped at every firing.
    subs: Range<usize>,
    /// The slots bound for it (materialized `FROM` subqueries are dropped likewise).
    slots: Range<usize>,
}

/// The triggers one statement fires on one table.
#[derive(Debug, Clone)]
pub struct TriggerPlan {
    /// Slot of the `NEW` row.
    new_slot: usize,
    /// Slot of the `OLD` row.
    old_slot: usize,
    /// Most recently created first, as SQLite fires them.
    programs: Vec<Program>,
}

impl TriggerPlan {
    /// Whether any program runs at `timing`.
    #[must_use]
    pub fn has(&self, timing: Timing) -> bool {
        self.programs.iter().any(|p| p.timing == timing)
    }
}

fn err<T>(m: impl Into<String>) -> Result<T> {
    Err(Error::Sql(m.into()))
}

/// Checks a `CREATE TRIGGER` against its target before it is stored.
pub fn check_create(ct: &ast::CreateTrigger, cat: &Catalog) -> Result<()> {
    let table = object_name(&ct.table_name);
    let is_view = cat.views.contains_key(&table.to_ascii_lowercase());
    match ct.period {
        Some(TriggerPeriod::InsteadOf) if !is_view => {
            err(format!("cannot create INSTEAD OF trigger on table: {table}"))
        }
        Some(TriggerPeriod::InsteadOf) => Err(Error::Unsupported(format!(
            "INSTEAD OF triggers are not supported yet (view {table})"
        ))),
        Some(TriggerPeriod::Before) if is_view => {
            err(format!("cannot create BEFORE trigger on view: {table}"))
        }
        Some(TriggerPeriod::After) if is_view => {
            err(format!("cannot create AFTER trigger on view: {table}"))
        }
        Some(TriggerPeriod::For) => err("near \"FOR\": syntax error"),
        _ if ct.exec_body.is_some() || ct.statements.is_none() => {
            err("a trigger body must be BEGIN ... END")
        }
        _ if ct.events.iter().any(|e| matches!(e, TriggerEvent::Truncate)) => {
            err("near \"TRUNCATE\": syntax error")
        }
        _ => Ok(()),
    }
}

/// Whether trigger `ct` fires for `event` on its table.
fn fires_on(ct: &ast::CreateTrigger, event: Event<'_>, w: &TableWriter) -> bool {
    ct.events.iter().any(|e| match (e, event) {
        (TriggerEvent::Insert, Event::Insert) | (TriggerEvent::Delete, Event::Delete) => true,
        (TriggerEvent::Update(cols), Event::Update(set)) => {
            cols.is_empty()
                || cols
                    .iter()
                    .any(|c| w.table.column_index(&c.value).is_some_and(|i| set.contains(&i)))
        }
        _ => false,
    })
}

/// The triggers a statement writing `w`'s table fires for `event`, bound; `None` if there are
/// none.
pub fn bind(
    b: &mut Binder<'_>,
    cat: &Catalog,
    w: &TableWriter,
    event: Event<'_>,
) -> Result<Option<TriggerPlan>> {
    let table = w.table.name.to_ascii_lowercase();
    let mut found: Vec<_> = cat
        .triggers
        .iter()
        .filter(|(name, t)| t.table == table && !b.trigger_stack.contains(name))
        .filter_map(|(name, t)| t.def.clone().map(|d| (t.seq, name.clone(), d)))
        .filter(|(_, _, d)| {
            matches!(d.period, Some(TriggerPeriod::Before | TriggerPeriod::After))
                && fires_on(d, event, w)
        })
        .collect();
    if found.is_empty() {
        return Ok(None);
    }
    found.sort_by_key(|t| std::cmp::Reverse(t.0));
    let new_slot = b.alloc_slot();
    let old_slot = b.alloc_slot();
    let (new, old) = match event {
        Event::Insert => (Some(new_slot), None),
        Event::Update(_) => (Some(new_slot), Some(old_slot)),
        Event::Delete => (None, Some(old_slot)),
    };
    let mut programs = Vec::with_capacity(found.len());
    for (_, name, def) in found {
        b.trigger_programs += 1;
        if b.trigger_programs > MAX_PROGRAMS {
            return err("too many levels of trigger recursion");
        }
        b.trigger_stack.push(name);
        let r = b.isolated(|b| {
            b.push_trigger_scope(&w.table, new, old);
            bind_program(b, cat, &def)
        });
        b.trigger_stack.pop();
        programs.push(r?);
    }
    Ok(Some(TriggerPlan { new_slot, old_slot, programs }))
}

/// Binds the `WHEN` and body of trigger `def` on `table` without running them: what
/// `ALTER TABLE` checks to know that the trigger still names only columns that exist.
pub fn check_body(cat: &Catalog, table: &Table, def: &ast::CreateTrigger) -> Result<()> {
    let mut b = Binder::new(cat);
    let (new, old) = (b.alloc_slot(), b.alloc_slot());
    b.push_trigger_scope(table, Some(new), Some(old));
    bind_program(&mut b, cat, def).map(|_| ())
}

fn bind_program(b: &mut Binder<'_>, cat: &Catalog, def: &ast::CreateTrigger) -> Result<Program> {
    use sqlparser::ast::Statement;
    let subs_start = b.subs.len();
    let slots_start = b.slot_count();
    let timing = if matches!(def.period, Some(TriggerPeriod::Before)) {
        Timing::Before
    } else {
        Timing::After
    };
    let when = match &def.condition {
        Some(c) => Some(b.expr(c)?),
        None => None,
    };
    let mut steps = Vec::new();
    for stmt in def.statements.as_ref().map_or(&[][..], |s| s.statements().as_slice()) {
        steps.push(match stmt {
            Statement::Insert(ins) => Step::Insert(dml::bind_insert(b, cat, ins)?.0),
            Statement::Update(up) => Step::Update(dml::bind_update(b, cat, up)?.0),
            Statement::Delete(del) => Step::Delete(dml::bind_delete(b, cat, del)?.0),
            Statement::Query(q) => Step::Select(b.query(q)?),
            other => return err(format!("unsupported statement in a trigger body: {other}")),
        });
    }
    Ok(Program {
        timing,
        when,
        steps,
        subs: subs_start..b.subs.len(),
        slots: slots_start..b.slot_count(),
    })
}

/// Runs the programs of `plan` for `timing` with these `OLD` and `NEW` rows. Returns false if
/// one of them ran `RAISE(IGNORE)`: the caller abandons the row.
pub fn fire(
    plan: &TriggerPlan,
    timing: Timing,
    old: Option<&Row>,
    new: Option<&Row>,
    cx: &mut Cx<'_>,
) -> Result<bool> {
    if !plan.has(timing) {
        return Ok(true);
    }
    if let Some(o) = old {
        cx.env[plan.old_slot].clone_from(o);
    }
    if let Some(n) = new {
        cx.env[plan.new_slot].clone_from(n);
    }
    let changes = cx.changes;
    let last_rowid = cx.fnctx.last_insert_rowid;
    let r = run_programs(plan, timing, cx);
    cx.changes = changes;
    cx.fnctx.last_insert_rowid = last_rowid;
    match r {
        Ok(()) => Ok(true),
        Err(Error::Raise { action: RaiseAction::Ignore, .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

fn run_programs(plan: &TriggerPlan, timing: Timing, cx: &mut Cx<'_>) -> Result<()> {
    for p in plan.programs.iter().filter(|p| p.timing == timing) {
        for s in p.subs.clone() {
            cx.sub_cache[s] = None;
        }
        cx.materialized.retain(|slot, _| !p.slots.contains(slot));
        if let Some(w) = &p.when {
            if !eval_true(w, cx)? {
                continue;
            }
        }
        for step in &p.steps {
            match step {
                Step::Insert(s) => dml::run_nested_insert(s, cx)?,
                Step::Update(s) => dml::run_nested_update(s, cx)?,
                Step::Delete(s) => dml::run_nested_delete(s, cx)?,
                Step::Select(s) => {
                    run_select(s, cx, None)?;
                }
            }
        }
    }
    Ok(())
}
