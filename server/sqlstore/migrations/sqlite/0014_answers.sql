-- The answers each lab session gave to the lessons' check questions: a
-- teacher's view of a class launched from a course platform shows them.
CREATE TABLE answers (
	session     TEXT    NOT NULL,
	lesson      TEXT    NOT NULL,
	choice      INTEGER NOT NULL,
	correct     INTEGER NOT NULL,
	answered_at TEXT    NOT NULL
);
CREATE INDEX answers_session ON answers (session, answered_at);
