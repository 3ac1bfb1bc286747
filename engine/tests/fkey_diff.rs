//! Foreign keys against real SQLite (rusqlite, bundled): the same schema and statements run on
//! both with `PRAGMA foreign_keys = ON`; each statement must succeed or fail alike and leave the
//! same rows in every table. Scripted cases cover each action, then a seeded random sequence
//! mixes them.

mod oracle;

use embedlite::{Connection, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SCHEMA: &[&str] = &[
    "PRAGMA foreign_keys = ON",
    // The CHECK on a parent table is bound when a child table is written.
    "CREATE TABLE artist(id INTEGER PRIMARY KEY, name TEXT UNIQUE CHECK(length(name) < 20))",
    "CREATE TABLE album(id INTEGER PRIMARY KEY, artist INT REFERENCES artist(id) ON DELETE CASCADE ON UPDATE CASCADE, title TEXT)",
    "CREATE INDEX album_artist ON album(artist)",
    "CREATE TABLE track(id INTEGER PRIMARY KEY, album INT, name TEXT, FOREIGN KEY(album) REFERENCES album(id) ON DELETE SET NULL)",
    "CREATE TABLE fan(id INTEGER PRIMARY KEY, artist_name TEXT REFERENCES artist(name) ON UPDATE CASCADE ON DELETE RESTRICT)",
    "CREATE TABLE note(id INTEGER PRIMARY KEY, album INT REFERENCES album, body TEXT)",
    "CREATE TABLE node(id INTEGER PRIMARY KEY, parent INT REFERENCES node(id) ON DELETE CASCADE)",
    "CREATE TABLE tagged(a INT, b TEXT, v INT DEFAULT 1, PRIMARY KEY(a, b))",
    "CREATE TABLE tagref(x INT, y TEXT DEFAULT 'dflt', FOREIGN KEY(x, y) REFERENCES tagged(a, b) ON DELETE SET DEFAULT)",
];

const TABLES: &[&str] = &["artist", "album", "track", "fan", "note", "node", "tagged", "tagref"];

struct Pair {
    ours: Connection,
    theirs: rusqlite::Connection,
}

impl Pair {
    fn new() -> Pair {
        let p = Pair {
            ours: Connection::open(":memory:").expect("open"),
            theirs: rusqlite::Connection::open_in_memory().expect("open"),
        };
        for s in SCHEMA {
            p.theirs.execute_batch(s).expect("sqlite schema");
        }
        let mut p = p;
        for s in SCHEMA {
            p.ours.execute_batch(s).unwrap_or_else(|e| panic!("embedlite schema {s}: {e}"));
        }
        p
    }

    /// Runs `sql` on both; they must agree on success, and on every table's rows after it.
    fn step(&mut self, sql: &str) -> bool {
        let a = self.theirs.execute_batch(sql).map_err(|e| e.to_string());
        let b = self.ours.execute_batch(sql).map_err(|e| e.to_string());
        assert_eq!(a.is_ok(), b.is_ok(), "{sql}: sqlite {a:?} embedlite {b:?}");
        if let (Err(x), Err(y)) = (&a, &b) {
            if x.contains("FOREIGN KEY") {
                assert!(y.contains("FOREIGN KEY constraint failed"), "{sql}: {y}");
            }
        }
        for t in TABLES {
            let q = format!("SELECT rowid, * FROM {t} ORDER BY rowid");
            let want = oracle::sqlite_rows(&self.theirs, &q).expect("sqlite query");
            let got = self.ours.query(&q, &[]).expect("embedlite query").rows;
            assert_eq!(want, got, "after {sql}: table {t}");
        }
        a.is_ok()
    }
}

#[test]
fn foreign_key_actions_match_sqlite() {
    let mut p = Pair::new();
    let steps = [
        "INSERT INTO artist VALUES (1, 'Ann'), (2, 'Bo'), (3, 'Cy')",
        "INSERT INTO album VALUES (10, 1, 'a1'), (11, 1, 'a2'), (12, 2, 'b1')",
        "INSERT INTO album VALUES (13, 9, 'orphan')",
        "INSERT INTO album VALUES (14, NULL, 'no artist')",
        "INSERT INTO album VALUES (15, '2', 'text key')",
        "INSERT INTO track VALUES (100, 10, 't1'), (101, 11, 't2'), (102, 12, 't3')",
        "INSERT INTO track VALUES (103, 99, 'bad')",
        "INSERT INTO fan VALUES (1, 'Ann'), (2, 'Bo')",
        "INSERT INTO fan VALUES (3, 'Nobody')",
        "INSERT INTO note VALUES (1, 12, 'n')",
        "UPDATE album SET artist = 7 WHERE id = 10",
        "UPDATE artist SET id = 21 WHERE id = 1",
        "UPDATE artist SET name = 'Annie' WHERE id = 21",
        "DELETE FROM artist WHERE id = 2",
        "DELETE FROM artist WHERE id = 3",
        "DELETE FROM fan WHERE id = 2",
        "DELETE FROM note",
        "DELETE FROM artist WHERE id = 2",
        "DELETE FROM album WHERE id = 11",
        "INSERT INTO node VALUES (1, NULL), (2, 1), (3, 2), (4, 1), (5, 4), (6, NULL)",
        "INSERT INTO node VALUES (7, 8), (8, 7)",
        "INSERT INTO node VALUES (9, 42)",
        "DELETE FROM node WHERE id = 1",
        "INSERT INTO tagged VALUES (1, 'x', 5), (2, 'dflt', 6), (3, 'y', 7)",
        "INSERT INTO tagref VALUES (1, 'x'), (3, 'y'), (NULL, 'zz')",
        "INSERT INTO tagref VALUES (1, 'nope')",
        "DELETE FROM tagged WHERE a = 1",
        "UPDATE tagged SET b = 'z' WHERE a = 3",
        "BEGIN; INSERT INTO album VALUES (30, 21, 'in txn'); DELETE FROM artist; COMMIT",
        "PRAGMA foreign_keys = OFF",
        "INSERT INTO album VALUES (40, 404, 'unchecked')",
        "PRAGMA foreign_keys = ON",
        "UPDATE album SET title = 'still orphan' WHERE id = 40",
        "UPDATE album SET artist = 405 WHERE id = 40",
    ];
    let mut failures = 0;
    for s in steps {
        if !p.step(s) {
            failures += 1;
        }
    }
    // The scripted steps include both kinds: make sure violations really were refused.
    assert!(failures >= 8, "only {failures} statements failed");
    let fk = p.ours.query("PRAGMA foreign_keys", &[]).expect("pragma").rows;
    assert_eq!(fk, vec![vec![Value::Integer(1)]]);
}

#[test]
fn foreign_key_mismatch_is_an_error_only_when_enforced() {
    let mut p = Pair::new();
    p.step("CREATE TABLE par(k INT, v)");
    p.step("CREATE TABLE chi(k INT REFERENCES par(k))");
    p.step("INSERT INTO par VALUES (1, 1)");
    let e = p.ours.execute_batch("INSERT INTO chi VALUES (1)").expect_err("mismatch");
    assert!(e.to_string().contains("foreign key mismatch"), "{e}");
    p.theirs.execute_batch("INSERT INTO chi VALUES (1)").expect_err("mismatch in sqlite too");
    p.step("PRAGMA foreign_keys = OFF");
    p.step("INSERT INTO chi VALUES (1)");
}

#[test]
fn random_foreign_key_workloads_match_sqlite() {
    let seed: u64 =
        std::env::var("EMBEDLITE_FK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7);
    println!("seed {seed} (EMBEDLITE_FK_SEED to replay)");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut p = Pair::new();
    for _ in 0..300 {
        let a = rng.gen_range(1..8);
        let b = rng.gen_range(1..8);
        let sql = match rng.gen_range(0..12) {
            0 => format!("INSERT OR IGNORE INTO artist VALUES ({a}, 'n{b}')"),
            1 => format!("INSERT INTO album(artist, title) VALUES ({a}, 't{b}')"),
            2 => format!("INSERT INTO track(album, name) VALUES ((SELECT max(id) FROM album WHERE artist = {a}), 'x')"),
            3 => format!("INSERT INTO fan(artist_name) VALUES ('n{a}')"),
            4 => format!("DELETE FROM artist WHERE id = {a}"),
            5 => format!("UPDATE artist SET id = {} WHERE id = {a}", a + 10),
            6 => format!("UPDATE artist SET name = 'n{b}' WHERE id = {a}"),
            7 => format!("DELETE FROM album WHERE artist = {a}"),
            8 => format!("INSERT INTO node(parent) VALUES ((SELECT id FROM node WHERE id % 7 = {a} % 7 LIMIT 1))"),
            9 => format!("DELETE FROM node WHERE id = {a}"),
            10 => format!("DELETE FROM fan WHERE artist_name = 'n{a}'"),
            _ => format!("UPDATE album SET artist = {b} WHERE artist = {a}"),
        };
        p.step(&sql);
    }
}
