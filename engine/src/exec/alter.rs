//! `ALTER TABLE ... DROP COLUMN` and `ALTER TABLE ... RENAME COLUMN`, as SQLite's `alter.c` does
//! them: the stored `CREATE` texts are edited token by token (the rest stays as the user wrote
//! it), the whole edited schema must still bind — otherwise the statement fails with
//! `error in <kind> <name> after <what>: ...` and nothing changes — and a dropped column is
//! removed from every row, which keeps its rowid.
//!
//! A rename rewrites the column's name in its table (definition, constraints, `CHECK`s), in
//! `REFERENCES` clauses of every table, in the table's indexes, and in views and triggers. In
//! views and trigger bodies a name qualified by the table, one of its aliases, `NEW` or `OLD`
//! (triggers on the table) is renamed; an unqualified name only when no other table the
//! statement names has a column of that name (SQLite resolves every name; this is the
//! token-level approximation of that).

use std::collections::HashSet;

use sqlparser::ast::{self, Statement};

use super::trigger;
use crate::error::{Error, Result};
use crate::sql::bind::Binder;
use crate::sql::catalog::{index_from_create, table_from_create, Catalog, Table};
use crate::sql::lex::{matching_paren, table_items, tokenize, TokKind, Token};
use crate::sql::parse::{parse_one, Parsed};
use crate::storage::btree::{self, Cursor, TreeKind};
use crate::storage::pager::Pager;
use crate::storage::record::{decode_record, encode_record};
use crate::storage::schema::{self, SchemaEntry};
use crate::storage::Value;

fn err<T>(m: impl Into<String>) -> Result<T> {
    Err(Error::Sql(m.into()))
}

/// Words that end a column's declared type and start its constraints.
const CONSTRAINT_WORDS: [&str; 11] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// Words after which an identifier names something other than a column.
const NOT_A_COLUMN_AFTER: [&str; 12] = [
    "AS",
    "COLLATE",
    "CONSTRAINT",
    "DEFAULT",
    "FROM",
    "JOIN",
    "INTO",
    "UPDATE",
    "TABLE",
    "VIEW",
    "TRIGGER",
    "INDEX",
];

/// Words that may follow a table name in `FROM` without being its alias.
const NOT_AN_ALIAS: [&str; 24] = [
    "WHERE",
    "JOIN",
    "ON",
    "LEFT",
    "RIGHT",
    "INNER",
    "CROSS",
    "NATURAL",
    "FULL",
    "OUTER",
    "USING",
    "GROUP",
    "ORDER",
    "LIMIT",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "WINDOW",
    "HAVING",
    "SET",
    "VALUES",
    "INDEXED",
    "NOT",
    "DEFAULT",
];

/// The message of an error, without the wrapping its `Display` adds for some kinds.
fn message(e: Error) -> String {
    match e {
        Error::Sql(m) => m,
        other => other.to_string(),
    }
}

/// The column `name` of `table`, or SQLite's error naming it as written.
fn find_column(table: &Table, name: &ast::Ident) -> Result<usize> {
    table.column_index(&name.value).ok_or_else(|| Error::Sql(format!("no such column: \"{name}\"")))
}

/// Whether column `col` of the table `sql` creates carries a column-level `UNIQUE`.
fn column_unique(sql: &str, col: usize) -> Result<bool> {
    let Parsed::Sql(stmt) = parse_one(sql)? else { return Ok(false) };
    let Statement::CreateTable(ct) = stmt.as_ref() else { return Ok(false) };
    Ok(ct.columns.get(col).is_some_and(|c| {
        c.options.iter().any(|o| matches!(o.option, ast::ColumnOption::Unique(_)))
    }))
}

