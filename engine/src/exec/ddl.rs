//! Schema changes: `CREATE`/`DROP` of tables, indexes, views and triggers, `ALTER TABLE`,
//! `REINDEX`, and the `sqlite_sequence` table of `AUTOINCREMENT`.

use std::cmp::Ordering;

use sqlparser::ast::{self, AlterTableOperation, ObjectType, Statement};

use super::eval::{eval, eval_true};
use super::query::{keyed_row, run_select, table_row};
use super::Cx;
use crate::error::{Error, Result};
use crate::functions::FnContext;
use crate::sql::bind::Binder;
use crate::sql::catalog::{
    index_from_create, object_name, table_from_create, Catalog, Index, Table,
};
use crate::sql::coerce::Affinity;
use crate::sql::parse::{comment_end, is_comment_start};
use crate::sql::plan::Expr;
use crate::storage::btree::{self, Cursor, SeekOp, TreeKind};
use crate::storage::pager::Pager;
use crate::storage::record::{compare_record_to_key, decode_record, encode_record, ValueRef};
use crate::storage::schema::{self, SchemaEntry};
use crate::storage::{PageNo, Value};

fn err<T>(m: impl Into<String>) -> Result<T> {
    Err(Error::Sql(m.into()))
}

/// The text SQLite stores in `sqlite_schema.sql`: `CREATE <KIND> ` followed by the statement as
/// written from the object's name on (so `IF NOT EXISTS` and `TEMP` are dropped, and so are
/// comments before the name: left in, they would hide the words after them when it is re-parsed).
#[must_use]
pub fn normalized_create(sql: &str, kind: &str) -> String {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut words = 0;
    let skip = [
        "CREATE",
        "TEMP",
        "TEMPORARY",
        "UNIQUE",
        "TABLE",
        "INDEX",
        "VIEW",
        "TRIGGER",
        "IF",
        "NOT",
        "EXISTS",
        "VIRTUAL",
    ];
    loop {
        while i < b.len() {
            if b[i].is_ascii_whitespace() {
                i += 1;
            } else if is_comment_start(b, i) {
                i = comment_end(b, i);
            } else {
                break;
            }
        }
        let s = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        let w = sql[s..i].to_ascii_uppercase();
        if w.is_empty() || !skip.contains(&w.as_str()) || words > 8 {
            return format!(
                "CREATE {kind} {}",
                sql[s..].trim_end().trim_end_matches(';').trim_end()
            );
        }
        words += 1;
    }
}

fn quote_ident(n: &str) -> String {
    if !n.is_empty()
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !n.starts_with(|c: char| c.is_ascii_digit())
    {
        n.to_string()
    } else {
        format!("\"{}\"", n.replace('"', "\"\""))
    }
}

pub(crate) fn exists(cat: &Catalog, name: &str) -> Option<&'static str> {
    let l = name.to_ascii_lowercase();
    if cat.tables.contains_key(&l) {
        Some("table")
    } else if cat.views.contains_key(&l) {
        Some("view")
    } else if cat.indexes.contains_key(&l) {
        Some("index")
    } else if cat.triggers.contains_key(&l) {
        Some("trigger")
    } else if cat.vector_indexes.contains_key(&l) {
        Some("index")
    } else {
        None
    }
}

fn find_entry(pager: &mut Pager, name: &str) -> Result<Option<(i64, SchemaEntry)>> {
    Ok(schema::read_schema(pager)?.into_iter().find(|(_, e)| e.name.eq_ignore_ascii_case(name)))
}

