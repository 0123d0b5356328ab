// The teacher's view of a class: asks the lab for the class every three
// seconds and draws a row per student. Text only, from the lab's own data.
(() => {
  const main = document.querySelector('[data-field="class"]');
  const rows = document.querySelector('[data-field="class-rows"]');
  const status = document.querySelector('[data-field="class-status"]');
  const en = main.dataset.lang === "en";
  const say = (es, e) => (en ? e : es);
  const el = (tag, text, attrs) => {
    const e = document.createElement(tag);
    if (text) e.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  };
  const list = (items) => {
    const ul = el("ul");
    items.forEach((i) => ul.append(i));
    return ul;
  };
  function draw(students) {
    rows.replaceChildren(...students.map((s) => {
      const tr = el("tr", "", { "data-student": s.name });
      tr.append(el("th", s.name, { scope: "row" }));
      tr.append(el("td", s.done.length ? s.done.join(", ") : "—", { "data-field": "done" }));
      tr.append(el("td", "", { "data-field": "answers" }));
      tr.lastChild.append(list(s.answers.map((a) => el("li", `${a.title}: ${a.option} ${a.correct ? "✓" : "✗"}`, { class: a.correct ? "right" : "wrong" }))));
      const runCell = el("td", "", { "data-field": "runs" });
      runCell.append(list(s.runs.map((r) => {
        const li = el("li");
        li.append(el("a", `${r.method} ${r.url.split("?")[0]} · ${r.status || "—"}`, { href: `/runs/${r.id}?speed=0.5&lang=${en ? "en" : "es"}`, target: "_blank", rel: "noopener", "data-run": r.id }));
        return li;
      })));
      tr.append(runCell);
      return tr;
    }));
  }
  async function refresh() {
    try {
      const res = await fetch(`/lti/class/data?t=${encodeURIComponent(main.dataset.token)}`, { cache: "no-store" });
      if (!res.ok) throw new Error(res.status);
      const { students } = await res.json();
      draw(students);
      const n = students.reduce((sum, s) => sum + s.runs.length, 0);
      status.textContent = students.length === 0
        ? say("Aún no ha entrado ningún estudiante desde este curso.", "No student has opened the lab from this course yet.")
        : say(`${students.length} estudiantes, ${n} ejecuciones.`, `${students.length} students, ${n} runs.`);
    } catch (e) {
      status.textContent = say("No se pudo leer la clase; se vuelve a intentar.", "The class could not be read; trying again.");
    }
  }
  refresh();
  setInterval(refresh, 3000);
})();
