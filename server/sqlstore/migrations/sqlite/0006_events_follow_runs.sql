-- Deleting a run deletes its events. The writer no longer has SQLite check
-- each event row's run (a lookup per row, some 15% of storing a run): it
-- finds the run, open, in the same transaction before adding its events. So
-- the cascade that the foreign key gave is this trigger's work.
CREATE TRIGGER runs_delete_events AFTER DELETE ON runs
BEGIN
	DELETE FROM events WHERE run_id = old.id;
END;