/// `ALTER TABLE table DROP COLUMN name`.
pub fn drop_column(pager: &mut Pager, table: &Table, name: &ast::Ident) -> Result<()> {
    let col = find_column(table, name)?;
    let cname = &table.columns[col].name;
    if table.columns[col].primary_key {
        return err(format!("cannot drop PRIMARY KEY column: \"{cname}\""));
    }
    if column_unique(&table.sql, col)? {
        return err(format!("cannot drop UNIQUE column: \"{cname}\""));
    }
    if table.columns.len() <= 1 {
        return err(format!("cannot drop column \"{cname}\": no other columns exist"));
    }
    let sql = without_column(&table.sql, col)?;
    let mut entries = schema::read_schema(pager)?;
    let Some(pos) = entries
        .iter()
        .position(|(_, e)| e.kind == "table" && e.name.eq_ignore_ascii_case(&table.name))
    else {
        return err(format!("no such table: {}", table.name));
    };
    entries[pos].1.sql = Some(sql);
    let plain: Vec<SchemaEntry> = entries.iter().map(|(_, e)| e.clone()).collect();
    check_schema(&plain, "drop column")?;
    let (rowid, entry) = &entries[pos];
    schema::update_entry(pager, *rowid, entry)?;
    drop_field(pager, table, col)
}

/// The `CREATE TABLE` text without column `col`: from the column's name to the next column's
/// name, or for the last column from the comma before it to the end of the column list (the
/// cut SQLite's `sqlite_drop_column()` makes).
fn without_column(sql: &str, col: usize) -> Result<String> {
    let toks = tokenize(sql);
    let bad = || Error::corrupt_file(format!("cannot find the columns of {sql:?}"));
    let (items, close) = table_items(sql, &toks).ok_or_else(bad)?;
    let columns: Vec<usize> = items.iter().filter(|i| i.column).map(|i| i.first).collect();
    let first = *columns.get(col).ok_or_else(bad)?;
    let (from, to) = if let Some(&next) = columns.get(col + 1) {
        (toks[first].start, toks[next].start)
    } else {
        let comma = first.checked_sub(1).filter(|&i| toks[i].is_punct(sql, ",")).ok_or_else(bad)?;
        // The list of columns ends at the comma before the first table constraint, or at `)`.
        let end =
            items.iter().find(|i| !i.column && i.first > first).map_or(close, |i| i.first - 1);
        (toks[comma].start, toks[end].start)
    };
    Ok(format!("{}{}", &sql[..from], &sql[to..]))
}

/// The `CREATE TABLE` text with `column_def` added after the last column definition (before
/// the table constraints, where SQLite's `ALTER TABLE ADD COLUMN` puts it).
pub fn with_column(sql: &str, column_def: &str) -> Result<String> {
    let toks = tokenize(sql);
    let bad = || Error::corrupt_file(format!("cannot find the columns of {sql:?}"));
    let (items, close) = table_items(sql, &toks).ok_or_else(bad)?;
    // The comma before the first table constraint, or the closing parenthesis.
    let at = items.iter().find(|i| !i.column).map_or(Some(close), |i| i.first.checked_sub(1));
    let pos = toks.get(at.ok_or_else(bad)?).ok_or_else(bad)?.start;
    Ok(format!("{}, {column_def}{}", &sql[..pos], &sql[pos..]))
}

/// Removes field `col` from every row of `table` (rows written before an `ADD COLUMN` may be
/// shorter and keep what they have). In a `WITHOUT ROWID` table the column's field is where the
/// record order puts it, and each entry is replaced under its unchanged primary key.
fn drop_field(pager: &mut Pager, table: &Table, col: usize) -> Result<()> {
    let field = if table.without_rowid {
        table.record_columns().iter().position(|&c| c == col).unwrap_or(col)
    } else {
        col
    };
    let kind = if table.without_rowid { TreeKind::Index } else { TreeKind::Table };
    let mut rows = Vec::new();
    let mut cur = Cursor::new(table.root, kind);
    let mut ok = cur.first(pager)?;
    while ok {
        let old = cur.payload(pager)?.into_owned();
        let mut values = decode_record(&old)?;
        if field < values.len() {
            values.remove(field);
            let mut rec = Vec::new();
            encode_record(&values, &mut rec);
            let rowid = if table.without_rowid { 0 } else { cur.rowid(pager)? };
            rows.push((rowid, old, rec));
        }
        ok = cur.next(pager)?;
    }
    let info = table.pk_key_info();
    for (rowid, old, rec) in rows {
        if table.without_rowid {
            btree::index_delete(pager, table.root, &info, &old)?;
            btree::index_insert(pager, table.root, &info, &rec)?;
        } else {
            btree::table_insert(pager, table.root, rowid, &rec)?;
        }
    }
    Ok(())
}

