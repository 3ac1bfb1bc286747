//! Triggers against real SQLite (rusqlite, bundled): the same schema and statements run on
//! both; each statement must succeed or fail alike (with the same `RAISE` message) and leave the
//! same rows in every table. Scripted cases cover each kind of trigger, then a seeded random
//! sequence mixes them; a file written by embedlite must pass SQLite's integrity check and fire
//! the same triggers there.

mod oracle;

use embedlite::{Connection, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SCHEMA: &[&str] = &[
    "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT UNIQUE, qty INT DEFAULT 0, price REAL)",
    "CREATE TABLE log(id INTEGER PRIMARY KEY, what TEXT, a, b)",
    "CREATE TABLE stock(name TEXT PRIMARY KEY, total INT)",
    "CREATE TABLE summary(k TEXT PRIMARY KEY, n INT)",
    "INSERT INTO summary VALUES ('items', 0), ('updates', 0)",
    "CREATE TRIGGER item_ai AFTER INSERT ON item BEGIN \
       INSERT INTO log(what, a, b) VALUES ('ins', NEW.id, NEW.name); \
       UPDATE summary SET n = n + 1 WHERE k = 'items'; \
     END",
    "CREATE TRIGGER item_au AFTER UPDATE ON item BEGIN \
       INSERT INTO log(what, a, b) VALUES ('upd', OLD.qty, NEW.qty); \
     END",
    "CREATE TRIGGER item_ad AFTER DELETE ON item BEGIN \
       INSERT INTO log(what, a, b) VALUES ('del', OLD.id, OLD.name); \
       UPDATE summary SET n = n - 1 WHERE k = 'items'; \
     END",
    "CREATE TRIGGER item_price BEFORE UPDATE OF price ON item WHEN NEW.price < 0 BEGIN \
       SELECT RAISE(ABORT, 'negative price'); \
     END",
    "CREATE TRIGGER item_bi BEFORE INSERT ON item BEGIN \
       SELECT RAISE(IGNORE) WHERE NEW.name = 'skip'; \
       SELECT RAISE(FAIL, 'bad qty') WHERE NEW.qty > 1000; \
       INSERT OR IGNORE INTO stock VALUES (NEW.name, 0); \
     END",
    "CREATE TRIGGER item_qty AFTER UPDATE OF qty ON item WHEN NEW.qty <> OLD.qty BEGIN \
       UPDATE stock SET total = coalesce(total, 0) + NEW.qty - OLD.qty WHERE name = NEW.name; \
       UPDATE summary SET n = n + 1 WHERE k = 'updates'; \
     END",
    "CREATE TRIGGER stock_au AFTER UPDATE ON stock WHEN NEW.total > 50 BEGIN \
       INSERT INTO log(what, a, b) VALUES ('big', NEW.name, NEW.total); \
     END",
    "CREATE TRIGGER log_guard BEFORE DELETE ON log BEGIN \
       SELECT CASE WHEN OLD.what = 'big' THEN RAISE(ABORT, 'keep big') END; \
     END",
];

const TABLES: &[&str] = &["item", "log", "stock", "summary"];

struct Pair {
    ours: Connection,
    theirs: rusqlite::Connection,
}

fn sqlite_rows(c: &rusqlite::Connection, q: &str) -> Vec<Vec<Value>> {
    oracle::sqlite_rows(c, q).expect("sqlite query")
}

/// SQLite's message without rusqlite's decoration.
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        other => other.to_string(),
    }
}

impl Pair {
    fn with(ours: Connection, theirs: rusqlite::Connection, schema: &[&str]) -> Pair {
        let mut p = Pair { ours, theirs };
        for s in schema {
            p.theirs.execute_batch(s).unwrap_or_else(|e| panic!("sqlite schema {s}: {e}"));
            p.ours.execute_batch(s).unwrap_or_else(|e| panic!("embedlite schema {s}: {e}"));
        }
        p
    }

