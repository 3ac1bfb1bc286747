//! The catalog: tables, indexes and views described by `sqlite_schema`, parsed from their
//! `CREATE` statements.

use std::collections::HashMap;
use std::sync::Arc;

use sqlparser::ast::{self, ColumnOption, Expr as AstExpr, Statement, TableConstraint};

use super::coerce::{affinity_of_type, Affinity};
use super::parse::{parse_one, Parsed};
use crate::error::{Error, Result};
use crate::storage::record::{Collation, KeyInfo};
use crate::storage::schema::SchemaEntry;
use crate::storage::PageNo;

/// A column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    /// Name as declared.
    pub name: String,
    /// Declared type ("" if none).
    pub decl_type: String,
    /// Affinity derived from the declared type.
    pub affinity: Affinity,
    /// Default collation.
    pub collation: Collation,
    /// `NOT NULL`.
    pub not_null: bool,
    /// `DEFAULT` expression.
    pub default: Option<AstExpr>,
    /// The default when it is a constant: what rows written before an `ALTER TABLE ADD COLUMN`
    /// read for the new column.
    pub default_value: crate::storage::Value,
    /// Part of the primary key.
    pub primary_key: bool,
    /// The element type and dimensions of a vector column (declared `F32_BLOB(768)` and the
    /// like): values stored there must be vectors of exactly that shape.
    pub vector: Option<(embedlite_vector::VectorType, usize)>,
}

/// A rowid table.
#[derive(Debug, Clone)]
pub struct Table {
    /// Name.
    pub name: String,
    /// Root page of its b-tree.
    pub root: PageNo,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// The `INTEGER PRIMARY KEY` column that aliases the rowid.
    pub rowid_alias: Option<usize>,
    /// `AUTOINCREMENT`.
    pub autoincrement: bool,
    /// `CHECK` constraints.
    pub checks: Vec<AstExpr>,
    /// `WITHOUT ROWID`: the table's b-tree is an index b-tree keyed by the primary key, whose
    /// records hold the key columns ([`Table::pk`]) and then the other columns in table order.
    pub without_rowid: bool,
    /// The `PRIMARY KEY` columns in key order, with their collations and directions (empty if
    /// there is none). In a `WITHOUT ROWID` table a column repeated with the same collation is
    /// listed once, as SQLite stores it.
    pub pk: Vec<IndexColumn>,
    /// `FOREIGN KEY` constraints (this table is the child).
    pub foreign_keys: Vec<ForeignKey>,
    /// The `CREATE TABLE` text.
    pub sql: String,
}

/// What a foreign key does to the child rows when their parent row is deleted or its key
/// changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FkAction {
    /// Nothing; the statement fails at its end if children are left without a parent.
    NoAction,
    /// The statement fails at once.
    Restrict,
    /// The child columns become NULL.
    SetNull,
    /// The child columns take their defaults.
    SetDefault,
    /// Children are deleted with the parent, or take its new key.
    Cascade,
}

/// A `FOREIGN KEY (columns) REFERENCES parent(parent_columns)` constraint.
#[derive(Debug, Clone)]
pub struct ForeignKey {
    /// The child table's columns.
    pub columns: Vec<usize>,
    /// The parent table (as written).
    pub parent: String,
    /// The parent's columns, as written (empty: the parent's primary key).
    pub parent_columns: Vec<String>,
    /// `ON DELETE`.
    pub on_delete: FkAction,
    /// `ON UPDATE`.
    pub on_update: FkAction,
}

