-- A batch's events are kept as one row: a JSON array of the events as the
-- API gives them ([{seq, stage, side, phase, t_ms, dur_ms, state, detail}]),
-- from first_seq to last_seq, as text (the store alone reads it, whole). A
-- row per event cost an index entry, a heap tuple and its WAL per event.
-- What a batch is checked against (the run's last seq, the stages its events
-- started and ended) is kept on the run's row, which the batch holds anyway:
-- a batch reads no events.
CREATE TABLE event_batches (
	run_id    TEXT    NOT NULL,
	first_seq INTEGER NOT NULL CHECK (first_seq > 0),
	last_seq  INTEGER NOT NULL CHECK (last_seq >= first_seq),
	events    TEXT    NOT NULL,
	PRIMARY KEY (run_id, first_seq)
);

-- The run's last seq, and its stages started and ended as words: '>dns'
-- started, '<dns' ended on the client, '!dns' ended on the server.
ALTER TABLE runs ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN marks TEXT NOT NULL DEFAULT '';
UPDATE runs SET last_seq = e.last, marks = e.marks
FROM (SELECT run_id, max(seq) AS last,
		string_agg(CASE WHEN phase = 'start' THEN '>' WHEN side = 'server' THEN '!' ELSE '<' END || stage, ' ' ORDER BY seq) AS marks
	FROM events GROUP BY run_id) AS e
WHERE runs.id = e.run_id;

-- The events kept before, a batch each.
INSERT INTO event_batches (run_id, first_seq, last_seq, events)
SELECT run_id, seq, seq, CAST(json_build_array(json_build_object('seq', seq, 'stage', stage, 'side', side, 'phase', phase,
	't_ms', t_ms, 'dur_ms', dur_ms, 'state', state, 'detail', detail)) AS TEXT)
FROM events;

DROP TRIGGER runs_delete_events ON runs;
DROP TABLE events;

-- The events a row each, as they were kept, for reading by hand.
CREATE VIEW events AS
SELECT b.run_id, CAST(j.value ->> 'seq' AS INTEGER) AS seq, j.value ->> 'stage' AS stage, j.value ->> 'side' AS side,
	j.value ->> 'phase' AS phase, CAST(j.value ->> 't_ms' AS DOUBLE PRECISION) AS t_ms,
	CAST(j.value ->> 'dur_ms' AS DOUBLE PRECISION) AS dur_ms, j.value ->> 'state' AS state, j.value -> 'detail' AS detail
FROM event_batches AS b CROSS JOIN LATERAL jsonb_array_elements(CAST(b.events AS JSONB)) AS j(value);

CREATE OR REPLACE FUNCTION runs_delete_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM event_batches WHERE run_id IN (SELECT id FROM gone);
	RETURN NULL;
END;
$$;

CREATE TRIGGER runs_delete_events AFTER DELETE ON runs
	REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION runs_delete_events();
