-- SQLite's own refusals, which happen while it prepares the statement, before
-- any method of the virtual table runs (so the extension cannot add words to
-- them), and the workarounds README.md ("SQLite's refusals") documents.
.load @EXT@
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/refusals', mode=writer);
INSERT INTO kv VALUES ('a', '1'), ('b', '2');
-- 1. DIRECTONLY: a view stored in the database is refused when used, even with
--    trusted_schema=ON, and so is a trigger that writes to the table (TEMP
--    ones too) ...
CREATE VIEW v AS SELECT key, value FROM kv;
PRAGMA trusted_schema = ON;
SELECT 'main view, trusted_schema=ON', * FROM v;
PRAGMA trusted_schema = OFF;
CREATE TEMP TABLE tlog(k);
CREATE TEMP TRIGGER tt AFTER INSERT ON tlog BEGIN INSERT OR REPLACE INTO kv VALUES (new.k, 't'); END;
INSERT INTO tlog VALUES ('c');
SELECT 'no row from the trigger', count(*) FROM kv WHERE key = 'c';
-- ... while a TEMP trigger may read it, and a TEMP view and a common table
-- expression work.
CREATE TEMP TABLE seen(n);
CREATE TEMP TRIGGER tr AFTER INSERT ON tlog BEGIN INSERT INTO seen SELECT count(*) FROM kv; END;
DROP TRIGGER tt;
INSERT INTO tlog VALUES ('c');
SELECT 'temp trigger read', n FROM seen;
CREATE TEMP VIEW tv AS SELECT key, value FROM kv;
SELECT 'temp view', * FROM tv ORDER BY key;
WITH c AS (SELECT key, value FROM kv) SELECT 'cte', * FROM c ORDER BY key;
-- 2. UPSERT is refused for every virtual table ...
INSERT INTO kv VALUES ('a', '9') ON CONFLICT(key) DO UPDATE SET value = excluded.value;
INSERT INTO kv VALUES ('a', '9') ON CONFLICT DO NOTHING;
SELECT 'unchanged', * FROM kv ORDER BY key;
-- ... DO UPDATE SET value = excluded.value is INSERT OR REPLACE (a blind put),
INSERT OR REPLACE INTO kv VALUES ('a', '10');
-- DO NOTHING is INSERT OR IGNORE,
INSERT OR IGNORE INTO kv VALUES ('b', 'ignored'), ('c', '3');
SELECT 'or replace, or ignore', * FROM kv ORDER BY key;
-- and an update computed from the old value reads it through a LEFT JOIN.
WITH n(key, value) AS (VALUES ('a', 'x'), ('d', 'new'))
INSERT OR REPLACE INTO kv(key, value)
  SELECT n.key, coalesce(kv.value || '+', '') || n.value FROM n LEFT JOIN kv ON kv.key = n.key;
SELECT 'read-modify-write', * FROM kv ORDER BY key;
