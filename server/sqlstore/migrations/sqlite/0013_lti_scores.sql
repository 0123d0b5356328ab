-- Grades: a launch carries the line item its lesson reports to (Assignment
-- and Grade Services), with the client id the token is asked for; each
-- score is kept before it is sent, and tried again until the platform takes
-- it: a restart or an outage loses no grade.
ALTER TABLE lti_launches ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE lti_launches ADD COLUMN line_item TEXT NOT NULL DEFAULT '';
CREATE INDEX lti_launches_session ON lti_launches (session, lesson);

CREATE TABLE lti_scores (
	id         INTEGER PRIMARY KEY,
	issuer     TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	line_item  TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	lesson     TEXT NOT NULL,
	given      REAL NOT NULL,
	maximum    REAL NOT NULL,
	done_at    TEXT NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_try   TEXT NOT NULL,
	taken_at   TEXT,
	UNIQUE (issuer, line_item, user_id)
);
CREATE INDEX lti_scores_due ON lti_scores (next_try) WHERE taken_at IS NULL;
