PRAGMA page_size={page_size}; PRAGMA journal_mode=DELETE; PRAGMA auto_vacuum=NONE;
             CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, body BLOB, score REAL);
             CREATE INDEX items_name_score ON items(name, score);
             CREATE TABLE tags(tag TEXT UNIQUE, n INTEGER);