/// Checks that every object of an edited schema still binds: tables (columns, constraints,
/// `CHECK`s), indexes (columns, expressions, partial-index conditions), views and triggers. The
/// first failure is reported as SQLite reports it after an `ALTER TABLE`.
fn check_schema(entries: &[SchemaEntry], what: &str) -> Result<()> {
    let fail = |e: &SchemaEntry, x: Error| {
        Error::Sql(format!("error in {} {} after {what}: {}", e.kind, e.name, message(x)))
    };
    let create = |e: &SchemaEntry| -> Result<Option<Statement>> {
        let Some(sql) = &e.sql else { return Ok(None) };
        match parse_one(sql)? {
            Parsed::Sql(s) => Ok(Some(*s)),
            _ => Ok(None),
        }
    };
    let mut tables = std::collections::HashMap::new();
    for e in entries.iter().filter(|e| e.kind == "table") {
        let Some(Statement::CreateTable(ct)) = create(e).map_err(|x| fail(e, x))? else {
            continue;
        };
        let (table, _) = table_from_create(&ct, btree_root(e), e.sql.as_deref().unwrap_or(""))
            .map_err(|x| fail(e, x))?;
        let mut seen = HashSet::new();
        for c in &table.columns {
            if !seen.insert(c.name.to_ascii_lowercase()) {
                return Err(fail(e, Error::Sql(format!("duplicate column name: {}", c.name))));
            }
        }
        tables.insert(e.name.to_ascii_lowercase(), table);
    }
    for e in entries.iter().filter(|e| e.kind == "index") {
        let Some(Statement::CreateIndex(ci)) = create(e).map_err(|x| fail(e, x))? else {
            continue;
        };
        if let Some(t) = tables.get(&e.tbl_name.to_ascii_lowercase()) {
            index_from_create(&ci, t, btree_root(e), "").map_err(|x| fail(e, x))?;
        }
    }
    let cat = Catalog::load(entries, 0)?;
    for e in entries {
        let r = match e.kind.as_str() {
            "table" => cat.table(&e.name).map_or(Ok(()), |t| bind_in_table(&cat, t, &t.checks)),
            "index" => {
                match (cat.indexes.get(&e.name.to_ascii_lowercase()), cat.table(&e.tbl_name)) {
                    (Some(i), Some(t)) => {
                        let exprs: Vec<ast::Expr> = i
                            .columns
                            .iter()
                            .filter_map(|c| c.expr.clone())
                            .chain(i.predicate.clone())
                            .collect();
                        bind_in_table(&cat, t, &exprs)
                    }
                    _ => Ok(()),
                }
            }
            "view" => cat
                .views
                .get(&e.name.to_ascii_lowercase())
                .map_or(Ok(()), |v| Binder::new(&cat).query(&v.query).map(|_| ())),
            "trigger" => {
                match (cat.triggers.get(&e.name.to_ascii_lowercase()), cat.table(&e.tbl_name)) {
                    (Some(tr), Some(t)) => {
                        tr.def.as_ref().map_or(Ok(()), |d| trigger::check_body(&cat, t, d))
                    }
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        };
        r.map_err(|x| fail(e, x))?;
    }
    Ok(())
}

fn btree_root(e: &SchemaEntry) -> crate::storage::PageNo {
    crate::storage::PageNo(e.rootpage)
}

/// Binds expressions over the columns of `table`.
fn bind_in_table(cat: &Catalog, table: &Table, exprs: &[ast::Expr]) -> Result<()> {
    let mut b = Binder::new(cat);
    let slot = b.alloc_slot();
    b.push_table_scope(table, &table.name, slot);
    for e in exprs {
        b.expr(e)?;
    }
    Ok(())
}

/// `ALTER TABLE table RENAME COLUMN old TO new`.
pub fn rename_column(
    pager: &mut Pager,
    cat: &Catalog,
    table: &Table,
    old: &ast::Ident,
    new: &ast::Ident,
) -> Result<()> {
    let col = find_column(table, old)?;
    let r = Renamer {
        table: &table.name,
        old: &table.columns[col].name,
        new: &new.value,
        new_quoted: new.quote_style.is_some(),
    };
    let mut entries = schema::read_schema(pager)?;
    let mut changed = Vec::new();
    for (i, (_, e)) in entries.iter_mut().enumerate() {
        let Some(sql) = &e.sql else { continue };
        let toks = tokenize(sql);
        let own = e.tbl_name.eq_ignore_ascii_case(&table.name);
        let at = match e.kind.as_str() {
            "table" => r.table_edits(sql, &toks, own),
            "index" if own => r.index_edits(sql, &toks),
            "view" => r.view_edits(sql, &toks, cat),
            "trigger" => r.trigger_edits(sql, &toks, cat, own),
            _ => Vec::new(),
        };
        if !at.is_empty() {
            e.sql = Some(r.apply(sql, &toks, at));
            changed.push(i);
        }
    }
    write_renamed(pager, &entries, &changed)
}

/// `ALTER TABLE old RENAME TO new`, as SQLite does it: the table's own statement, its indexes
/// and triggers, the `REFERENCES` clauses of other tables, and the tables named in views and
/// trigger bodies all take the new name, written `"new"`; automatic index names and the
/// `AUTOINCREMENT` counter follow. Each changed row of `sqlite_schema` is updated in place.
pub fn rename_table(pager: &mut Pager, table: &Table, new: &str) -> Result<()> {
    let old = table.name.as_str();
    let mut entries = schema::read_schema(pager)?;
    let mut changed = Vec::new();
    for (i, (_, e)) in entries.iter_mut().enumerate() {
        let own = e.tbl_name.eq_ignore_ascii_case(old);
        let sql = e.sql.as_deref().map(|sql| table_renamed(sql, old, new));
        if own {
            if e.kind == "table" {
                e.name = new.to_string();
            } else if e.sql.is_none() {
                e.name = e.name.replacen(
                    &format!("sqlite_autoindex_{old}_"),
                    &format!("sqlite_autoindex_{new}_"),
                    1,
                );
            }
            e.tbl_name = new.to_string();
        }
        if own || sql != e.sql {
            e.sql = sql;
            changed.push(i);
        }
    }
    write_renamed(pager, &entries, &changed)?;
    rename_in_rows(pager, &entries, old, new)
}

/// `sql` with the tokens that name table `old` replaced by `"new"`: the name after `TABLE`,
/// `ON`, `REFERENCES`, `FROM`, `JOIN`, `INTO` and `UPDATE`, after a comma in a `FROM` list,
/// after `main.`, and before `.` (a qualified column).
fn table_renamed(sql: &str, old: &str, new: &str) -> String {
    let toks = tokenize(sql);
    let word =
        |i: usize, kw: &[&str]| toks.get(i).is_some_and(|t| kw.iter().any(|k| t.is_word(sql, k)));
    let punct = |i: usize, p: &str| toks.get(i).is_some_and(|t| t.is_punct(sql, p));
    // Per parenthesis depth: whether a FROM list is open there.
    let mut in_from = vec![false];
    let mut at = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let depth = in_from.len() - 1;
        if t.is_punct(sql, "(") {
            in_from.push(false);
            continue;
        }
        if t.is_punct(sql, ")") {
            if depth > 0 {
                in_from.pop();
            }
            continue;
        }
        if word(i, &["FROM", "JOIN"]) {
            in_from[depth] = true;
        } else if word(
            i,
            &[
                "WHERE",
                "GROUP",
                "ORDER",
                "LIMIT",
                "HAVING",
                "WINDOW",
                "ON",
                "USING",
                "UNION",
                "EXCEPT",
                "INTERSECT",
                "SELECT",
                "VALUES",
                "SET",
                "BEGIN",
                "END",
            ],
        ) {
            in_from[depth] = false;
        }
        if !t.names(sql, old) || i == 0 {
            continue;
        }
        let table_position =
            word(i - 1, &["TABLE", "EXISTS", "ON", "REFERENCES", "FROM", "JOIN", "INTO", "UPDATE"])
                || punct(i - 1, ",") && in_from[depth]
                || punct(i - 1, ".") && i >= 2 && word(i - 2, &["main"])
                || punct(i + 1, ".");
        // `FROM f(...)` calls a table-valued function of that name.
        let call = punct(i + 1, "(") && (word(i - 1, &["FROM", "JOIN"]) || punct(i - 1, ","));
        if table_position && !call {
            at.push(i);
        }
    }
    let quoted = format!("\"{}\"", new.replace('"', "\"\""));
    let mut out = String::with_capacity(sql.len() + at.len() * quoted.len());
    let mut last = 0;
    for i in at {
        out.push_str(&sql[last..toks[i].start]);
        out.push_str(&quoted);
        last = toks[i].end;
    }
    out.push_str(&sql[last..]);
    out
}

/// Rewrites the rows of the ordinary table `name` (if it exists) that `edit` changes (it returns
/// whether it changed the row).
fn edit_rows(
    pager: &mut Pager,
    entries: &[(i64, SchemaEntry)],
    name: &str,
    mut edit: impl FnMut(&mut Vec<Value>) -> bool,
) -> Result<()> {
    let Some((_, entry)) =
        entries.iter().find(|(_, e)| e.kind == "table" && e.name.eq_ignore_ascii_case(name))
    else {
        return Ok(());
    };
    let root = btree_root(entry);
    let mut changed = Vec::new();
    let mut cur = Cursor::new(root, TreeKind::Table);
    let mut ok = cur.first(pager)?;
    while ok {
        let mut vals = decode_record(&cur.payload(pager)?)?;
        if edit(&mut vals) {
            changed.push((cur.rowid(pager)?, vals));
        }
        ok = cur.next(pager)?;
    }
    for (rowid, vals) in changed {
        let mut rec = Vec::new();
        encode_record(&vals, &mut rec);
        btree::table_insert(pager, root, rowid, &rec)?;
    }
    Ok(())
}

/// The rows outside `sqlite_schema` that name a renamed table: its `sqlite_sequence` counter, and
/// the metadata of its vector indexes (the table's name and the `CREATE INDEX` text).
fn rename_in_rows(
    pager: &mut Pager,
    entries: &[(i64, SchemaEntry)],
    old: &str,
    new: &str,
) -> Result<()> {
    let names_old =
        |v: Option<&Value>| matches!(v, Some(Value::Text(n)) if n.eq_ignore_ascii_case(old));
    edit_rows(pager, entries, "sqlite_sequence", |vals| {
        let hit = names_old(vals.first());
        if hit {
            vals[0] = Value::Text(new.to_string());
        }
        hit
    })?;
    edit_rows(pager, entries, crate::vector_index::META_TABLE, |vals| {
        let hit = names_old(vals.get(1));
        if hit {
            vals[1] = Value::Text(new.to_string());
            if let Some(Value::Text(sql)) = vals.get_mut(10) {
                *sql = table_renamed(sql, old, new);
            }
        }
        hit
    })
}

/// Checks that the schema `entries` still make sense after a rename, then writes the rows at
/// positions `changed` in place.
fn write_renamed(
    pager: &mut Pager,
    entries: &[(i64, SchemaEntry)],
    changed: &[usize],
) -> Result<()> {
    let plain: Vec<SchemaEntry> = entries.iter().map(|(_, e)| e.clone()).collect();
    check_schema(&plain, "rename")?;
    for &i in changed {
        let (rowid, e) = &entries[i];
        schema::update_entry(pager, *rowid, e)?;
    }
    Ok(())
}

/// One column rename: which tokens of a schema text name the column, and what replaces them.
struct Renamer<'a> {
    table: &'a str,
    old: &'a str,
    new: &'a str,
    /// The new name was quoted in the `ALTER TABLE`: every replacement is quoted then.
    new_quoted: bool,
}

