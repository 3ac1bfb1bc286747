-- The fixed schema every input of the `sql` fuzz target (and its corpus replay in
-- engine/tests/sql_fuzz_corpus.rs) runs against: tables with rowid and text keys, a foreign key,
-- indexes (unique, partial, on an expression), a view, triggers and a vector index.
CREATE TABLE pa (a INTEGER PRIMARY KEY, b TEXT, c REAL, d BLOB);
CREATE TABLE ch (x INTEGER PRIMARY KEY, y INTEGER REFERENCES pa(a), z TEXT NOT NULL DEFAULT 'z',
  CHECK (y IS NULL OR y >= 0));
CREATE TABLE kv (k TEXT PRIMARY KEY, v INT UNIQUE);
CREATE TABLE lg (id INTEGER PRIMARY KEY, msg TEXT);
CREATE TABLE vec (id INTEGER PRIMARY KEY, name TEXT, emb F32_BLOB(3));
CREATE INDEX pa_b ON pa(b);
CREATE UNIQUE INDEX pa_bc ON pa(b, c);
CREATE INDEX ch_y ON ch(y) WHERE y > 1;
CREATE INDEX ch_expr ON ch(lower(z));
CREATE INDEX vec_idx ON vec(libsql_vector_idx(emb));
CREATE VIEW vw AS SELECT a, b, x, z FROM pa LEFT JOIN ch ON ch.y = pa.a;
CREATE TRIGGER pa_ins AFTER INSERT ON pa BEGIN INSERT INTO lg(msg) VALUES ('ins ' || new.a); END;
CREATE TRIGGER ch_upd BEFORE UPDATE OF z ON ch WHEN new.z <> old.z BEGIN
  INSERT INTO lg(msg) VALUES (old.z || '->' || new.z);
END;
INSERT INTO pa VALUES (1, 'one', 1.5, x'01'), (2, 'two', NULL, NULL), (3, NULL, -3.25, x'ff00'),
  (4, 'four', 4.0, zeroblob(4));
INSERT INTO ch VALUES (10, 1, 'a'), (11, 2, 'B'), (12, NULL, 'c'), (13, 3, 'a');
INSERT INTO kv VALUES ('k1', 1), ('k2', NULL), ('k3', 3);
INSERT INTO vec VALUES (1, 'x', vector('[1,0,0]')), (2, 'y', vector('[0,1,0]')),
  (3, 'z', vector('[0.5,0.5,0.7]')), (4, 'none', NULL);