fn fk_action(a: Option<ast::ReferentialAction>) -> FkAction {
    match a {
        None | Some(ast::ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ast::ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ast::ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => FkAction::SetDefault,
        Some(ast::ReferentialAction::Cascade) => FkAction::Cascade,
    }
}

/// The catalog's form of a parsed foreign key whose child columns are `columns`.
fn foreign_key(fk: &ast::ForeignKeyConstraint, columns: Vec<usize>) -> Result<ForeignKey> {
    let parent_columns: Vec<String> = fk.referred_columns.iter().map(|c| c.value.clone()).collect();
    if !parent_columns.is_empty() && parent_columns.len() != columns.len() {
        return Err(Error::Sql(format!(
            "number of columns in foreign key does not match the number of columns in the referenced table {}",
            object_name(&fk.foreign_table)
        )));
    }
    Ok(ForeignKey {
        columns,
        parent: object_name(&fk.foreign_table),
        parent_columns,
        on_delete: fk_action(fk.on_delete),
        on_update: fk_action(fk.on_update),
    })
}

impl Table {
    /// Index of a column by name (case-insensitive).
    #[must_use]
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// `WITHOUT ROWID`: the table column at each field of a record of the table's b-tree — the
    /// primary key columns, then the other columns in table order.
    #[must_use]
    pub fn record_columns(&self) -> Vec<usize> {
        let mut cols: Vec<usize> = self.pk.iter().filter_map(|c| c.column).collect();
        for i in 0..self.columns.len() {
            if !cols.contains(&i) {
                cols.push(i);
            }
        }
        cols
    }

    /// `WITHOUT ROWID`: how the primary key compares (the leading fields of each record).
    #[must_use]
    pub fn pk_key_info(&self) -> KeyInfo {
        KeyInfo {
            collations: self.pk.iter().map(|c| c.collation).collect(),
            desc: self.pk.iter().map(|c| c.desc).collect(),
        }
    }

    /// `WITHOUT ROWID`: the primary key columns that follow the key columns of `index` in each
    /// of its entries, in place of a rowid — those the index does not already hold with the
    /// same collation. Empty for a rowid table, and for the primary key's own index.
    #[must_use]
    pub fn pk_suffix(&self, index: &Index) -> Vec<IndexColumn> {
        if !self.without_rowid || index.primary_key {
            return Vec::new();
        }
        self.pk
            .iter()
            .filter(|p| {
                !index.columns.iter().any(|ic| ic.column == p.column && ic.collation == p.collation)
            })
            .cloned()
            .collect()
    }

    /// `WITHOUT ROWID`: the field of each primary key column in the entries of `index`, among
    /// its key columns or in the [`pk_suffix`](Table::pk_suffix) after them.
    #[must_use]
    pub fn pk_fields(&self, index: &Index) -> Vec<usize> {
        let suffix = self.pk_suffix(index);
        let n = index.columns.len();
        self.pk
            .iter()
            .map(|p| {
                let same = |ic: &IndexColumn| ic.column == p.column && ic.collation == p.collation;
                index
                    .columns
                    .iter()
                    .position(same)
                    .or_else(|| suffix.iter().position(same).map(|i| n + i))
                    .expect("the suffix holds the key columns the index lacks")
            })
            .collect()
    }
}

/// One key column of an index.
#[derive(Debug, Clone)]
pub struct IndexColumn {
    /// Table column, or `None` for an expression.
    pub column: Option<usize>,
    /// The expression (for expression indexes).
    pub expr: Option<AstExpr>,
    /// Collation.
    pub collation: Collation,
    /// Descending.
    pub desc: bool,
}

/// An index.
#[derive(Debug, Clone)]
pub struct Index {
    /// Name.
    pub name: String,
    /// Table it indexes (lower case).
    pub table: String,
    /// Root page.
    pub root: PageNo,
    /// Key columns (the rowid follows them in each entry).
    pub columns: Vec<IndexColumn>,
    /// `UNIQUE` (or an automatic index of a UNIQUE/PRIMARY KEY constraint).
    pub unique: bool,
    /// Partial index condition.
    pub predicate: Option<AstExpr>,
    /// The `CREATE INDEX` text; `None` for automatic indexes.
    pub sql: Option<String>,
    /// The automatic index of the `PRIMARY KEY` constraint. In a `WITHOUT ROWID` table it is
    /// the table's own b-tree (its root is the table's), which `sqlite_schema` does not list.
    pub primary_key: bool,
}

impl Index {
    /// How the fields of this index's entries compare: its key columns, then the primary key
    /// columns that a `WITHOUT ROWID` table stores after them (see [`Table::pk_suffix`]); the
    /// rowid of a rowid table compares as BINARY, ascending.
    #[must_use]
    pub fn entry_key_info(&self, table: &Table) -> KeyInfo {
        let cols: Vec<IndexColumn> =
            self.columns.iter().cloned().chain(table.pk_suffix(self)).collect();
        KeyInfo {
            collations: cols.iter().map(|c| c.collation).collect(),
            desc: cols.iter().map(|c| c.desc).collect(),
        }
    }

    /// How the index's keys compare: each column's collation and order.
    #[must_use]
    pub fn key_info(&self) -> KeyInfo {
        KeyInfo {
            collations: self.columns.iter().map(|c| c.collation).collect(),
            desc: self.columns.iter().map(|c| c.desc).collect(),
        }
    }
}

/// A view.
#[derive(Debug, Clone)]
pub struct View {
    /// Name.
    pub name: String,
    /// Explicit column names.
    pub columns: Vec<String>,
    /// The query.
    pub query: Box<ast::Query>,
    /// The `CREATE VIEW` text.
    pub sql: String,
}

/// A trigger: its text and the parsed statement (bound into every statement that may fire it).
#[derive(Debug, Clone)]
pub struct Trigger {
    /// Name.
    pub name: String,
    /// Table (lower case).
    pub table: String,
    /// The `CREATE TRIGGER` text.
    pub sql: String,
    /// Its position in `sqlite_schema`: SQLite fires the most recently created trigger first.
    pub seq: usize,
    /// The parsed statement (`None` if the text is not a `CREATE TRIGGER` we can read).
    pub def: Option<Arc<sqlparser::ast::CreateTrigger>>,
}

/// Everything in `sqlite_schema`.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Tables by lower-case name.
    pub tables: HashMap<String, Arc<Table>>,
    /// Indexes by lower-case name.
    pub indexes: HashMap<String, Arc<Index>>,
    /// Views by lower-case name.
    pub views: HashMap<String, Arc<View>>,
    /// Triggers by lower-case name.
    pub triggers: HashMap<String, Trigger>,
    /// Vector indexes (from `embedlite_vector_meta`) by lower-case name.
    pub vector_indexes: HashMap<String, Arc<crate::vector_index::VectorIndexDef>>,
    /// The schema cookie the catalog was read at.
    pub cookie: u32,
}

