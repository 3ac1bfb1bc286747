//! The `embedlite` shell binary, run as a user runs it: arguments, piped standard input, exit
//! status. Expected outputs are what `sqlite3` prints for the same input; `.dump` is checked by
//! loading it into the real SQLite (Python's `sqlite3` module) and comparing every value.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use embedlite::{Connection, Value};

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

/// Runs the shell with `args`, feeding `stdin` through a pipe.
fn shell(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_embedlite"))
        .args(args)
        .env("EMBEDLITE_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the embedlite binary starts");
    child.stdin.take().expect("stdin is piped").write_all(stdin.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("the shell finishes");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn ok(args: &[&str], stdin: &str) -> String {
    let r = shell(args, stdin);
    assert_eq!(r.code, 0, "exit status; stderr: {}", r.stderr);
    assert_eq!(r.stderr, "", "no errors expected");
    r.stdout
}

const TABLE: &str = "CREATE TABLE t(a INTEGER, b TEXT, c REAL);
INSERT INTO t VALUES(1, 'one', 1.5), (2, NULL, NULL), (3, 'a b, \"c\"', 100.0);";

#[test]
fn list_mode_is_sqlite3s_default() {
    let out = ok(&[":memory:", TABLE, "SELECT * FROM t ORDER BY a"], "");
    assert_eq!(out, "1|one|1.5\n2||\n3|a b, \"c\"|100.0\n");
}

#[test]
fn piped_sql_spans_lines_and_runs_a_final_statement_without_semicolon() {
    let input = "CREATE TABLE t(a);\nINSERT INTO t\n  VALUES(1),\n  (2);\n-- a comment\nSELECT sum(a)\nFROM t";
    assert_eq!(ok(&[":memory:"], input), "3\n");
    // No file argument means a private in-memory database, as in sqlite3.
    assert_eq!(ok(&[], "select 1; select 'x';"), "1\nx\n");
}

#[test]
fn headers_separator_and_nullvalue() {
    let input = format!(
        "{TABLE}\n.headers on\n.separator ,\n.nullvalue NULL\nSELECT a, b FROM t WHERE a < 3;\n"
    );
    assert_eq!(ok(&[":memory:"], &input), "a,b\n1,one\n2,NULL\n");
    let out = ok(&["-header", ":memory:", "select 1 as x, 2 as y"], "");
    assert_eq!(out, "x|y\n1|2\n");
}

#[test]
fn csv_mode_quotes_as_sqlite3_does() {
    let input = format!(".mode csv\n.headers on\n{TABLE}\nSELECT a, b, c, '' AS e FROM t;\n");
    let out = ok(&[":memory:"], &input);
    assert_eq!(out, "a,b,c,e\r\n1,one,1.5,\"\"\r\n2,,,\"\"\r\n3,\"a b, \"\"c\"\"\",100.0,\"\"\r\n");
}

#[test]
fn json_mode_is_an_array_of_objects() {
    let input = format!(".mode json\n{TABLE}\nSELECT a, b, c FROM t;\nSELECT 1 WHERE 0;\n");
    let out = ok(&[":memory:"], &input);
    assert_eq!(
        out,
        "[{\"a\":1,\"b\":\"one\",\"c\":1.5},\n{\"a\":2,\"b\":null,\"c\":null},\n\
         {\"a\":3,\"b\":\"a b, \\\"c\\\"\",\"c\":100.0}]\n"
    );
    let out = ok(&["-json", ":memory:", "select 'tab\there' as \"k\"\"q\", x'41' as b"], "");
    assert_eq!(out, "[{\"k\\\"q\":\"tab\\there\",\"b\":\"A\"}]\n");
}

#[test]
fn column_table_box_and_line_modes() {
    let q = "SELECT a, b FROM t WHERE a < 3";
    let column = ok(&[":memory:", TABLE, ".mode column", q], "");
    assert_eq!(column, "a  b  \n-  ---\n1  one\n2     \n");
    let table = ok(&[":memory:", TABLE, ".mode table", q], "");
    assert_eq!(
        table,
        "+---+-----+\n| a |  b  |\n+---+-----+\n| 1 | one |\n| 2 |     |\n+---+-----+\n"
    );
    let boxed = ok(&[":memory:", TABLE, ".mode box", "SELECT a FROM t WHERE a = 1"], "");
    assert_eq!(boxed, "┌───┐\n│ a │\n├───┤\n│ 1 │\n└───┘\n");
    let md = ok(&[":memory:", TABLE, ".mode markdown", q], "");
    assert_eq!(md, "| a |  b  |\n|---|-----|\n| 1 | one |\n| 2 |     |\n");
    let line = ok(&[":memory:", TABLE, ".mode line", q], "");
    assert_eq!(line, "    a = 1\n    b = one\n\n    a = 2\n    b = \n");
    let quote = ok(&[":memory:", TABLE, ".mode quote", "SELECT * FROM t WHERE a = 1"], "");
    assert_eq!(quote, "1,'one',1.5\n");
}

#[test]
fn tables_schema_and_indexes() {
    let db = "CREATE TABLE b(x); CREATE TABLE a(y UNIQUE); CREATE INDEX bx ON b(x); \
              CREATE VIEW v AS SELECT x FROM b; CREATE TABLE \"odd name\"(z)";
    let input = format!("{db};\n.tables\n.schema b\n.indexes b\n.schema v\n.schema \"odd name\"\n");
    let out = ok(&[":memory:"], &input);
    assert_eq!(
        out,
        "a         b         odd name  v       \n\
         CREATE TABLE b(x);\n\
         CREATE INDEX bx ON b(x);\n\
         bx\n\
         CREATE VIEW v AS SELECT x FROM b\n/* v(x) */;\n\
         CREATE TABLE IF NOT EXISTS \"odd name\"(z);\n"
    );
    // An empty database has nothing to list, and says so by printing nothing.
    assert_eq!(ok(&[":memory:", ".tables", ".schema"], ""), "");
}

#[test]
fn import_creates_the_table_from_the_header_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("people.csv");
    std::fs::write(
        &csv,
        "name,age,\"note\"\r\nalice,30,\"hi, there\"\r\nbob,,\"two\nlines\"\r\ncarol,5\r\n",
    )
    .expect("write csv");
    let db = dir.path().join("p.db");
    let (db, csv) = (db.to_str().expect("utf-8 path"), csv.to_str().expect("utf-8 path"));
    let r = shell(
        &[db, &format!(".import --csv {csv} people"), ".mode quote", "SELECT * FROM people"],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "'alice','30','hi, there'\n'bob','','two\nlines'\n'carol','5',NULL\n");
    assert_eq!(
        r.stderr,
        format!("{csv}:5: expected 3 columns but found 2 - filling the rest with NULL\n")
    );
    let schema = ok(&[db, ".schema people"], "");
    assert_eq!(
        schema,
        "CREATE TABLE IF NOT EXISTS \"people\"(\n\"name\" TEXT, \"age\" TEXT, \"note\" TEXT);\n"
    );

    // Into an existing table every record is data (here the header is skipped); the table's
    // column affinity applies, and `.mode csv` makes a plain `.import` read CSV.
    let input = format!(
        "CREATE TABLE n(name TEXT, age INTEGER, note);\n.mode csv\n.import --skip 1 {csv} n\n\
         .mode list\nSELECT name, typeof(age), age FROM n;\n"
    );
    let r = shell(&[db], &input);
    assert_eq!(r.stdout, "alice|integer|30\nbob|text|\ncarol|integer|5\n");
    assert_eq!(r.code, 0);

    let r = shell(&[db, ".import --csv /nonexistent/x.csv t"], "");
    assert_eq!(r.stderr, "Error: cannot open \"/nonexistent/x.csv\"\n");
    assert_eq!(r.code, 1);
}

#[test]
fn errors_print_like_sqlite3_and_set_the_exit_status() {
    // A script goes on after an error and exits with 1 at the end.
    let r =
        shell(&[":memory:"], "select 1;\nselect * from nosuch;\nselect 2;\n.nosuch\nselect 3;\n");
    assert_eq!(r.stdout, "1\n2\n3\n");
    assert_eq!(
        r.stderr,
        "Parse error near line 2: no such table: nosuch\n\
         Error: unknown command or invalid arguments:  \"nosuch\". Enter \".help\" for help\n"
    );
    assert_eq!(r.code, 1);

    // A runtime error names its line and SQLite's result code.
    let r = shell(
        &[":memory:"],
        "create table u(a unique);\ninsert into u values(1);\n\ninsert into u\nvalues(1);\n",
    );
    assert_eq!(r.stderr, "Runtime error near line 4: UNIQUE constraint failed: u.a (19)\n");
    assert_eq!(r.code, 1);

    // `.bail on` stops at the first error.
    let r = shell(&[":memory:"], ".bail on\nselect 1;\nselect * from nosuch;\nselect 2;\n");
    assert_eq!((r.stdout.as_str(), r.code), ("1\n", 1));

    // The first failing SQL argument ends the run.
    let r = shell(&[":memory:", "select 1", "select * from nosuch", "select 2"], "");
    assert_eq!(r.stdout, "1\n");
    assert_eq!(r.stderr, "Parse error: no such table: nosuch\n");
    assert_eq!(r.code, 1);

    // A syntax error says what is wrong.
    let r = shell(&[":memory:", "select 1 +"], "");
    assert!(r.stderr.starts_with("Parse error: syntax error"), "{}", r.stderr);

    // `.exit CODE` ends at once with that status; `.quit` with 0 after no error.
    assert_eq!(shell(&[":memory:"], "select 1;\n.exit 3\nselect 2;\n").code, 3);
    let r = shell(&[":memory:"], "select 1;\n.quit\nselect 2;\n");
    assert_eq!((r.stdout.as_str(), r.code), ("1\n", 0));
}

#[test]
fn read_timer_and_interactive_prompt_mode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("s.sql");
    std::fs::write(&script, "create table t(a);\ninsert into t values(42);\nselect * from nope;\n")
        .expect("write script");
    let script = script.to_str().expect("utf-8 path");
    let r = shell(&[":memory:"], &format!(".read {script}\nselect a from t;\n"));
    assert_eq!(r.stdout, "42\n");
    assert_eq!(r.stderr, "Parse error near line 3: no such table: nope\n");

    let out = ok(&[":memory:", ".timer on", "select 7"], "");
    assert!(out.starts_with("7\nRun Time: real "), "{out}");
    assert!(out.contains(" user ") && out.contains(" sys "), "{out}");

    // `-interactive` takes the line-editor path even on a pipe: banner, no line numbers.
    let r = shell(&["-interactive", ":memory:"], "select 1,\n2;\nselect * from nope;\n");
    assert!(r.stdout.starts_with("embedlite "), "{}", r.stdout);
    assert!(r.stdout.ends_with("1|2\n"), "{}", r.stdout);
    assert_eq!(r.stderr, "Parse error: no such table: nope\n");
}