    fn new() -> Pair {
        Pair::with(
            Connection::open(":memory:").expect("open"),
            rusqlite::Connection::open_in_memory().expect("open"),
            SCHEMA,
        )
    }

    /// Runs `sql` on both; they must agree on success, on a `RAISE` message, and on every
    /// table's rows after it.
    fn step(&mut self, sql: &str) -> bool {
        let a = self.theirs.execute_batch(sql).map_err(|e| sqlite_message(&e));
        let b = self.ours.execute_batch(sql).map_err(|e| e.to_string());
        assert_eq!(a.is_ok(), b.is_ok(), "{sql}: sqlite {a:?} embedlite {b:?}");
        if let (Err(x), Err(y)) = (&a, &b) {
            // SQLite may add where it found the error (" in ... at offset N").
            assert!(x.starts_with(y.as_str()), "{sql}: sqlite {x:?} embedlite {y:?}");
        }
        self.same_rows(sql);
        assert_eq!(
            self.theirs.is_autocommit(),
            self.ours.is_autocommit(),
            "{sql}: transaction state"
        );
        a.is_ok()
    }

    fn same_rows(&mut self, after: &str) {
        for t in TABLES {
            let q = format!("SELECT rowid, * FROM {t} ORDER BY rowid");
            let want = sqlite_rows(&self.theirs, &q);
            let got = self.ours.query(&q, &[]).expect("embedlite query").rows;
            assert_eq!(want, got, "after {after}: table {t}");
        }
    }

    /// `changes()` and `last_insert_rowid()` after `sql` must agree too.
    fn step_counts(&mut self, sql: &str) {
        self.step(sql);
        let q = "SELECT changes(), last_insert_rowid()";
        let want = sqlite_rows(&self.theirs, q);
        let got = self.ours.query(q, &[]).expect("counts").rows;
        assert_eq!(want, got, "after {sql}: changes(), last_insert_rowid()");
    }
}

#[test]
fn scripted_triggers_match_sqlite() {
    let mut p = Pair::new();
    let steps = [
        "INSERT INTO item(name, qty, price) VALUES ('apple', 5, 1.5)",
        "INSERT INTO item(name, qty, price) VALUES ('pear', 3, 2.0), ('fig', 7, 3.0), ('skip', 1, 1)",
        "INSERT INTO item(name, qty) VALUES ('plum', 2000)",
        "INSERT INTO item(name, qty) VALUES ('kiwi', 1), ('lime', 5000), ('date', 2)",
        "INSERT INTO item(name) VALUES ('apple')",
        "UPDATE item SET qty = qty + 10",
        "UPDATE item SET qty = 40 WHERE name = 'apple'",
        "UPDATE item SET price = -1 WHERE name = 'pear'",
        "UPDATE item SET price = 9 WHERE name = 'pear'",
        "UPDATE item SET name = name WHERE id = 1",
        "DELETE FROM item WHERE name = 'fig'",
        "DELETE FROM log WHERE what = 'ins'",
        "DELETE FROM log",
        "INSERT INTO item(name, qty, price) SELECT name || '2', qty, price FROM item WHERE qty > 10",
        "INSERT INTO item(name, qty) VALUES ('apple', 1) ON CONFLICT(name) DO UPDATE SET qty = qty + excluded.qty",
        "INSERT INTO item(name, qty) VALUES ('melon', 1) ON CONFLICT(name) DO UPDATE SET qty = 0",
        "INSERT INTO item(name, price) VALUES ('apple', 1) ON CONFLICT(name) DO UPDATE SET price = -5",
        "INSERT OR REPLACE INTO item(id, name, qty) VALUES (1, 'apple', 3)",
        "BEGIN; INSERT INTO item(name) VALUES ('txn'); UPDATE item SET price = -2; COMMIT",
        "COMMIT",
        "DROP TRIGGER item_price",
        "UPDATE item SET price = -2 WHERE name = 'pear'",
        "DROP TRIGGER IF EXISTS item_price",
        "DROP TRIGGER item_price",
        "DELETE FROM item WHERE qty < 20",
    ];
    let mut failures = 0;
    for s in steps {
        if !p.step(s) {
            failures += 1;
        }
    }
    assert!(failures >= 6, "only {failures} statements failed");
}

