-- The simulated network a run was sent under ('' for none).
ALTER TABLE runs ADD COLUMN network TEXT NOT NULL DEFAULT '';
