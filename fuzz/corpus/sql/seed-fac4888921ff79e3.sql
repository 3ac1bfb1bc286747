CREATE TABLE tab0(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab1(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
CREATE TABLE tab2(pk INTEGER PRIMARY KEY, col0 INTEGER, col1 FLOAT, col2 TEXT, col3 INTEGER, col4 FLOAT, col5 TEXT);
INSERT INTO tab0 VALUES(0,544,473.59,'lupfg',846,31.38,'crmer');
INSERT INTO tab0 VALUES(1,551,716.92,'sxtsd',562,145.36,'xxacr');
INSERT INTO tab0 VALUES(2,481,975.35,'uxrjj',652,750.52,'rdgic');
SELECT pk FROM tab1 WHERE (((((col3 = 298 AND (col3 < 979) AND col0 >= 755 OR col3 < 861 OR (col1 = 779.31) OR col1 >= 80.65 AND (col4 > 395.98) OR col3 > 745 AND col3 >= 165 OR col0 < 414 AND col4 > 856.63 AND (col3 >= 224 OR ((col3 <= 669 AND col3 > 611 AND col1 < 454.51) OR ((col4 > 624.78 OR ((col3 >= 989) AND col4 IN (423.32,316.86)) OR (((col0 = 324 OR col1 > 985.0 OR col4 IS NULL AND col3 >= 741 AND col0 > 582 AND col1 > 108.36 AND col0 < 110 OR col0 = 922)) AND col1 = 203.38 OR col3 >= 882) OR col3 IS NULL AND col0 < 600 OR (col3 < 156) OR col1 < 992.68)))) AND col4 < 689.32 OR col0 >= 508 AND col1 >= 291.3 OR col3 = 394 OR (((col1 >= 592.17))) AND (col0 >= 913) AND col4 = 255.30 AND col4 IS NULL OR col0 >= 410))))) ORDER BY 1 DESC;
