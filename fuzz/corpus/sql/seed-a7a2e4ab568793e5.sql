CREATE TABLE tab0(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab1(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab2(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
INSERT INTO tab0 VALUES(0,7,45.73,'kuitf',98,62.20,'mfrvj');
INSERT INTO tab0 VALUES(1,44,97.48,'ldxye',38,79.14,'wdced');
INSERT INTO tab0 VALUES(2,96,39.93,'qoxon',33,80.54,'kjpsl');
SELECT pk FROM tab1 WHERE (col0 = 55 AND col3 = 70 OR col0 > 87 OR col3 >= 8 OR col0 IN (33,38,9,2,65) AND (col4 <= 86.38 AND (col1 >= 57.37 OR (col0 > 55) OR (col4 >= 62.37 AND ((((col4 < 98.63)) AND col1 < 52.3)))) OR col1 < 94.0 AND (col0 > 65) OR ((col3 > 4 OR col0 > 52))) OR (col1 > 54.70 OR (col3 < 63)) OR col1 IS NULL AND ((col4 > 15.9) OR col3 > 70 OR col1 IS NULL AND col3 > 68 AND (col3 <= 70) AND col3 < 83 AND (col3 > 71) AND ((col0 >= 84 OR (((col1 > 51.90)) AND ((col4 = 60.18 OR col0 >= 78) OR col0 < 69 AND ((col0 < 82 AND (col4 >= 86.32)) OR col0 < 92 OR col0 = 39) AND col0 < 27) AND col0 <= 31)))) OR (((col3 > 27)) AND col3 > 78) AND col3 IS NULL) OR col1 > 95.59;
