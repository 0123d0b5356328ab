-- Each lab session has a catalogue of its own: the seed courses (sesion '')
-- plus the ones it added, which no other session sees. A student's course
-- keeps when it was added, so that pruning can forget it with the runs.
ALTER TABLE cursos ADD COLUMN sesion TEXT NOT NULL DEFAULT '';
ALTER TABLE cursos ADD COLUMN creado_en TEXT NOT NULL DEFAULT '';
CREATE INDEX cursos_sesion ON cursos (sesion, id);
