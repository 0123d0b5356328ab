-- Runs: one request sent from the lab, and every event measured about it.
CREATE TABLE runs (
	id               TEXT PRIMARY KEY CHECK (length(id) = 32),
	created_at       TEXT NOT NULL,
	state            TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'complete')),
	method           TEXT NOT NULL,
	url              TEXT NOT NULL,
	request_headers  TEXT NOT NULL DEFAULT '[]', -- JSON [{name, value}]
	status           INTEGER,                    -- NULL until an answer is known
	response_headers TEXT                        -- JSON [{name, value}]
);

CREATE INDEX runs_created_at ON runs (created_at);

CREATE TABLE events (
	run_id TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	seq    INTEGER NOT NULL CHECK (seq > 0),
	stage  TEXT    NOT NULL,
	side   TEXT    NOT NULL CHECK (side IN ('client', 'server')),
	phase  TEXT    NOT NULL CHECK (phase IN ('start', 'end')),
	t_ms   REAL    NOT NULL,
	dur_ms REAL,                                 -- NULL: nothing could be measured
	state  TEXT    NOT NULL CHECK (state IN ('active', 'done', 'skipped', 'error')),
	detail TEXT    NOT NULL DEFAULT '{}',        -- JSON, language-neutral
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
