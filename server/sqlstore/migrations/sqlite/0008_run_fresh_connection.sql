-- A run whose request asked for a connection of its own: the browser sends it
-- without credentials, on a connection it opens for it, which the server
-- closes once it has answered.
ALTER TABLE runs ADD COLUMN fresh_connection INTEGER NOT NULL DEFAULT 0;
