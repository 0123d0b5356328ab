-- Runs keep the whole exchange: the cookies the lab put in the browser's jar,
-- both bodies (the response's up to 64 KB), and the lab session that sent
-- them, for each browser's history.
ALTER TABLE runs ADD COLUMN session TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN request_cookies TEXT NOT NULL DEFAULT '[]'; -- JSON [{name, value}]
ALTER TABLE runs ADD COLUMN request_body TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN response_body TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN response_body_truncated INTEGER NOT NULL DEFAULT 0;

CREATE INDEX runs_session ON runs (session, created_at);
