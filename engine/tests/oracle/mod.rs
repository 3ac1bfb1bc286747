//! Real SQLite (rusqlite, bundled) as the oracle of the differential tests: its values in
//! embedlite's `Value`, and a query's rows.

// Each test crate that includes this module uses a different part of it.
#![allow(dead_code)]

use embedlite::Value;

/// A rusqlite value as embedlite's.
pub fn to_ours(v: rusqlite::types::Value) -> Value {
    match v {
        rusqlite::types::Value::Null => Value::Null,
        rusqlite::types::Value::Integer(i) => Value::Integer(i),
        rusqlite::types::Value::Real(r) => Value::Real(r),
        rusqlite::types::Value::Text(s) => Value::Text(s),
        rusqlite::types::Value::Blob(b) => Value::Blob(b),
    }
}

/// The rows SQLite gives for `sql`, or its error message.
pub fn sqlite_rows(c: &rusqlite::Connection, sql: &str) -> Result<Vec<Vec<Value>>, String> {
    let mut st = c.prepare(sql).map_err(|e| e.to_string())?;
    let n = st.column_count();
    let mut rows = st.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        out.push(
            (0..n)
                .map(|i| to_ours(r.get::<_, rusqlite::types::Value>(i).expect("value")))
                .collect(),
        );
    }
    Ok(out)
}
