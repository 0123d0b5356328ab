-- When a run was cut off: the server stopped (or was killed) while it was
-- open. NULL for a run that was not.
ALTER TABLE runs ADD COLUMN interrupted_at TEXT;