/// Runs a schema statement. `sql` is the statement's text.
pub fn run(
    stmt: &Statement,
    sql: &str,
    pager: &mut Pager,
    cat: &Catalog,
    fnctx: &mut FnContext,
) -> Result<()> {
    match stmt {
        Statement::CreateTable(ct) => create_table(ct, sql, pager, cat, fnctx),
        Statement::CreateIndex(ci) => create_index(ci, sql, pager, cat, fnctx),
        Statement::CreateView(cv) => {
            let name = object_name(&cv.name);
            if let Some(kind) = exists(cat, &name) {
                if cv.if_not_exists {
                    return Ok(());
                }
                return err(format!("{kind} {name} already exists"));
            }
            // Bind once to report errors now, as SQLite does.
            Binder::new(cat).query(&cv.query)?;
            let entry = SchemaEntry {
                kind: "view".into(),
                name: name.clone(),
                tbl_name: name,
                rootpage: 0,
                sql: Some(normalized_create(sql, "VIEW")),
            };
            schema::add_entry(pager, &entry)?;
            Ok(())
        }
        Statement::CreateTrigger(ct) => {
            let name = object_name(&ct.name);
            let table = object_name(&ct.table_name);
            if exists(cat, &name).is_some() {
                return err(format!("trigger {name} already exists"));
            }
            if cat.table(&table).is_none() && !cat.views.contains_key(&table.to_ascii_lowercase()) {
                return err(format!("no such table: main.{table}"));
            }
            super::trigger::check_create(ct, cat)?;
            let entry = SchemaEntry {
                kind: "trigger".into(),
                name,
                tbl_name: table,
                rootpage: 0,
                sql: Some(normalized_create(sql, "TRIGGER")),
            };
            schema::add_entry(pager, &entry)?;
            Ok(())
        }
        Statement::Drop { object_type, if_exists, names, .. } => {
            for n in names {
                drop_object(*object_type, &object_name(n), *if_exists, pager, cat)?;
            }
            Ok(())
        }
        Statement::DropTrigger(dt) => {
            let name = object_name(&dt.trigger_name);
            match find_entry(pager, &name)? {
                Some((rowid, e)) if e.kind == "trigger" => schema::remove_entry(pager, rowid),
                _ if dt.if_exists => Ok(()),
                _ => err(format!("no such trigger: {name}")),
            }
        }
        Statement::AlterTable(at) => alter_table(at, pager, cat),
        other => err(format!("unsupported statement: {other}")),
    }
}

fn create_table(
    ct: &ast::CreateTable,
    sql: &str,
    pager: &mut Pager,
    cat: &Catalog,
    fnctx: &mut FnContext,
) -> Result<()> {
    let name = object_name(&ct.name);
    if name.to_ascii_lowercase().starts_with("sqlite_")
        && !name.eq_ignore_ascii_case("sqlite_sequence")
    {
        return err(format!("object name reserved for internal use: {name}"));
    }
    if let Some(kind) = exists(cat, &name) {
        if ct.if_not_exists {
            return Ok(());
        }
        return err(format!("{kind} {name} already exists"));
    }
    if let Some(q) = &ct.query {
        return create_table_as(&name, q, pager, cat, fnctx);
    }
    let text = normalized_create(sql, "TABLE");
    let (table, autos) = table_from_create(ct, PageNo(0), &text)?;
    let mut seen = std::collections::HashSet::new();
    for c in &table.columns {
        if !seen.insert(c.name.to_ascii_lowercase()) {
            return err(format!("duplicate column name: {}", c.name));
        }
    }
    // A WITHOUT ROWID table is an index b-tree keyed by its primary key.
    let kind = if table.without_rowid { TreeKind::Index } else { TreeKind::Table };
    let root = btree::create_tree(pager, kind)?;
    schema::add_entry(
        pager,
        &SchemaEntry {
            kind: "table".into(),
            name: name.clone(),
            tbl_name: name.clone(),
            rootpage: root.0,
            sql: Some(text),
        },
    )?;
    for idx in autos {
        if idx.primary_key && table.without_rowid {
            // The table's own b-tree, which sqlite_schema does not list.
            continue;
        }
        let iroot = btree::create_tree(pager, TreeKind::Index)?;
        schema::add_entry(
            pager,
            &SchemaEntry {
                kind: "index".into(),
                name: idx.name,
                tbl_name: name.clone(),
                rootpage: iroot.0,
                sql: None,
            },
        )?;
    }
    if table.autoincrement && find_entry(pager, "sqlite_sequence")?.is_none() {
        let sroot = btree::create_tree(pager, TreeKind::Table)?;
        schema::add_entry(
            pager,
            &SchemaEntry {
                kind: "table".into(),
                name: "sqlite_sequence".into(),
                tbl_name: "sqlite_sequence".into(),
                rootpage: sroot.0,
                sql: Some("CREATE TABLE sqlite_sequence(name,seq)".into()),
            },
        )?;
    }
    Ok(())
}

