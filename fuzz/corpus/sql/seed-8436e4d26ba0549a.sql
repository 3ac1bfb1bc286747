DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('seq',2);