impl Renamer<'_> {
    /// `sql` with the tokens at `at` replaced by the new name: bare where the old token was a
    /// bare word and the new name was written bare, double-quoted otherwise (SQLite's rule).
    fn apply(&self, sql: &str, toks: &[Token], mut at: Vec<usize>) -> String {
        at.sort_unstable();
        at.dedup();
        let quoted = format!("\"{}\"", self.new.replace('"', "\"\""));
        let mut out = String::with_capacity(sql.len() + 16);
        let mut last = 0;
        for i in at {
            let t = toks[i];
            out.push_str(&sql[last..t.start]);
            if !self.new_quoted && t.kind == TokKind::Word {
                out.push_str(self.new);
            } else {
                out.push_str(&quoted);
                if sql[t.end..].starts_with('"') {
                    out.push(' ');
                }
            }
            last = t.end;
        }
        out.push_str(&sql[last..]);
        out
    }

    fn is_old(&self, sql: &str, t: &Token) -> bool {
        t.names(sql, self.old)
    }

    /// The parent columns in `REFERENCES <table> (...)` clauses naming the renamed table.
    fn reference_edits(&self, sql: &str, toks: &[Token], at: &mut Vec<usize>) {
        for i in 0..toks.len() {
            if toks[i].is_word(sql, "REFERENCES")
                && toks.get(i + 1).is_some_and(|t| t.names(sql, self.table))
                && toks.get(i + 2).is_some_and(|t| t.is_punct(sql, "("))
            {
                if let Some(close) = matching_paren(sql, toks, i + 2) {
                    at.extend((i + 3..close).filter(|&j| self.is_old(sql, &toks[j])));
                }
            }
        }
    }

    /// Unqualified column names in tokens `from..to` of an expression or column list: not a
    /// function name, not after `COLLATE`, `AS` and the like, not inside `REFERENCES x(...)`.
    fn expr_edits(&self, sql: &str, toks: &[Token], from: usize, to: usize, at: &mut Vec<usize>) {
        let mut j = from;
        while j < to {
            let t = &toks[j];
            if t.is_word(sql, "REFERENCES") {
                j += 2;
                if toks.get(j).is_some_and(|t| t.is_punct(sql, "(")) {
                    j = matching_paren(sql, toks, j).unwrap_or(to);
                }
                j += 1;
                continue;
            }
            if self.is_old(sql, t) && Self::unqualified(sql, toks, j) {
                at.push(j);
            }
            j += 1;
        }
    }

    /// Whether token `j` stands where an unqualified column name can.
    fn unqualified(sql: &str, toks: &[Token], j: usize) -> bool {
        let prev = j.checked_sub(1).map(|p| toks[p]);
        let next = toks.get(j + 1);
        !(prev.is_some_and(|p| {
            p.is_punct(sql, ".") || NOT_A_COLUMN_AFTER.iter().any(|k| p.is_word(sql, k))
        }) || next.is_some_and(|n| n.is_punct(sql, ".") || n.is_punct(sql, "(")))
    }

    fn table_edits(&self, sql: &str, toks: &[Token], own: bool) -> Vec<usize> {
        let mut at = Vec::new();
        self.reference_edits(sql, toks, &mut at);
        if !own {
            return at;
        }
        let Some((items, _)) = table_items(sql, toks) else { return at };
        for it in items {
            let mut j = it.first;
            if it.column {
                if self.is_old(sql, &toks[j]) {
                    at.push(j);
                }
                j += 1;
                // The declared type: words up to the first constraint.
                while j < it.end
                    && matches!(toks[j].kind, TokKind::Word | TokKind::Quoted)
                    && !CONSTRAINT_WORDS.iter().any(|k| toks[j].is_word(sql, k))
                {
                    j += 1;
                }
            }
            self.expr_edits(sql, toks, j, it.end, &mut at);
        }
        at
    }

    /// Everything after `ON <table>` of an index on the renamed table.
    fn index_edits(&self, sql: &str, toks: &[Token]) -> Vec<usize> {
        let mut at = Vec::new();
        if let Some(on) = toks.iter().position(|t| t.is_word(sql, "ON")) {
            self.expr_edits(sql, toks, on + 2, toks.len(), &mut at);
        }
        at
    }

    /// The query of a view (after its top-level `AS`).
    fn view_edits(&self, sql: &str, toks: &[Token], cat: &Catalog) -> Vec<usize> {
        let mut at = Vec::new();
        let mut depth = 0usize;
        for (i, t) in toks.iter().enumerate() {
            if t.is_punct(sql, "(") {
                depth += 1;
            } else if t.is_punct(sql, ")") {
                depth = depth.saturating_sub(1);
            } else if depth == 0 && t.is_word(sql, "AS") {
                self.query_edits(sql, toks, i + 1, cat, false, &mut at);
                break;
            }
        }
        at
    }

    /// A trigger: the `UPDATE OF` list and `NEW.`/`OLD.` names of a trigger on the renamed
    /// table, and the table's columns in its `WHEN` and body.
    fn trigger_edits(&self, sql: &str, toks: &[Token], cat: &Catalog, own: bool) -> Vec<usize> {
        let mut at = Vec::new();
        let Some(on) = toks.iter().position(|t| t.is_word(sql, "ON")) else { return at };
        if own {
            if let Some(of) = toks[..on].iter().position(|t| t.is_word(sql, "OF")) {
                at.extend((of + 1..on).filter(|&j| self.is_old(sql, &toks[j])));
            }
        }
        self.query_edits(sql, toks, on + 2, cat, own, &mut at);
        at
    }

    /// Column names in statements from token `from` on: qualified by the renamed table, one of
    /// its aliases, or (`new_old`) `NEW`/`OLD`; unqualified when the statements name the table
    /// (or `new_old`) and no other table they name has a column of that name.
    fn query_edits(
        &self,
        sql: &str,
        toks: &[Token],
        from: usize,
        cat: &Catalog,
        new_old: bool,
        at: &mut Vec<usize>,
    ) {
        let mut qualifiers = vec![self.table.to_ascii_lowercase()];
        if new_old {
            qualifiers.extend(["new".to_string(), "old".to_string()]);
        }
        let mut names_table = new_old;
        let mut others_have_it = false;
        for i in from..toks.len() {
            let Some(id) = toks[i].ident(sql) else { continue };
            if toks.get(i + 1).is_some_and(|n| n.is_punct(sql, "."))
                || i.checked_sub(1).is_some_and(|p| toks[p].is_punct(sql, "."))
            {
                continue;
            }
            if id.eq_ignore_ascii_case(self.table) {
                names_table = true;
                let alias = match toks.get(i + 1) {
                    Some(n) if n.is_word(sql, "AS") => toks.get(i + 2),
                    Some(n)
                        if matches!(n.kind, TokKind::Word | TokKind::Quoted)
                            && !NOT_AN_ALIAS.iter().any(|k| n.is_word(sql, k)) =>
                    {
                        Some(n)
                    }
                    _ => None,
                };
                if let Some(a) = alias.and_then(|a| a.ident(sql)) {
                    qualifiers.push(a.to_ascii_lowercase());
                }
            } else if cat.table(&id).is_some_and(|t| t.column_index(self.old).is_some()) {
                others_have_it = true;
            }
        }
        let bare = names_table && !others_have_it;
        for j in from..toks.len() {
            if !self.is_old(sql, &toks[j]) {
                continue;
            }
            let qualified = j >= 2 && toks[j - 1].is_punct(sql, ".");
            if qualified {
                let q = toks[j - 2].ident(sql).unwrap_or_default().to_ascii_lowercase();
                if qualifiers.contains(&q) {
                    at.push(j);
                }
            } else if bare && Self::unqualified(sql, toks, j) {
                at.push(j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rename(sql: &str, kind: &str, own: bool, old: &str, new: &str, quoted: bool) -> String {
        let r = Renamer { table: "t", old, new, new_quoted: quoted };
        let toks = tokenize(sql);
        let cat = Catalog::default();
        let at = match kind {
            "table" => r.table_edits(sql, &toks, own),
            "index" => r.index_edits(sql, &toks),
            "view" => r.view_edits(sql, &toks, &cat),
            _ => r.trigger_edits(sql, &toks, &cat, own),
        };
        r.apply(sql, &toks, at)
    }

    #[test]
    fn drops_a_column_as_sqlite_cuts_the_text() {
        let sql = "CREATE TABLE t2(\"x y\" INT,   [b]  , c /*cm*/ , d)";
        assert_eq!(
            without_column(sql, 1).expect("drop"),
            "CREATE TABLE t2(\"x y\" INT,   c /*cm*/ , d)"
        );
        assert_eq!(
            without_column(sql, 3).expect("drop"),
            "CREATE TABLE t2(\"x y\" INT,   [b]  , c /*cm*/ )"
        );
        assert_eq!(
            without_column("CREATE TABLE t(a, b INT, UNIQUE(a))", 1).expect("drop"),
            "CREATE TABLE t(a, UNIQUE(a))"
        );
    }

    #[test]
    fn table_renamed_rewrites_only_table_positions() {
        for (sql, old, want) in [
            ("CREATE TABLE \"a b\"(x)", "a b", "CREATE TABLE \"n\"(x)"),
            (
                "CREATE TABLE t(t, u REFERENCES t(t))",
                "t",
                "CREATE TABLE \"n\"(t, u REFERENCES \"n\"(t))",
            ),
            (
                "CREATE VIEW v AS SELECT t.t, x FROM s, [T] JOIN u ON u.k = t.k WHERE t = 1",
                "t",
                "CREATE VIEW v AS SELECT \"n\".t, x FROM s, \"n\" JOIN u ON u.k = \"n\".k WHERE t = 1",
            ),
            (
                "CREATE VIEW v AS SELECT (SELECT t FROM t), t(1) FROM main.t, t(2)",
                "t",
                "CREATE VIEW v AS SELECT (SELECT t FROM \"n\"), t(1) FROM main.\"n\", t(2)",
            ),
            (
                "CREATE TRIGGER r AFTER DELETE ON t BEGIN INSERT INTO t(a) SELECT 1; END",
                "t",
                "CREATE TRIGGER r AFTER DELETE ON \"n\" BEGIN INSERT INTO \"n\"(a) SELECT 1; END",
            ),
            ("CREATE INDEX i ON tt(t)", "t", "CREATE INDEX i ON tt(t)"),
        ] {
            assert_eq!(table_renamed(sql, old, "n"), want, "{sql}");
        }
    }

    #[test]
    fn renames_only_the_column_tokens() {
        assert_eq!(
            rename(
                "CREATE TABLE t(text TEXT, \"b\" CHECK(b > text), UNIQUE(b COLLATE b), FOREIGN KEY(b) REFERENCES p(b))",
                "table", true, "b", "bb", false
            ),
            "CREATE TABLE t(text TEXT, \"bb\" CHECK(bb > text), UNIQUE(bb COLLATE b), FOREIGN KEY(bb) REFERENCES p(b))"
        );
        assert_eq!(
            rename("CREATE TABLE t(text TEXT)", "table", true, "text", "body", false),
            "CREATE TABLE t(body TEXT)"
        );
        assert_eq!(
            rename("CREATE TABLE p(x REFERENCES t(b), b)", "table", false, "b", "c c", true),
            "CREATE TABLE p(x REFERENCES t(\"c c\"), b)"
        );
        assert_eq!(
            rename(
                "CREATE INDEX b ON t(b, lower(b) COLLATE nocase) WHERE b > 0",
                "index",
                true,
                "b",
                "z",
                false
            ),
            "CREATE INDEX b ON t(z, lower(z) COLLATE nocase) WHERE z > 0"
        );
        assert_eq!(
            rename(
                "CREATE VIEW v(b) AS SELECT b, x.b AS b FROM t AS x WHERE t.b > 0",
                "view",
                false,
                "b",
                "z",
                false
            ),
            "CREATE VIEW v(b) AS SELECT z, x.z AS b FROM t AS x WHERE t.z > 0"
        );
        assert_eq!(
            rename(
                "CREATE TRIGGER tr AFTER UPDATE OF b ON t WHEN new.b > 0 BEGIN SELECT old.b, b; END",
                "trigger", true, "b", "z", false
            ),
            "CREATE TRIGGER tr AFTER UPDATE OF z ON t WHEN new.z > 0 BEGIN SELECT old.z, z; END"
        );
    }
}