fn create_table_as(
    name: &str,
    q: &ast::Query,
    pager: &mut Pager,
    cat: &Catalog,
    fnctx: &mut FnContext,
) -> Result<()> {
    let mut b = Binder::new(cat);
    let sel = b.query(q)?;
    let cols: Vec<String> = sel
        .columns
        .iter()
        .zip(&sel.affinities)
        .map(|(n, a)| {
            let ty = match a {
                Some(Affinity::Integer) => " INT",
                Some(Affinity::Real) => " REAL",
                Some(Affinity::Text) => " TEXT",
                Some(Affinity::Numeric) => " NUM",
                _ => "",
            };
            format!("{}{ty}", quote_ident(n))
        })
        .collect();
    let text = format!("CREATE TABLE {}({})", quote_ident(name), cols.join(","));
    let nslots = b.slot_count();
    let subs = b.subs;
    let rows = {
        let mut cx = Cx::new(pager, &[], &subs, nslots, fnctx);
        run_select(&sel, &mut cx, None)?
    };
    let root = btree::create_tree(pager, TreeKind::Table)?;
    schema::add_entry(
        pager,
        &SchemaEntry {
            kind: "table".into(),
            name: name.into(),
            tbl_name: name.into(),
            rootpage: root.0,
            sql: Some(text),
        },
    )?;
    let affs: Vec<Affinity> = sel.affinities.iter().map(|a| a.unwrap_or(Affinity::Blob)).collect();
    for (i, row) in rows.into_iter().enumerate() {
        let vals: Vec<Value> = row
            .into_iter()
            .zip(&affs)
            .map(|(v, a)| crate::sql::coerce::apply_affinity(v, *a))
            .collect();
        let mut rec = Vec::new();
        encode_record(&vals, &mut rec);
        btree::table_insert(pager, root, i as i64 + 1, &rec)?;
    }
    Ok(())
}