#[test]
fn changes_and_last_insert_rowid_count_the_outer_statement() {
    let mut p = Pair::new();
    p.step_counts("INSERT INTO item(name, qty) VALUES ('a', 1), ('b', 2)");
    p.step_counts("UPDATE item SET qty = qty + 1");
    p.step_counts("INSERT INTO item(name, qty) VALUES ('c', 60)");
    p.step_counts("DELETE FROM item WHERE name = 'a'");
}

#[test]
fn new_and_old_are_checked_and_raise_is_trigger_only() {
    let mut p = Pair::new();
    p.step("CREATE TABLE t(x, y)");
    p.step(
        "CREATE TRIGGER t_bad AFTER INSERT ON t BEGIN INSERT INTO log(what) VALUES (OLD.x); END",
    );
    p.step("INSERT INTO t VALUES (1, 2)");
    p.step("DROP TRIGGER t_bad");
    p.step(
        "CREATE TRIGGER t_bad2 BEFORE DELETE ON t BEGIN INSERT INTO log(what) VALUES (NEW.x); END",
    );
    p.step("DELETE FROM t");
    p.step("DROP TRIGGER t_bad2");
    p.step("SELECT RAISE(ABORT, 'outside')");
    p.step("CREATE TRIGGER t_ok BEFORE INSERT ON t BEGIN INSERT INTO log(what, a, b) VALUES ('t', NEW.rowid, NEW.x); END");
    p.step("INSERT INTO t VALUES (3, 4), (5, 6)");
    p.step("CREATE TRIGGER t_ins INSTEAD OF INSERT ON t BEGIN SELECT 1; END");
    p.step("CREATE TRIGGER t_ok BEFORE INSERT ON t BEGIN SELECT 1; END");
    p.step("CREATE TRIGGER t_none BEFORE INSERT ON nope BEGIN SELECT 1; END");
}

#[test]
fn raise_rollback_ends_the_transaction() {
    let mut p = Pair::new();
    p.step("CREATE TABLE t(x)");
    p.step("CREATE TRIGGER t_rb BEFORE INSERT ON t WHEN NEW.x < 0 BEGIN SELECT RAISE(ROLLBACK, 'no negatives'); END");
    p.step("BEGIN; INSERT INTO item(name) VALUES ('in txn'); INSERT INTO t VALUES (1)");
    p.step("INSERT INTO t VALUES (-1)");
    p.step("INSERT INTO t VALUES (2)");
    p.step("BEGIN; INSERT INTO t VALUES (3); INSERT INTO t VALUES (-3), (4)");
    p.step("INSERT INTO t SELECT -x FROM t");
}

#[test]
fn nested_triggers_do_not_recurse_into_themselves() {
    let mut p = Pair::new();
    p.step("CREATE TABLE ping(n INT)");
    p.step("CREATE TABLE pong(n INT)");
    p.step("CREATE TRIGGER ping_ai AFTER INSERT ON ping WHEN NEW.n < 20 BEGIN INSERT INTO pong VALUES (NEW.n + 1); END");
    p.step("CREATE TRIGGER pong_ai AFTER INSERT ON pong WHEN NEW.n < 20 BEGIN INSERT INTO ping VALUES (NEW.n + 1); END");
    p.step("CREATE TRIGGER ping_self AFTER INSERT ON ping BEGIN INSERT INTO ping VALUES (NEW.n + 100); END");
    p.step("INSERT INTO ping VALUES (1)");
    p.step("INSERT INTO log(what, a) SELECT 'ping', count(*) FROM ping");
    p.step("INSERT INTO log(what, a) SELECT 'pong', count(*) FROM pong");
}