/// The last part of an object name, unquoted.
#[must_use]
pub fn object_name(name: &ast::ObjectName) -> String {
    name.0.last().and_then(|p| p.as_ident()).map_or_else(|| name.to_string(), |i| i.value.clone())
}

/// The collation named by a `COLLATE` clause.
pub fn collation_named(name: &str) -> Result<Collation> {
    Collation::from_name(name)
        .ok_or_else(|| Error::Sql(format!("no such collation sequence: {name}")))
}

/// The value of a constant default expression (NULL for anything else).
fn constant_value(e: &AstExpr) -> crate::storage::Value {
    use crate::storage::Value;
    match e {
        AstExpr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => super::bind::number_literal(n),
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => {
                Value::Text(s.clone())
            }
            ast::Value::Boolean(b) => Value::Integer(i64::from(*b)),
            ast::Value::HexStringLiteral(h) => {
                let bytes: Option<Vec<u8>> = (0..h.len())
                    .step_by(2)
                    .map(|i| h.get(i..i + 2).and_then(|x| u8::from_str_radix(x, 16).ok()))
                    .collect();
                bytes.map_or(Value::Null, Value::Blob)
            }
            _ => Value::Null,
        },
        AstExpr::Nested(x) => constant_value(x),
        AstExpr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => match constant_value(expr) {
            Value::Integer(i) => Value::Integer(i.wrapping_neg()),
            Value::Real(r) => Value::Real(-r),
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

fn decl_type_text(dt: &ast::DataType) -> String {
    match dt {
        ast::DataType::Unspecified => String::new(),
        other => other.to_string(),
    }
}

/// The catalog entry for a `CREATE TABLE` statement (without its root page).
pub fn table_from_create(
    ct: &ast::CreateTable,
    root: PageNo,
    sql: &str,
) -> Result<(Table, Vec<Index>)> {
    let name = object_name(&ct.name);
    let mut columns = Vec::with_capacity(ct.columns.len());
    let mut rowid_alias = None;
    let mut autoincrement = false;
    let mut checks = Vec::new();
    let mut unique_sets: Vec<Vec<IndexColumn>> = Vec::new();
    let mut pk_cols: Vec<usize> = Vec::new();
    let mut foreign_keys = Vec::new();
    for (i, c) in ct.columns.iter().enumerate() {
        let decl_type = decl_type_text(&c.data_type);
        let mut col = Column {
            name: c.name.value.clone(),
            affinity: affinity_of_type(&decl_type),
            vector: embedlite_vector::parse_column_type(&decl_type).ok(),
            decl_type,
            collation: Collation::Binary,
            not_null: false,
            default: None,
            default_value: crate::storage::Value::Null,
            primary_key: false,
        };
        for opt in &c.options {
            match &opt.option {
                ColumnOption::NotNull => col.not_null = true,
                ColumnOption::Default(e) => {
                    col.default_value = constant_value(e);
                    col.default = Some(e.clone());
                }
                ColumnOption::Collation(n) => col.collation = collation_named(&object_name(n))?,
                ColumnOption::PrimaryKey(_) => {
                    col.primary_key = true;
                    pk_cols.push(i);
                }
                ColumnOption::Unique(_) => unique_sets.push(vec![IndexColumn {
                    column: Some(i),
                    expr: None,
                    collation: Collation::Binary,
                    desc: false,
                }]),
                ColumnOption::Check(c) => checks.push(c.expr.as_ref().clone()),
                ColumnOption::ForeignKey(fk) => foreign_keys.push(foreign_key(fk, vec![i])?),
                ColumnOption::DialectSpecific(tokens)
                    if tokens
                        .iter()
                        .any(|t| t.to_string().eq_ignore_ascii_case("AUTOINCREMENT")) =>
                {
                    autoincrement = true;
                }
                _ => {}
            }
        }
        columns.push(col);
    }
    // Unique sets from column constraints use the column's collation.
    for set in &mut unique_sets {
        for ic in set.iter_mut() {
            if let Some(c) = ic.column {
                ic.collation = columns[c].collation;
            }
        }
    }
    let key_columns = |cols: &[ast::IndexColumn], columns: &[Column]| -> Result<Vec<IndexColumn>> {
        cols.iter()
            .map(|ic| {
                let (expr, coll) = match &ic.column.expr {
                    AstExpr::Collate { expr, collation } => {
                        (expr.as_ref(), Some(collation_named(&object_name(collation))?))
                    }
                    e => (e, None),
                };
                let cname = match expr {
                    AstExpr::Identifier(id) => id.value.clone(),
                    other => {
                        return Err(Error::Sql(format!(
                            "expressions prohibited in PRIMARY KEY and UNIQUE constraints: {other}"
                        )))
                    }
                };
                let c = columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(&cname))
                    .ok_or_else(|| Error::Sql(format!("no such column: {cname}")))?;
                let desc = matches!(ic.column.options.sort, Some(ast::OrderBySort::Desc));
                Ok(IndexColumn {
                    column: Some(c),
                    expr: None,
                    collation: coll.unwrap_or(columns[c].collation),
                    desc,
                })
            })
            .collect()
    };
    let mut pk_set: Option<Vec<IndexColumn>> = if pk_cols.is_empty() {
        None
    } else {
        Some(
            pk_cols
                .iter()
                .map(|&c| IndexColumn {
                    column: Some(c),
                    expr: None,
                    collation: columns[c].collation,
                    desc: false,
                })
                .collect(),
        )
    };
    let mut ordered_sets: Vec<Vec<IndexColumn>> = Vec::new();
    // SQLite numbers automatic indexes in the order the constraints appear: column
    // constraints first (PRIMARY KEY before UNIQUE within a column), then table constraints.
    if let Some(pk) = &pk_set {
        ordered_sets.push(pk.clone());
    }
    ordered_sets.append(&mut unique_sets);
    for tc in &ct.constraints {
        match tc {
            TableConstraint::PrimaryKey(pk) => {
                if pk_set.is_some() {
                    return Err(Error::Sql(format!(
                        "table \"{name}\" has more than one primary key"
                    )));
                }
                let set = key_columns(&pk.columns, &columns)?;
                for ic in &set {
                    if let Some(c) = ic.column {
                        columns[c].primary_key = true;
                    }
                }
                pk_set = Some(set.clone());
                ordered_sets.push(set);
            }
            TableConstraint::Unique(u) => ordered_sets.push(key_columns(&u.columns, &columns)?),
            TableConstraint::Check(c) => checks.push(c.expr.as_ref().clone()),
            TableConstraint::ForeignKey(fk) => {
                let cols = fk
                    .columns
                    .iter()
                    .map(|c| {
                        columns
                            .iter()
                            .position(|col| col.name.eq_ignore_ascii_case(&c.value))
                            .ok_or_else(|| {
                                Error::Sql(format!(
                                    "unknown column \"{}\" in foreign key definition",
                                    c.value
                                ))
                            })
                    })
                    .collect::<Result<Vec<usize>>>()?;
                foreign_keys.push(foreign_key(fk, cols)?);
            }
            _ => {}
        }
    }
    // The primary key as declared (before a WITHOUT ROWID table drops repeated columns).
    let pk_key: Option<Vec<Option<usize>>> =
        pk_set.as_ref().map(|p| p.iter().map(|c| c.column).collect());
    let without_rowid = ct
        .sqlite_table_options
        .options
        .iter()
        .any(|o| matches!(o, ast::SqliteTableOption::WithoutRowid));
    if without_rowid {
        let Some(pk) = &mut pk_set else {
            return Err(Error::Sql(format!("PRIMARY KEY missing on table {name}")));
        };
        if autoincrement {
            return Err(Error::Sql("AUTOINCREMENT not allowed on WITHOUT ROWID tables".into()));
        }
        // A column repeated with the same collation adds nothing to the key.
        let mut kept: Vec<IndexColumn> = Vec::with_capacity(pk.len());
        for ic in pk.drain(..) {
            if !kept.iter().any(|k| k.column == ic.column && k.collation == ic.collation) {
                kept.push(ic);
            }
        }
        *pk = kept;
        // SQLite makes the key columns of a WITHOUT ROWID table NOT NULL.
        for ic in pk.iter() {
            if let Some(c) = ic.column {
                columns[c].not_null = true;
            }
        }
    } else if let Some(pk) = &pk_set {
        if pk.len() == 1 {
            let c = pk[0].column.expect("constraint columns are table columns");
            if columns[c].decl_type.eq_ignore_ascii_case("INTEGER") && !pk[0].desc {
                rowid_alias = Some(c);
            }
        }
    }
    let mut autos: Vec<Index> = Vec::new();
    let mut seen: Vec<Vec<Option<usize>>> = Vec::new();
    for mut set in ordered_sets {
        let is_alias_pk = rowid_alias.is_some()
            && set.len() == 1
            && set[0].column == rowid_alias
            && pk_set.as_ref().is_some_and(|p| p.len() == 1 && p[0].column == rowid_alias);
        if is_alias_pk {
            continue;
        }
        let key: Vec<Option<usize>> = set.iter().map(|c| c.column).collect();
        let primary_key = autos.iter().all(|a| !a.primary_key) && pk_key.as_ref() == Some(&key);
        let mut root_of = PageNo(0);
        if primary_key && without_rowid {
            set = pk_set.clone().expect("a WITHOUT ROWID table has a primary key");
            root_of = root;
        }
        // `seen` and `autos` grow together.
        if let Some(pos) = seen.iter().position(|k| *k == key) {
            if primary_key {
                // An earlier UNIQUE constraint on the key columns stands for the primary key.
                autos[pos].primary_key = true;
                autos[pos].root = root_of;
                autos[pos].columns = set;
            }
            continue;
        }
        seen.push(key);
        let n = autos.len() + 1;
        autos.push(Index {
            name: format!("sqlite_autoindex_{name}_{n}"),
            table: name.to_ascii_lowercase(),
            root: root_of,
            columns: set,
            unique: true,
            predicate: None,
            sql: None,
            primary_key,
        });
    }
    let table = Table {
        name,
        root,
        columns,
        rowid_alias,
        autoincrement,
        checks,
        without_rowid,
        pk: pk_set.unwrap_or_default(),
        foreign_keys,
        sql: sql.to_string(),
    };
    Ok((table, autos))
}

/// The catalog entry for a `CREATE INDEX` statement.
pub fn index_from_create(
    ci: &ast::CreateIndex,
    table: &Table,
    root: PageNo,
    sql: &str,
) -> Result<Index> {
    let name = ci
        .name
        .as_ref()
        .map(object_name)
        .ok_or_else(|| Error::Sql("index without a name".into()))?;
    let mut columns = Vec::with_capacity(ci.columns.len());
    for ic in &ci.columns {
        let (expr, coll) = match &ic.column.expr {
            AstExpr::Collate { expr, collation } => {
                (expr.as_ref().clone(), Some(collation_named(&object_name(collation))?))
            }
            e => (e.clone(), None),
        };
        let desc = matches!(ic.column.options.sort, Some(ast::OrderBySort::Desc));
        let column = match &expr {
            AstExpr::Identifier(id) => Some(
                table
                    .column_index(&id.value)
                    .ok_or_else(|| Error::Sql(format!("no such column: {}", id.value)))?,
            ),
            _ => None,
        };
        let collation = coll
            .unwrap_or_else(|| column.map_or(Collation::Binary, |c| table.columns[c].collation));
        columns.push(IndexColumn {
            column,
            expr: if column.is_none() { Some(expr) } else { None },
            collation,
            desc,
        });
    }
    Ok(Index {
        name,
        table: table.name.to_ascii_lowercase(),
        root,
        columns,
        unique: ci.unique,
        predicate: ci.predicate.clone(),
        sql: Some(sql.to_string()),
        primary_key: false,
    })
}

impl Catalog {
    /// Builds the catalog from the rows of `sqlite_schema`.
    pub fn load(entries: &[SchemaEntry], cookie: u32) -> Result<Catalog> {
        let mut cat = Catalog { cookie, ..Catalog::default() };
        let mut autos: HashMap<String, u32> = HashMap::new();
        for e in entries {
            if e.kind == "index" && e.sql.is_none() {
                autos.insert(e.name.to_ascii_lowercase(), e.rootpage);
            }
        }
        for e in entries.iter().filter(|e| e.kind == "table") {
            let Some(sql) = &e.sql else { continue };
            let Parsed::Sql(stmt) = parse_one(sql)? else {
                return Err(Error::corrupt_file(format!("malformed schema entry for {}", e.name)));
            };
            let Statement::CreateTable(ct) = stmt.as_ref() else {
                return Err(Error::corrupt_file(format!("malformed schema entry for {}", e.name)));
            };
            let (table, table_autos) = table_from_create(ct, PageNo(e.rootpage), sql)?;
            for mut idx in table_autos {
                if idx.primary_key && table.without_rowid {
                    // The table's own b-tree, already at the table's root.
                    cat.indexes.insert(idx.name.to_ascii_lowercase(), Arc::new(idx));
                    continue;
                }
                let Some(&root) = autos.get(&idx.name.to_ascii_lowercase()) else {
                    return Err(Error::corrupt_file(format!(
                        "missing automatic index {}",
                        idx.name
                    )));
                };
                idx.root = PageNo(root);
                cat.indexes.insert(idx.name.to_ascii_lowercase(), Arc::new(idx));
            }
            cat.tables.insert(e.name.to_ascii_lowercase(), Arc::new(table));
        }
        for (seq, e) in entries.iter().enumerate() {
            let Some(sql) = &e.sql else { continue };
            match e.kind.as_str() {
                "index" => {
                    let Parsed::Sql(stmt) = parse_one(sql)? else { continue };
                    let Statement::CreateIndex(ci) = stmt.as_ref() else { continue };
                    let Some(table) = cat.tables.get(&e.tbl_name.to_ascii_lowercase()) else {
                        continue;
                    };
                    let idx = index_from_create(ci, table, PageNo(e.rootpage), sql)?;
                    cat.indexes.insert(e.name.to_ascii_lowercase(), Arc::new(idx));
                }
                "view" => {
                    let Parsed::Sql(stmt) = parse_one(sql)? else { continue };
                    if let Statement::CreateView(cv) = *stmt {
                        let columns = cv.columns.iter().map(|c| c.name.value.clone()).collect();
                        cat.views.insert(
                            e.name.to_ascii_lowercase(),
                            Arc::new(View {
                                name: e.name.clone(),
                                columns,
                                query: cv.query,
                                sql: sql.clone(),
                            }),
                        );
                    }
                }
                "trigger" => {
                    let def = match parse_one(sql) {
                        Ok(Parsed::Sql(stmt)) => match *stmt {
                            Statement::CreateTrigger(ct) => Some(Arc::new(ct)),
                            _ => None,
                        },
                        _ => None,
                    };
                    cat.triggers.insert(
                        e.name.to_ascii_lowercase(),
                        Trigger {
                            name: e.name.clone(),
                            table: e.tbl_name.to_ascii_lowercase(),
                            sql: sql.clone(),
                            seq,
                            def,
                        },
                    );
                }
                _ => {}
            }
        }
        Ok(cat)
    }

    /// A table by name.
    #[must_use]
    pub fn table(&self, name: &str) -> Option<&Arc<Table>> {
        self.tables.get(&name.to_ascii_lowercase())
    }

    /// The vector indexes of a table, by name.
    #[must_use]
    pub fn vector_indexes_of(&self, table: &str) -> Vec<Arc<crate::vector_index::VectorIndexDef>> {
        let mut v: Vec<_> = self
            .vector_indexes
            .values()
            .filter(|d| d.table.name.eq_ignore_ascii_case(table))
            .cloned()
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// The indexes of a table, by name.
    #[must_use]
    pub fn indexes_of(&self, table: &str) -> Vec<Arc<Index>> {
        let t = table.to_ascii_lowercase();
        let mut v: Vec<Arc<Index>> =
            self.indexes.values().filter(|i| i.table == t).cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }
}
