CREATE TABLE tab0(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab1(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab2(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
INSERT INTO tab0 VALUES(0,7,45.73,'kuitf',98,62.20,'mfrvj');
INSERT INTO tab0 VALUES(1,44,97.48,'ldxye',38,79.14,'wdced');
INSERT INTO tab0 VALUES(2,96,39.93,'qoxon',33,80.54,'kjpsl');
SELECT pk FROM tab0 WHERE ((col0 > 80) AND ((((col3 <= 0))) AND (col4 <= 40.14 OR (col0 <= 85 OR col0 < 29) OR (col3 IN (54,37,55,78,55))) AND col0 IS NULL OR (((col0 BETWEEN 49 AND 57 AND (col3 < 40 AND col0 >= 13) AND col3 > 23 AND col3 < 5)) AND ((col1 < 28.55) OR (col3 < 36 AND col0 IN (24,19)) OR (((col1 < 32.73)))))));