/// Fills an index from its table's rows, checking uniqueness.
fn fill_index(
    index: &Index,
    table: &Table,
    pager: &mut Pager,
    cat: &Catalog,
    fnctx: &mut FnContext,
) -> Result<()> {
    let mut b = Binder::new(cat);
    let slot = b.alloc_slot();
    b.push_table_scope(table, &table.name, slot);
    let mut keys = Vec::new();
    for c in &index.columns {
        keys.push(match (c.column, &c.expr) {
            (Some(col), _) => Expr::Col(slot, col),
            (None, Some(e)) => b.expr(e)?,
            (None, None) => return err("index column without an expression"),
        });
    }
    let predicate = match &index.predicate {
        Some(p) => Some(b.expr(p)?),
        None => None,
    };
    let (subs, nslots) = (std::mem::take(&mut b.subs), b.slot_count());
    let info = index.key_info();
    let kind = if table.without_rowid { TreeKind::Index } else { TreeKind::Table };
    let mut cur = Cursor::new(table.root, kind);
    let suffix = table.pk_suffix(index);
    // Each entry's key, then the rowid or the primary key columns the key lacks.
    let mut entries: Vec<(Vec<Value>, Vec<Value>)> = Vec::new();
    {
        let mut cx = Cx::new(pager, &[], &subs, nslots, fnctx);
        let mut ok = cur.first(cx.pager)?;
        while ok {
            let (row, tail) = if table.without_rowid {
                let row = keyed_row(&cur.payload(cx.pager)?, table)?;
                let tail = suffix.iter().filter_map(|p| p.column).map(|c| row[c].clone());
                let tail = tail.collect();
                (row, tail)
            } else {
                let rowid = cur.rowid(cx.pager)?;
                (table_row(&cur.payload(cx.pager)?, rowid, table)?, vec![Value::Integer(rowid)])
            };
            cx.env[slot] = row;
            let include = match &predicate {
                Some(p) => eval_true(p, &mut cx)?,
                None => true,
            };
            if include {
                let mut k = Vec::with_capacity(keys.len());
                for e in &keys {
                    k.push(eval(e, &mut cx)?);
                }
                entries.push((k, tail));
            }
            ok = cur.next(cx.pager)?;
        }
    }
    let entry_info = index.entry_key_info(table);
    for (k, tail) in entries {
        if index.unique && !k.iter().any(|v| matches!(v, Value::Null)) {
            let refs: Vec<ValueRef<'_>> = k.iter().map(Value::as_ref).collect();
            let mut ic = Cursor::new(index.root, TreeKind::Index);
            if ic.seek_key(pager, &refs, &info, SeekOp::Ge)?
                && compare_record_to_key(&ic.payload(pager)?, &refs, &info)? == Ordering::Equal
            {
                let cols: Vec<String> = index
                    .columns
                    .iter()
                    .map(|c| {
                        c.column.map_or_else(
                            || "index expression".into(),
                            |col| format!("{}.{}", table.name, table.columns[col].name),
                        )
                    })
                    .collect();
                return Err(Error::Constraint(format!(
                    "UNIQUE constraint failed: {}",
                    cols.join(", ")
                )));
            }
        }
        let mut vals = k;
        vals.extend(tail);
        let mut rec = Vec::new();
        encode_record(&vals, &mut rec);
        btree::index_insert(pager, index.root, &entry_info, &rec)?;
    }
    Ok(())
}

fn create_index(
    ci: &ast::CreateIndex,
    sql: &str,
    pager: &mut Pager,
    cat: &Catalog,
    fnctx: &mut FnContext,
) -> Result<()> {
    let name = ci
        .name
        .as_ref()
        .map(object_name)
        .ok_or_else(|| Error::Sql("index without a name".into()))?;
    if let Some(kind) = exists(cat, &name) {
        if ci.if_not_exists {
            return Ok(());
        }
        return err(format!("{kind} {name} already exists"));
    }
    if name.to_ascii_lowercase().starts_with("sqlite_") {
        return err(format!("object name reserved for internal use: {name}"));
    }
    let tname = object_name(&ci.table_name);
    let table = cat
        .table(&tname)
        .cloned()
        .ok_or_else(|| Error::Sql(format!("no such table: main.{tname}")))?;
    let text = normalized_create(sql, if ci.unique { "UNIQUE INDEX" } else { "INDEX" });
    let root = btree::create_tree(pager, TreeKind::Index)?;
    let index = index_from_create(ci, &table, root, &text)?;
    fill_index(&index, &table, pager, cat, fnctx)?;
    schema::add_entry(
        pager,
        &SchemaEntry {
            kind: "index".into(),
            name,
            tbl_name: table.name.clone(),
            rootpage: root.0,
            sql: Some(text),
        },
    )?;
    Ok(())
}

/// Rebuilds indexes (`REINDEX`): all, those of a table, or one by name.
pub fn reindex(
    target: Option<&str>,
    pager: &mut Pager,
    cat: &Catalog,
    fnctx: &mut FnContext,
) -> Result<()> {
    let mut list: Vec<std::sync::Arc<Index>> = cat.indexes.values().cloned().collect();
    if let Some(t) = target {
        let l = t.to_ascii_lowercase();
        list.retain(|i| i.table == l || i.name.eq_ignore_ascii_case(t));
        if list.is_empty()
            && cat.table(t).is_none()
            && !matches!(l.as_str(), "binary" | "nocase" | "rtrim")
        {
            return err("unable to identify the object to be reindexed");
        }
    }
    for idx in list {
        let table =
            cat.tables.get(&idx.table).cloned().ok_or_else(|| {
                Error::corrupt_file(format!("index {} without a table", idx.name))
            })?;
        if idx.primary_key && table.without_rowid {
            // The table itself, kept in key order by every write.
            continue;
        }
        btree::drop_tree(pager, idx.root)?;
        let root = btree::create_tree(pager, TreeKind::Index)?;
        let mut fresh = (*idx).clone();
        fresh.root = root;
        fill_index(&fresh, &table, pager, cat, fnctx)?;
        if let Some((rowid, mut e)) = find_entry(pager, &idx.name)? {
            schema::remove_entry(pager, rowid)?;
            e.rootpage = root.0;
            schema::add_entry(pager, &e)?;
        }
    }
    Ok(())
}

