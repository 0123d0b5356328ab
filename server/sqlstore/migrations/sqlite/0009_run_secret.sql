-- A run's secret: the parent-id of its request's traceparent. The run's id is
-- public (its link); a request is recorded as the run's only when it carries
-- the secret, which only the connection that opened the run was told.
ALTER TABLE runs ADD COLUMN secret TEXT NOT NULL DEFAULT '';