#[test]
fn triggers_survive_reopen_and_run_in_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ours_path = dir.path().join("ours.db");
    let theirs_path = dir.path().join("theirs.db");
    let ours_str = ours_path.to_str().expect("utf-8 path");
    {
        let mut p = Pair::with(
            Connection::open(ours_str).expect("open"),
            rusqlite::Connection::open(&theirs_path).expect("open"),
            SCHEMA,
        );
        p.step("INSERT INTO item(name, qty) VALUES ('a', 1), ('b', 2)");
    }
    // Reopened, embedlite still fires the triggers it stored.
    let mut p = Pair::with(
        Connection::open(ours_str).expect("reopen"),
        rusqlite::Connection::open(&theirs_path).expect("reopen"),
        &[],
    );
    p.step("UPDATE item SET qty = 70 WHERE name = 'a'");
    p.step("DELETE FROM item WHERE name = 'b'");
    p.step("UPDATE item SET price = -1");
    drop(p);
    // SQLite reads embedlite's file, finds it sound and fires the same triggers.
    let sqlite_on_ours = rusqlite::Connection::open(&ours_path).expect("sqlite opens ours");
    let check = sqlite_rows(&sqlite_on_ours, "PRAGMA integrity_check");
    assert_eq!(check, vec![vec![Value::Text("ok".into())]]);
    let theirs = rusqlite::Connection::open(&theirs_path).expect("reopen");
    let steps = [
        "INSERT INTO item(name, qty) VALUES ('c', 3), ('skip', 1)",
        "UPDATE item SET qty = qty * 2",
        "DELETE FROM item WHERE name = 'c'",
    ];
    for s in steps {
        sqlite_on_ours.execute_batch(s).expect("sqlite on embedlite's file");
        theirs.execute_batch(s).expect("sqlite on its own file");
    }
    for t in TABLES {
        let q = format!("SELECT rowid, * FROM {t} ORDER BY rowid");
        assert_eq!(sqlite_rows(&sqlite_on_ours, &q), sqlite_rows(&theirs, &q), "table {t}");
    }
    drop(sqlite_on_ours);
    // And embedlite reads back what SQLite's triggers wrote.
    let mut p = Pair { ours: Connection::open(ours_str).expect("reopen"), theirs };
    p.same_rows("SQLite wrote embedlite's file");
}

#[test]
fn random_trigger_workloads_match_sqlite() {
    let seed: u64 =
        std::env::var("EMBEDLITE_TRIGGER_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(11);
    println!("seed {seed} (EMBEDLITE_TRIGGER_SEED to replay)");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut p = Pair::new();
    let names = ["a", "b", "c", "d", "skip", "e"];
    for _ in 0..300 {
        let n = names[rng.gen_range(0..names.len())];
        let q = rng.gen_range(-5..80);
        let k = rng.gen_range(1..12);
        let sql = match rng.gen_range(0..11) {
            0 => format!("INSERT INTO item(name, qty, price) VALUES ('{n}', {q}, {k})"),
            1 => format!("INSERT OR IGNORE INTO item(name, qty) VALUES ('{n}', {q}), ('{n}x', {k})"),
            2 => format!("UPDATE item SET qty = qty + {q} WHERE id % {k} = 0"),
            3 => format!("UPDATE item SET price = {} WHERE name = '{n}'", q - 10),
            4 => format!("DELETE FROM item WHERE id = {k}"),
            5 => format!("INSERT INTO item(name, qty) VALUES ('{n}', {q}) ON CONFLICT(name) DO UPDATE SET qty = excluded.qty"),
            6 => format!("DELETE FROM log WHERE id % {k} = 1"),
            7 => format!("UPDATE stock SET total = {q} WHERE name = '{n}'"),
            8 => format!("INSERT INTO item(name, qty) SELECT name || '{k}', qty + {q} FROM item WHERE id % 5 = {}", k % 5),
            9 => format!("INSERT INTO item(name, qty) VALUES ('{n}{k}', {})", q * 20),
            _ => format!("DELETE FROM item WHERE qty > {q}"),
        };
        p.step(&sql);
    }
}
