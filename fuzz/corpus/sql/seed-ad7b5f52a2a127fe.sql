CREATE TABLE t(a INTEGER, b TEXT, c REAL);
INSERT INTO t VALUES(1, 'one', 1.5), (2, NULL, NULL), (3, 'a b, "c"', 100.0);