CREATE TABLE tab0(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab1(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab2(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
INSERT INTO tab0 VALUES(0,7,45.73,'kuitf',98,62.20,'mfrvj');
INSERT INTO tab0 VALUES(1,44,97.48,'ldxye',38,79.14,'wdced');
INSERT INTO tab0 VALUES(2,96,39.93,'qoxon',33,80.54,'kjpsl');
SELECT pk FROM tab3 WHERE col0 >= 61 OR col0 < 2 OR col1 <= 96.73 AND col3 < 14 OR col0 < 38 OR col0 < 5 AND col3 >= 67 AND (col3 = 55 OR col3 = 30 OR col3 = 61 OR col3 = 82 OR col3 = 87) AND ((col3 = 7 OR col3 = 97 OR col3 = 64 OR col3 = 80)) OR col0 < 86 OR col0 > 19;
