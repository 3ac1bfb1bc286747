CREATE TABLE tab0(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab1(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab2(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
INSERT INTO tab0 VALUES(0,6,5.6,'jtqxx',9,5.19,'qvgba');
INSERT INTO tab1 SELECT * FROM tab0;
INSERT INTO tab2 SELECT * FROM tab0;
SELECT pk FROM tab1 WHERE (col1 IN (SELECT col4 FROM tab1 WHERE ((col3 <= 6) OR (col3 > 4)) AND (col1 BETWEEN 0.42 AND 9.71) AND col3 IS NULL AND (((col3 <= 0) OR (col3 < 6 AND ((((col0 IS NULL))) OR col1 IN (0.24) OR col4 IN (4.88) OR col0 = 5 AND col1 = 2.12 OR (col3 > 2)) OR col3 > 0 AND col0 BETWEEN 1 AND 9))) OR col0 IN (8,1,6,7) OR col4 <= 3.58 AND (col1 < 8.62) OR col1 < 3.11 AND (col4 > 7.79) OR (col3 > 2)));
