PRAGMA page_size={page_size}; PRAGMA journal_mode=DELETE; PRAGMA synchronous={synchronous};
         CREATE TABLE t(a, b, c);
         CREATE INDEX t_b ON t(b);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
         INSERT INTO t(a, b, c) SELECT i, printf('row %d %.*c', i, i % 120, 'x'),
                                       randomblob(50 + i % 250) FROM n;