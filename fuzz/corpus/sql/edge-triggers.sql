CREATE TRIGGER r AFTER INSERT ON lg BEGIN INSERT INTO lg(msg) VALUES ('again'); END; INSERT INTO lg(msg) VALUES ('x'); PRAGMA recursive_triggers = 1; INSERT INTO lg(msg) VALUES ('y');
