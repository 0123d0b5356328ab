-- A batch's events are kept as one row: a JSON array of the events as the
-- API gives them ([{seq, stage, side, phase, t_ms, dur_ms, state, detail}]),
-- from first_seq to last_seq. A row per event cost the writer, which every
-- write waits for, a B-tree insert and nine bound arguments per event: half
-- its time for a run of 28 events. What the writer checks a batch against
-- (the run's last seq, the stages its events started and ended) is kept on
-- the run's row, so a batch reads no events.
CREATE TABLE event_batches (
	run_id    TEXT    NOT NULL,
	first_seq INTEGER NOT NULL CHECK (first_seq > 0),
	last_seq  INTEGER NOT NULL CHECK (last_seq >= first_seq),
	events    TEXT    NOT NULL, -- JSON array
	PRIMARY KEY (run_id, first_seq)
) WITHOUT ROWID;

-- The run's last seq, and its stages started and ended as words: '>dns'
-- started, '<dns' ended on the client, '!dns' ended on the server.
ALTER TABLE runs ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN marks TEXT NOT NULL DEFAULT '';
UPDATE runs SET
	last_seq = coalesce((SELECT max(seq) FROM events WHERE run_id = runs.id), 0),
	marks = coalesce((SELECT group_concat(CASE WHEN phase = 'start' THEN '>' WHEN side = 'server' THEN '!' ELSE '<' END || stage, ' ')
		FROM events WHERE run_id = runs.id), '');

-- The events kept before, a batch each.
INSERT INTO event_batches (run_id, first_seq, last_seq, events)
SELECT run_id, seq, seq, json_array(json_object('seq', seq, 'stage', stage, 'side', side, 'phase', phase, 't_ms', t_ms,
	'dur_ms', dur_ms, 'state', state, 'detail', json(detail)))
FROM events;

DROP TRIGGER runs_delete_events;
DROP TABLE events;

-- The events a row each, as they were kept, for reading by hand.
CREATE VIEW events AS
SELECT b.run_id AS run_id, json_extract(j.value, '$.seq') AS seq, json_extract(j.value, '$.stage') AS stage,
	json_extract(j.value, '$.side') AS side, json_extract(j.value, '$.phase') AS phase, json_extract(j.value, '$.t_ms') AS t_ms,
	json_extract(j.value, '$.dur_ms') AS dur_ms, json_extract(j.value, '$.state') AS state, json_extract(j.value, '$.detail') AS detail
FROM event_batches AS b, json_each(b.events) AS j;

CREATE TRIGGER runs_delete_events AFTER DELETE ON runs
BEGIN
	DELETE FROM event_batches WHERE run_id = old.id;
END;
