PRAGMA cache_size=10;
         BEGIN;
         UPDATE t SET b = b || ' updated', c = randomblob(length(c) + 7) WHERE a % 3 = 0;
         DELETE FROM t WHERE a % 5 = 1;
         INSERT INTO t(a, b, c) SELECT a + 10000, b, randomblob(400) FROM t WHERE a % 4 = 0;