/// A value in a form both SQLite (through Python) and embedlite print exactly: type and bits.
fn encode(v: &Value) -> String {
    let hex = |b: &[u8]| {
        b.iter().fold(String::new(), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
    };
    match v {
        Value::Null => "N".into(),
        Value::Integer(i) => format!("I:{i}"),
        Value::Real(f) => format!("R:{:016x}", f.to_bits()),
        Value::Text(s) => format!("T:{}", hex(s.as_bytes())),
        Value::Blob(b) => format!("B:{}", hex(b)),
    }
}

/// Loads a dump (stdin) into a new database with the real SQLite and prints, like
/// `embedlite_rows`, every row of every table and the schema's names.
const LOAD_DUMP: &str = r#"
import sqlite3, struct, sys
c = sqlite3.connect(sys.argv[1])
c.executescript(sys.stdin.read())
def enc(v):
    if v is None: return "N"
    if isinstance(v, int): return "I:%d" % v
    if isinstance(v, float): return "R:" + struct.pack(">d", v).hex()
    if isinstance(v, str): return "T:" + v.encode("utf-8", "surrogatepass").hex()
    return "B:" + bytes(v).hex()
print(c.execute("PRAGMA integrity_check").fetchone()[0])
for (name,) in c.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").fetchall():
    for row in c.execute('SELECT * FROM "%s" ORDER BY rowid' % name.replace('"', '""')):
        print(name + "|" + " ".join(enc(v) for v in row))
for row in c.execute("SELECT type, name, tbl_name FROM sqlite_schema WHERE sql NOT NULL ORDER BY name"):
    print("schema|" + " ".join(row))
"#;

fn embedlite_rows(path: &Path) -> String {
    let mut conn = Connection::open(path.to_str().expect("utf-8 path")).expect("open");
    let mut out = String::from("ok\n");
    let tables = conn
        .query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", &[])
        .expect("list tables");
    for t in &tables.rows {
        let Value::Text(name) = &t[0] else { panic!("table name is text") };
        let sql = format!("SELECT * FROM \"{}\" ORDER BY rowid", name.replace('"', "\"\""));
        for row in conn.query(&sql, &[]).expect("read table").rows {
            let vals: Vec<String> = row.iter().map(encode).collect();
            let _ = writeln!(out, "{name}|{}", vals.join(" "));
        }
    }
    let schema = conn
        .query(
            "SELECT type, name, tbl_name FROM sqlite_schema WHERE sql NOT NULL ORDER BY name",
            &[],
        )
        .expect("read schema");
    for row in schema.rows {
        let names: Vec<String> = row
            .iter()
            .map(|v| if let Value::Text(s) = v { s.clone() } else { String::new() })
            .collect();
        let _ = writeln!(out, "schema|{}", names.join(" "));
    }
    out
}

#[test]
fn dump_round_trips_through_real_sqlite() {
    let python_ok = Command::new("python3")
        .args(["-c", "import sqlite3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("src.db");
    let db_str = db.to_str().expect("utf-8 path");
    let setup = "
CREATE TABLE t(id INTEGER PRIMARY KEY, txt TEXT, r REAL, b BLOB, any_col);
INSERT INTO t VALUES(1, 'it''s', 0.1, x'00ff10', NULL);
INSERT INTO t VALUES(2, 'two
lines', 1e20, x'', 9223372036854775807);
INSERT INTO t VALUES(3, 'cr' || char(13) || 'lf' || char(10) || '\\n', -1.5e-7, NULL, -9223372036854775808);
INSERT INTO t VALUES(4, 'ünïcødé ✓', 123.0, 'text in blob col', 2.5);
INSERT INTO t VALUES(5, '', 1e-300, x'41', 'x');
INSERT INTO t VALUES(6, CAST(X'610062' AS TEXT), 3.0, NULL, 1.0/3);
CREATE TABLE \"odd \"\"name\"\" here\"(\"a col\" TEXT, \"order\" INT);
INSERT INTO \"odd \"\"name\"\" here\" VALUES('v', 7);
CREATE TABLE \"order\"(x);
INSERT INTO \"order\" VALUES(1), (NULL), (4.25);
CREATE TABLE seq(id INTEGER PRIMARY KEY AUTOINCREMENT, v);
INSERT INTO seq(v) VALUES('a'), ('b');
DELETE FROM seq WHERE v = 'b';
CREATE INDEX t_txt ON t(txt);
CREATE UNIQUE INDEX seq_v ON seq(v);
CREATE VIEW tv AS SELECT id, txt FROM t WHERE id < 3;
CREATE TRIGGER seq_log AFTER INSERT ON seq BEGIN INSERT INTO \"order\" VALUES(new.id); END;
";
    ok(&[db_str], setup);
    let dump = ok(&[db_str, ".dump"], "");
    assert!(dump.starts_with("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"), "{dump}");
    assert!(dump.ends_with("COMMIT;\n"), "{dump}");
    assert!(
        dump.contains("INSERT INTO t VALUES(1,'it''s',0.10000000000000000555,X'00ff10',NULL);\n"),
        "{dump}"
    );
    assert!(dump
        .contains("DELETE FROM sqlite_sequence;\nINSERT INTO sqlite_sequence VALUES('seq',2);\n"));

    // embedlite reads its own dump back to the same rows.
    let copy = dir.path().join("copy.db");
    ok(&[copy.to_str().expect("utf-8 path")], &dump);
    let expected = embedlite_rows(&db);
    assert_eq!(embedlite_rows(&copy), expected);
    assert!(expected.contains("seq|I:1 T:61\n") && expected.contains("order|R:4011000000000000\n"));

    if !python_ok {
        eprintln!("note: python3 with its sqlite3 module is missing; skipped loading the dump into real SQLite");
        return;
    }
    let sqlite_db = dir.path().join("sqlite.db");
    let mut child = Command::new("python3")
        .args(["-c", LOAD_DUMP, sqlite_db.to_str().expect("utf-8 path")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    child.stdin.take().expect("stdin is piped").write_all(dump.as_bytes()).expect("write dump");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "SQLite could not load the dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);

    // A single table's dump holds that table and its indexes and triggers only.
    let one = ok(&[db_str, ".dump seq"], "");
    assert!(
        one.contains("CREATE TABLE seq(") && one.contains("CREATE UNIQUE INDEX seq_v"),
        "{one}"
    );
    assert!(!one.contains("CREATE TABLE t(") && !one.contains("sqlite_sequence"), "{one}");
}

#[test]
fn empty_database_dumps_to_an_empty_transaction() {
    assert_eq!(
        ok(&[":memory:", ".dump"], ""),
        "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCOMMIT;\n"
    );
}
