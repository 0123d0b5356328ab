-- The sample site's data: a small catalogue of courses, the backend's database
-- in the lab's lessons. There is deliberately no table "inscripciones": the
-- route that reads it fails inside the database, for the lesson on 500.
CREATE TABLE cursos (
	id          INTEGER PRIMARY KEY,
	titulo      TEXT    NOT NULL CHECK (length(titulo) BETWEEN 1 AND 200),
	nivel       TEXT    NOT NULL CHECK (nivel IN ('básico', 'intermedio', 'avanzado')),
	horas       INTEGER NOT NULL CHECK (horas > 0),
	descripcion TEXT    NOT NULL DEFAULT ''
);

INSERT INTO cursos (id, titulo, nivel, horas, descripcion) VALUES
	(1, 'Fundamentos de la web', 'básico', 6, 'Qué pasa entre el navegador y el servidor cuando abres una página.'),
	(2, 'HTML y CSS desde cero', 'básico', 10, 'Estructura y estilo de una página: lo que el navegador dibuja.'),
	(3, 'JavaScript en el navegador', 'intermedio', 12, 'El código que corre del lado del cliente.'),
	(4, 'APIs con Go', 'intermedio', 14, 'Un backend que recibe peticiones, decide y responde JSON.'),
	(5, 'Bases de datos con SQLite', 'intermedio', 8, 'Consultas SQL desde el backend.'),
	(6, 'HTTP a fondo: caché y cookies', 'avanzado', 9, 'Cabeceras, códigos de estado, caché y cookies.');
