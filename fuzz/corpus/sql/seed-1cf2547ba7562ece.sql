INSERT INTO t(a, b, c) SELECT a, b, randomblob(300) FROM t WHERE rowid % 9 = 1;
             INSERT INTO t(a, b, c) VALUES (1003, 'sqlite', zeroblob(1100000));
             DELETE FROM t WHERE rowid % 7 = 0;
             UPDATE t SET c = 'updated by sqlite' WHERE rowid % 11 = 2;
             CREATE INDEX t_c ON t(c);