CREATE TABLE movies (title TEXT, year INT, emb F32_BLOB(3));
         INSERT INTO movies VALUES ('Napoleon', 2023, vector('[1,2,3]')),
           ('Black Hawk Down', 2001, vector('[10,11,12]')), ('Gladiator', 2000, vector('[7,8,9]')),
           ('Blade Runner', 1982, vector('[4,5,6]')), ('Unknown', 1990, NULL);
         CREATE INDEX movies_idx ON movies (libsql_vector_idx(emb, 'metric=cosine'));