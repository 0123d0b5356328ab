-- Each event row's run is found and held by the writer before its events
-- are added (sqlstore/group.go): the foreign key's check, a query and a row
-- lock for every event, is dropped, as SQLite's was (its migration 0006).
-- Deleting runs still deletes their events, by a trigger, once a statement.
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_run_id_fkey;

CREATE FUNCTION runs_delete_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM events WHERE run_id IN (SELECT id FROM gone);
	RETURN NULL;
END;
$$;

CREATE TRIGGER runs_delete_events AFTER DELETE ON runs
	REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION runs_delete_events();
