-- The lab's own keys, made once and kept: the one that signs session tokens
-- (every server of the lab must know the same).
CREATE TABLE keys (
	name       TEXT PRIMARY KEY,
	value      BLOB NOT NULL,
	created_at TEXT NOT NULL
);
