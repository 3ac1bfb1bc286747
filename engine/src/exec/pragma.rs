//! `PRAGMA`s that read the schema or the file: `table_info`, `index_list`, `index_info`,
//! `integrity_check`, and the header fields.

use crate::error::{Error, Result};
use crate::sql::catalog::Catalog;
use crate::sql::parse::Parsed;
use crate::storage::btree::{integrity_check, TreeCheck, TreeKind};
use crate::storage::header::offset;
use crate::storage::pager::Pager;
use crate::storage::{PageNo, Value};

/// Result column names of a statement that is not a query.
#[must_use]
pub fn columns_of(p: &Parsed) -> Vec<String> {
    let names: &[&str] = match p {
        Parsed::Pragma { name, .. } => match name.as_str() {
            "table_info" => &["cid", "name", "type", "notnull", "dflt_value", "pk"],
            "table_xinfo" => &["cid", "name", "type", "notnull", "dflt_value", "pk", "hidden"],
            "index_list" => &["seq", "name", "unique", "origin", "partial"],
            "index_info" => &["seqno", "cid", "name"],
            "database_list" => &["seq", "name", "file"],
            other => return vec![other.to_string()],
        },
        _ => &[],
    };
    names.iter().map(|s| (*s).to_string()).collect()
}

fn int(v: i64) -> Value {
    Value::Integer(v)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Header-backed pragmas: returns `None` if `name` is not one of them.
pub fn header_pragma(
    name: &str,
    arg: Option<&str>,
    pager: &mut Pager,
) -> Result<Option<Vec<Vec<Value>>>> {
    let field = match name {
        "user_version" => offset::USER_VERSION,
        "application_id" => offset::APPLICATION_ID,
        "schema_version" => offset::SCHEMA_COOKIE,
        "page_count" => return Ok(Some(vec![vec![int(i64::from(pager.db_size()))]])),
        "page_size" => return Ok(Some(vec![vec![int(pager.page_size() as i64)]])),
        "freelist_count" => {
            let n =
                if pager.db_size() == 0 { 0 } else { pager.header_u32(offset::FREELIST_COUNT)? };
            return Ok(Some(vec![vec![int(i64::from(n))]]));
        }
        _ => return Ok(None),
    };
    match arg {
        None => {
            let v = if pager.db_size() == 0 { 0 } else { pager.header_u32(field)? };
            // user_version and application_id are signed in SQLite.
            Ok(Some(vec![vec![int(i64::from(v as i32))]]))
        }
        Some(a) => {
            let v: i64 = a
                .trim()
                .parse()
                .map_err(|_| Error::Sql(format!("invalid value for PRAGMA {name}: {a}")))?;
            pager.set_header_u32(field, v as u32)?;
            Ok(Some(Vec::new()))
        }
    }
}

/// Schema pragmas: returns `None` if `name` is not one of them.
pub fn schema_pragma(
    name: &str,
    arg: Option<&str>,
    cat: &Catalog,
    pager: &mut Pager,
) -> Result<Option<Vec<Vec<Value>>>> {
    Ok(Some(match name {
        "table_info" | "table_xinfo" => {
            let Some(t) = arg.and_then(|a| cat.table(a)) else { return Ok(Some(Vec::new())) };
            // Numbered in key order.
            let pk_cols: Vec<usize> = t.pk.iter().filter_map(|ic| ic.column).collect();
            t.columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pk = pk_cols.iter().position(|&p| p == i).map_or(0, |p| p as i64 + 1);
                    let mut row = vec![
                        int(i as i64),
                        text(&c.name),
                        text(&c.decl_type),
                        int(i64::from(c.not_null)),
                        c.default.as_ref().map_or(Value::Null, |d| text(&d.to_string())),
                        int(pk),
                    ];
                    if name == "table_xinfo" {
                        row.push(int(0));
                    }
                    row
                })
                .collect()
        }
        "index_list" => {
            let Some(t) = arg.and_then(|a| cat.table(a)) else { return Ok(Some(Vec::new())) };
            let mut idx = cat.indexes_of(&t.name);
            idx.sort_by_key(|x| std::cmp::Reverse(x.root.0));
            idx.iter()
                .enumerate()
                .map(|(i, x)| {
                    let origin = if x.sql.is_some() {
                        "c"
                    } else if x
                        .columns
                        .iter()
                        .all(|c| c.column.is_some_and(|col| t.columns[col].primary_key))
                    {
                        "pk"
                    } else {
                        "u"
                    };
                    vec![
                        int(i as i64),
                        text(&x.name),
                        int(i64::from(x.unique)),
                        text(origin),
                        int(i64::from(x.predicate.is_some())),
                    ]
                })
                .collect()
        }
        "index_info" => {
            let Some(x) = arg.and_then(|a| cat.indexes.get(&a.to_ascii_lowercase())) else {
                return Ok(Some(Vec::new()));
            };
            let t = cat.tables.get(&x.table);
            x.columns
                .iter()
                .enumerate()
                .map(|(i, c)| match (c.column, t) {
                    (Some(col), Some(t)) => {
                        vec![int(i as i64), int(col as i64), text(&t.columns[col].name)]
                    }
                    _ => vec![int(i as i64), int(-2), Value::Null],
                })
                .collect()
        }
        "integrity_check" | "quick_check" => {
            if pager.db_size() == 0 {
                return Ok(Some(vec![vec![text("ok")]]));
            }
            let mut trees = vec![TreeCheck {
                root: PageNo::ONE,
                kind: TreeKind::Table,
                key_info: None,
                name: "sqlite_schema".into(),
            }];
            for t in cat.tables.values() {
                let (kind, key_info) = if t.without_rowid {
                    (TreeKind::Index, Some(t.pk_key_info()))
                } else {
                    (TreeKind::Table, None)
                };
                trees.push(TreeCheck { root: t.root, kind, key_info, name: t.name.clone() });
            }
            for x in cat.indexes.values() {
                let Some(t) = cat.tables.get(&x.table) else { continue };
                if x.primary_key && t.without_rowid {
                    // The table's own b-tree, checked above.
                    continue;
                }
                trees.push(TreeCheck {
                    root: x.root,
                    kind: TreeKind::Index,
                    key_info: Some(x.entry_key_info(t)),
                    name: x.name.clone(),
                });
            }
            let problems = integrity_check(pager, &trees)?;
            if problems.is_empty() {
                vec![vec![text("ok")]]
            } else {
                problems.into_iter().map(|p| vec![Value::Text(p)]).collect()
            }
        }
        "database_list" => vec![vec![int(0), text("main"), text("")]],
        _ => return Ok(None),
    }))
}