fn drop_object(
    kind: ObjectType,
    name: &str,
    if_exists: bool,
    pager: &mut Pager,
    cat: &Catalog,
) -> Result<()> {
    let (want, what) = match kind {
        ObjectType::Table => ("table", "table"),
        ObjectType::Index => ("index", "index"),
        ObjectType::View => ("view", "view"),
        _ => return err(format!("unsupported DROP {kind}")),
    };
    let entry = find_entry(pager, name)?.filter(|(_, e)| e.kind == want);
    let Some((rowid, e)) = entry else {
        if want == "index" && cat.indexes.contains_key(&name.to_ascii_lowercase()) {
            // The primary key of a WITHOUT ROWID table: the table's own b-tree.
            return err("index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped");
        }
        if if_exists {
            return Ok(());
        }
        return err(format!("no such {what}: {name}"));
    };
    if want == "table"
        && name.to_ascii_lowercase().starts_with("sqlite_")
        && !name.eq_ignore_ascii_case("sqlite_sequence")
    {
        return err(format!("table {name} may not be dropped"));
    }
    if want == "index" && e.sql.is_none() {
        return err("index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped");
    }
    if want == "table" {
        // Indexes and triggers of the table go with it.
        for (r, other) in schema::read_schema(pager)? {
            if other.tbl_name.eq_ignore_ascii_case(&e.name)
                && (other.kind == "index" || other.kind == "trigger")
            {
                if other.rootpage != 0 {
                    btree::drop_tree(pager, PageNo(other.rootpage))?;
                }
                schema::remove_entry(pager, r)?;
            }
        }
        if let Some((_, seq)) = find_entry(pager, "sqlite_sequence")? {
            delete_sequence_row(pager, PageNo(seq.rootpage), &e.name)?;
        }
    }
    if e.rootpage != 0 {
        btree::drop_tree(pager, PageNo(e.rootpage))?;
    }
    schema::remove_entry(pager, rowid)?;
    Ok(())
}

fn alter_table(at: &ast::AlterTable, pager: &mut Pager, cat: &Catalog) -> Result<()> {
    let name = object_name(&at.name);
    let lower = name.to_ascii_lowercase();
    if matches!(lower.as_str(), "sqlite_schema" | "sqlite_master") {
        return err("table sqlite_master may not be altered");
    }
    if cat.views.contains_key(&lower) {
        match at.operations.first() {
            Some(AlterTableOperation::DropColumn { .. }) => {
                return err(format!("cannot drop column from view \"{name}\""))
            }
            Some(AlterTableOperation::RenameColumn { .. }) => {
                return err(format!("cannot rename columns of view \"{name}\""))
            }
            _ => {}
        }
    }
    let table =
        cat.table(&name).cloned().ok_or_else(|| Error::Sql(format!("no such table: {name}")))?;
    if lower.starts_with("sqlite_") {
        return err(format!("table {} may not be altered", table.name));
    }
    for op in &at.operations {
        match op {
            AlterTableOperation::DropColumn { column_names, if_exists: false, .. }
                if column_names.len() == 1 =>
            {
                super::alter::drop_column(pager, &table, &column_names[0])?;
            }
            AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                super::alter::rename_column(pager, cat, &table, old_column_name, new_column_name)?;
            }
            AlterTableOperation::RenameTable { table_name } => {
                let new = match table_name {
                    ast::RenameTableNameKind::To(n) | ast::RenameTableNameKind::As(n) => {
                        object_name(n)
                    }
                };
                if exists(cat, &new).is_some() {
                    return err(format!(
                        "there is already another table or index with this name: {new}"
                    ));
                }
                super::alter::rename_table(pager, &table, &new)?;
            }
            AlterTableOperation::AddColumn { column_def, .. } => {
                if table.column_index(&column_def.name.value).is_some() {
                    return err(format!("duplicate column name: {}", column_def.name.value));
                }
                let Some((rowid, mut e)) = find_entry(pager, &table.name)? else {
                    return err("table vanished");
                };
                let sql = e.sql.clone().unwrap_or_default();
                e.sql = Some(super::alter::with_column(&sql, &column_def.to_string())?);
                // In place: SQLite reads the table's row before its automatic indexes' rows.
                schema::update_entry(pager, rowid, &e)?;
            }
            other => return err(format!("unsupported ALTER TABLE operation: {other}")),
        }
    }
    Ok(())
}

