-- Launches from course platforms (LTI 1.3): the nonces they used, each once,
-- and each launch with the platform's user id, the name it sent and the
-- roles, the course and the lesson; nothing else of a person, and only for
-- as long as the lab is set to keep it.
CREATE TABLE lti_nonces (
	issuer  TEXT NOT NULL,
	nonce   TEXT NOT NULL,
	used_at TEXT NOT NULL,
	PRIMARY KEY (issuer, nonce)
) WITHOUT ROWID;

CREATE TABLE lti_launches (
	id            INTEGER PRIMARY KEY,
	issuer        TEXT NOT NULL,
	subject       TEXT NOT NULL,
	name          TEXT NOT NULL DEFAULT '',
	roles         TEXT NOT NULL DEFAULT '[]', -- JSON list of role URIs
	deployment    TEXT NOT NULL,
	context       TEXT NOT NULL DEFAULT '',
	context_title TEXT NOT NULL DEFAULT '',
	resource_link TEXT NOT NULL DEFAULT '',
	lesson        TEXT NOT NULL DEFAULT '',
	session       TEXT NOT NULL,
	launched_at   TEXT NOT NULL
);

CREATE INDEX lti_launches_context ON lti_launches (issuer, context, launched_at);
CREATE INDEX lti_launches_at ON lti_launches (launched_at);
