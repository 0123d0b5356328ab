-- The sample-site requests of a run being served, as PostgreSQL's runs keep
-- them: one schema for both engines. (One server counts its own in memory.)
ALTER TABLE runs ADD COLUMN serving INTEGER NOT NULL DEFAULT 0;
