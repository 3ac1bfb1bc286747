CREATE TABLE tab0(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab1(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab2(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
INSERT INTO tab0 VALUES(0,6,4.67,'wdbsg',4,2.89,'altmp');
INSERT INTO tab1 SELECT * FROM tab0;
INSERT INTO tab2 SELECT * FROM tab0;
SELECT pk FROM tab1 WHERE ((((((col3 = 4))) AND (((col3 > 2 OR ((col3 >= 3))))) OR ((col0 > 5) AND (col0 > 6) AND col1 < 6.69) OR ((col0 <= 0 AND col4 < 6.53 OR col3 >= 8 AND col0 IS NULL) AND col3 > 2 OR col0 > 2 AND col4 IS NULL AND col4 IS NULL) OR (((((col0 IS NULL))))) OR ((col0 < 7) OR col0 IS NULL) AND col3 <= 4) OR (col1 >= 9.36 OR (col1 < 7.70) AND col0 < 9) AND col3 < 0)) OR col1 IS NULL;
