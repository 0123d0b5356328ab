package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reqlab/server/store"
)

// The sample site's statements, as the lab shows them to students. Each lab
// session reads the seed courses (whose sesion is empty) and its own, never
// another's: $1 is the session's id.
const (
	CoursesSQL     = `SELECT id, titulo, nivel, horas, descripcion FROM cursos WHERE sesion IN ('', $1) ORDER BY id`
	LevelSQL       = `SELECT id, titulo, nivel, horas, descripcion FROM cursos WHERE sesion IN ('', $1) AND nivel = $2 ORDER BY id`
	CourseSQL      = `SELECT id, titulo, nivel, horas, descripcion FROM cursos WHERE sesion IN ('', $1) AND id = $2`
	EnrollmentsSQL = `SELECT id, curso_id, alumno FROM inscripciones ORDER BY id`
	InsertSQL      = `INSERT INTO cursos (titulo, nivel, horas, descripcion, sesion, creado_en) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	LevelsSQL      = `SELECT nivel, count(*) FROM cursos WHERE sesion IN ('', $1) GROUP BY nivel ORDER BY nivel`
)

func scanCourse(rows pgx.Rows, c *store.Course) error {
	return rows.Scan(&c.ID, &c.Titulo, &c.Nivel, &c.Horas, &c.Descripcion)
}

// Courses returns a session's catalogue.
func (db *DB) Courses(ctx context.Context, session string) ([]store.Course, store.Query, error) {
	return query(ctx, db, scanCourse, CoursesSQL, session)
}

// CoursesOfLevel returns the courses of one level in a session's catalogue.
func (db *DB) CoursesOfLevel(ctx context.Context, session, nivel string) ([]store.Course, store.Query, error) {
	return query(ctx, db, scanCourse, LevelSQL, session, nivel)
}

// Course returns one course of a session's catalogue, nil where none.
func (db *DB) Course(ctx context.Context, session string, id int64) (*store.Course, store.Query, error) {
	cs, q, err := query(ctx, db, scanCourse, CourseSQL, session, id)
	if err != nil || len(cs) == 0 {
		return nil, q, err
	}
	return &cs[0], q, nil
}

// Enrollments reads the table that does not exist: the lab's real 500.
func (db *DB) Enrollments(ctx context.Context) ([]store.Enrollment, store.Query, error) {
	return query(ctx, db, func(rows pgx.Rows, e *store.Enrollment) error {
		return rows.Scan(&e.ID, &e.CursoID, &e.Alumno)
	}, EnrollmentsSQL)
}

// Levels counts the courses of each level in a session's catalogue.
func (db *DB) Levels(ctx context.Context, session string) ([]store.Level, store.Query, error) {
	return query(ctx, db, func(rows pgx.Rows, l *store.Level) error {
		return rows.Scan(&l.Nivel, &l.Cursos)
	}, LevelsSQL, session)
}

// InsertCourse adds a course to a session's catalogue. The session's count
// is checked under a lock of the session's, so that two servers adding for
// one session at once cannot pass its bound.
func (db *DB) InsertCourse(ctx context.Context, session string, c store.Course) (store.Course, store.Query, error) {
	if session == "" {
		return c, store.Query{SQL: InsertSQL}, errors.New("insert course: no lab session")
	}
	q := store.Query{SQL: InsertSQL, Start: time.Now()}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "cursos:"+session); err != nil {
			return err
		}
		var mine, all int
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE sesion = $1), count(*) FROM cursos WHERE sesion <> ''`, session).Scan(&mine, &all); err != nil {
			return err
		}
		if mine >= store.MaxCoursesPerSession || all >= store.MaxAddedCourses {
			return store.ErrFull
		}
		q.Start = time.Now() // the insert itself, as the lab shows it
		if err := tx.QueryRow(ctx, InsertSQL, c.Titulo, c.Nivel, c.Horas, c.Descripcion, session, db.Now().UTC()).Scan(&c.ID); err != nil {
			return err
		}
		q.Rows = 1
		return nil
	})
	q.Dur = time.Since(q.Start)
	if err != nil && !errors.Is(err, store.ErrFull) {
		err = fmt.Errorf("insert course: %w", err)
	}
	return c, q, err
}

// ResetCourses deletes the courses a session added.
func (db *DB) ResetCourses(ctx context.Context, session string) (int64, error) {
	if session == "" {
		return 0, nil
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM cursos WHERE sesion = $1`, session)
	if err != nil {
		return 0, fmt.Errorf("reset courses: %w", err)
	}
	return tag.RowsAffected(), nil
}

// query runs one statement and measures it, from sending it to reading its
// last row.
func query[T any](ctx context.Context, db *DB, scan func(pgx.Rows, *T) error, text string, args ...any) ([]T, store.Query, error) {
	q := store.Query{SQL: text, Start: time.Now()}
	out, err := func() ([]T, error) {
		rows, err := db.pool.Query(ctx, text, args...)
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
		return nil, q, fmt.Errorf("query: %w", err)
	}
	q.Rows = len(out)
	return out, q, nil
}
