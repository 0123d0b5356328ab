package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"reqlab/server/store"
)

// The sample site's statements, as the lab shows them to students (with ?
// where PostgreSQL has $1, $2…; see Dialect.SQL). Each lab session reads the
// seed courses (whose sesion is empty) and its own, never another's: the
// first argument is the session's id.
const (
	CoursesSQL     = `SELECT id, titulo, nivel, horas, descripcion FROM cursos WHERE sesion IN ('', ?) ORDER BY id`
	LevelSQL       = `SELECT id, titulo, nivel, horas, descripcion FROM cursos WHERE sesion IN ('', ?) AND nivel = ? ORDER BY id`
	CourseSQL      = `SELECT id, titulo, nivel, horas, descripcion FROM cursos WHERE sesion IN ('', ?) AND id = ?`
	EnrollmentsSQL = `SELECT id, curso_id, alumno FROM inscripciones ORDER BY id`
	InsertSQL      = `INSERT INTO cursos (titulo, nivel, horas, descripcion, sesion, creado_en) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`
	LevelsSQL      = `SELECT nivel, count(*) FROM cursos WHERE sesion IN ('', ?) GROUP BY nivel ORDER BY nivel`
)

// SQL returns a statement as the dialect runs it, and the lab shows it.
func (d *Dialect) SQL(query string) string { return d.q(query) }

func scanCourse(rows *sql.Rows, c *store.Course) error {
	return rows.Scan(&c.ID, &c.Titulo, &c.Nivel, &c.Horas, &c.Descripcion)
}

// Courses returns a session's catalogue: the seed and its own courses. The
// session "" (a request from outside the lab) sees the seed alone.
func (db *DB) Courses(ctx context.Context, session string) ([]store.Course, store.Query, error) {
	return query(ctx, db, scanCourse, CoursesSQL, session)
}

// CoursesOfLevel returns the courses of one level (básico, intermedio,
// avanzado) in a session's catalogue.
func (db *DB) CoursesOfLevel(ctx context.Context, session, nivel string) ([]store.Course, store.Query, error) {
	return query(ctx, db, scanCourse, LevelSQL, session, nivel)
}

// Course returns one course of a session's catalogue. No course with that id
// is not an error: the query ran and found no row, which store.Query.Rows
// says. Another session's course is not found either.
func (db *DB) Course(ctx context.Context, session string, id int64) (*store.Course, store.Query, error) {
	cs, q, err := query(ctx, db, scanCourse, CourseSQL, session, id)
	if err != nil || len(cs) == 0 {
		return nil, q, err
	}
	return &cs[0], q, nil
}

// Enrollments reads a table that does not exist, so it always fails inside
// the database ("no such table"). The sample site keeps this bug on purpose:
// it is the lab's real 500.
func (db *DB) Enrollments(ctx context.Context) ([]store.Enrollment, store.Query, error) {
	return query(ctx, db, func(rows *sql.Rows, e *store.Enrollment) error {
		return rows.Scan(&e.ID, &e.CursoID, &e.Alumno)
	}, EnrollmentsSQL)
}

// Levels counts the courses of each level in a session's catalogue.
func (db *DB) Levels(ctx context.Context, session string) ([]store.Level, store.Query, error) {
	return query(ctx, db, func(rows *sql.Rows, l *store.Level) error {
		return rows.Scan(&l.Nivel, &l.Cursos)
	}, LevelsSQL, session)
}

// InsertCourse adds a course to a session's catalogue, through the writer,
// and returns it with its new id. It fails with store.ErrFull past
// store.MaxCoursesPerSession for the session or store.MaxAddedCourses in
// all; the session's count is checked under a lock of the session's, so that
// two writers adding for one session at once cannot pass its bound. The
// session "" is the seed's: nothing is added to it.
func (db *DB) InsertCourse(ctx context.Context, session string, c store.Course) (store.Course, store.Query, error) {
	text := db.d.q(InsertSQL)
	if session == "" {
		return c, store.Query{SQL: text}, errors.New("insert course: no lab session")
	}
	q := store.Query{SQL: text, Start: time.Now()}
	var id int64 // read once do returns nil (see DB.do)
	lock := "cursos:" + session
	err := db.do(ctx, lock, func(w *wtx) error {
		if err := db.d.lock(w.on(), lock); err != nil {
			return err
		}
		var mine, all int
		if err := w.queryRow(`SELECT count(*) FILTER (WHERE sesion = ?), count(*) FROM cursos WHERE sesion <> ''`, session).Scan(&mine, &all); err != nil {
			return err
		}
		if mine >= store.MaxCoursesPerSession || all >= store.MaxAddedCourses {
			return refuse(store.ErrFull)
		}
		return w.queryRow(InsertSQL, c.Titulo, c.Nivel, c.Horas, c.Descripcion, session, db.at(db.Now())).Scan(&id)
	})
	q.Dur = time.Since(q.Start)
	if err != nil {
		return c, q, db.fail("insert course", err)
	}
	c.ID, q.Rows = id, 1
	return c, q, nil
}

// ResetCourses takes a session's catalogue back to the seed: the courses it
// added are deleted. It returns how many.
func (db *DB) ResetCourses(ctx context.Context, session string) (int64, error) {
	if session == "" {
		return 0, nil
	}
	n, err := db.execCount(ctx, "cursos:"+session, `DELETE FROM cursos WHERE sesion = ?`, session)
	if err != nil {
		return 0, db.fail("reset courses", err)
	}
	return n, nil
}

// query runs one statement on the read pool and measures it, from sending it
// to reading its last row. The statement is shown as it ran.
func query[T any](ctx context.Context, db *DB, scan func(*sql.Rows, *T) error, text string, args ...any) ([]T, store.Query, error) {
	text = db.d.q(text)
	q := store.Query{SQL: text, Start: time.Now()}
	out, err := func() ([]T, error) {
		rows, err := db.read.QueryContext(ctx, text, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []T{}
		for rows.Next() {
			var v T
			if err := scan(rows, &v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, rows.Err()
	}()
	q.Dur = time.Since(q.Start)
	if err != nil {
		return nil, q, db.fail("query", err)
	}
	q.Rows = len(out)
	return out, q, nil
}
