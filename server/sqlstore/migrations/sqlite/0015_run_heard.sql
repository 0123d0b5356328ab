-- When a run last heard from its page or its server: a batch stored. An open
-- run that hears nothing for a while was abandoned, and ends as interrupted
-- (see DB.MarkInterrupted); NULL until its first batch (its opening counts).
ALTER TABLE runs ADD COLUMN heard_at TEXT;
-- The open runs, found without reading the others.
CREATE INDEX runs_open ON runs (created_at) WHERE state = 'open' AND interrupted_at IS NULL;