fn sequence_root(pager: &mut Pager) -> Result<Option<PageNo>> {
    Ok(find_entry(pager, "sqlite_sequence")?.map(|(_, e)| PageNo(e.rootpage)))
}

fn sequence_row(pager: &mut Pager, root: PageNo, table: &str) -> Result<Option<(i64, i64)>> {
    let mut cur = Cursor::new(root, TreeKind::Table);
    let mut ok = cur.first(pager)?;
    while ok {
        let rowid = cur.rowid(pager)?;
        let vals = decode_record(&cur.payload(pager)?)?;
        if let (Some(Value::Text(n)), seq) = (vals.first(), vals.get(1)) {
            if n.eq_ignore_ascii_case(table) {
                let s = match seq {
                    Some(Value::Integer(s)) => *s,
                    _ => 0,
                };
                return Ok(Some((rowid, s)));
            }
        }
        ok = cur.next(pager)?;
    }
    Ok(None)
}

fn delete_sequence_row(pager: &mut Pager, root: PageNo, table: &str) -> Result<()> {
    if let Some((rowid, _)) = sequence_row(pager, root, table)? {
        btree::table_delete(pager, root, rowid)?;
    }
    Ok(())
}

/// The `AUTOINCREMENT` high-water mark of a table.
pub fn sequence_value(cx: &mut Cx<'_>, table: &str) -> Result<i64> {
    let Some(root) = sequence_root(cx.pager)? else { return Ok(0) };
    Ok(sequence_row(cx.pager, root, table)?.map_or(0, |(_, s)| s))
}

/// Raises the `AUTOINCREMENT` high-water mark of a table to `rowid`.
pub fn set_sequence(cx: &mut Cx<'_>, table: &str, rowid: i64) -> Result<()> {
    let Some(root) = sequence_root(cx.pager)? else { return Ok(()) };
    let existing = sequence_row(cx.pager, root, table)?;
    let (key, cur) = if let Some((k, s)) = existing {
        (k, s)
    } else {
        let mut c = Cursor::new(root, TreeKind::Table);
        (if c.last(cx.pager)? { c.rowid(cx.pager)? + 1 } else { 1 }, i64::MIN)
    };
    if rowid > cur {
        let mut rec = Vec::new();
        encode_record(&[Value::Text(table.to_string()), Value::Integer(rowid)], &mut rec);
        btree::table_insert(cx.pager, root, key, &rec)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_create_text_like_sqlite() {
        assert_eq!(
            normalized_create("create table if not exists t1(a, b);", "TABLE"),
            "CREATE TABLE t1(a, b)"
        );
        assert_eq!(
            normalized_create("CREATE UNIQUE INDEX i1 ON t1(a)", "UNIQUE INDEX"),
            "CREATE UNIQUE INDEX i1 ON t1(a)"
        );
        assert_eq!(
            normalized_create("-- a comment\nCREATE /* x */ TABLE -- y\n t1(a) -- z", "TABLE"),
            "CREATE TABLE t1(a) -- z"
        );
    }
}
