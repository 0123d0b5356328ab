// reqlab's start: what the page runs before the lab's Go client does. The
// server appends it to go-app's app.js and calls reqlabStart in place of
// go-app's own start (server/pages.go).
//
// The page the server sends is complete: it reads, lays out and holds the
// form's values as the client will. The client (WebAssembly, about 1.3 MB
// compressed) is downloaded and compiled by a worker once the page has
// painted, off the main thread, and started on the person's first action
// (pointerdown, touchstart, keydown, focusin, wheel), a host page's message
// or, for an embedded lesson with ?autoplay=1, the frame coming into view.
// What the person did before it started is handed over: the values they
// typed, picked or ticked, the button they pressed (done once, as soon as the
// client runs), their focus and caret. Where the client cannot start, the
// page says so in its own language.
//
// <html data-lab-start> tells where the start is: "compiling", "compiled",
// "waiting" (asked for, not compiled yet), "starting", "running", "failed".
function reqlabStart(wasmURL) {
  const html = document.documentElement;
  const say = (state) => {
    html.dataset.labStart = state;
  };
  const labRoot = () => document.querySelector("[data-lab]");
  const controls = "input, select, textarea, button, details";
  const interactions = ["pointerdown", "touchstart", "keydown", "focusin", "wheel"];

  let module = null; // the compiled client
  let compiling = false;
  let wanted = false; // the client was asked for
  let started = false;
  let handedOver = false; // the client holds the page: what is done now is its
  let failed = false;
  const acts = []; // what the person did before the client ran, in order
  const fromHost = []; // the host page's messages, kept for the client

  const want = () => {
    if (wanted) {
      return;
    }
    wanted = true;
    for (const t of interactions) {
      window.removeEventListener(t, want, { capture: true });
    }
    if (failed) {
      return;
    }
    const status = document.querySelector("[data-lab] [data-socket]");
    const label = startingLabel();
    if (status && label) {
      status.textContent = label;
    }
    compile();
    if (module) {
      run();
    } else if (!failed) {
      say("waiting");
    }
  };
  // The client never takes the page over in the middle of a press: a click
  // whose press and release fall on two different pages is lost. It waits
  // for the release, and for the click that follows it, which is kept.
  // (Listened to before the start itself: a press starts the client, and
  // the client must know of the press.)
  let pressing = false;
  let released = [];
  const press = () => {
    pressing = true;
  };
  const release = () => {
    pressing = false;
    setTimeout(() => {
      const waiting = released;
      released = [];
      waiting.forEach((f) => f());
    }, 0);
  };
  const notPressing = () => (pressing ? new Promise((resolve) => released.push(resolve)) : Promise.resolve());
  window.addEventListener("pointerdown", press, { capture: true, passive: true });
  window.addEventListener("keydown", (e) => e.key === " " && press(), { capture: true, passive: true });
  for (const t of ["pointerup", "pointercancel", "keyup"]) {
    window.addEventListener(t, release, { capture: true, passive: true });
  }

  for (const t of interactions) {
    window.addEventListener(t, want, { capture: true, passive: true });
  }

  // What the person does before the client runs is kept, to be done again
  // by the client; nothing of it reaches the server meanwhile.
  const inLab = (e) => {
    const root = labRoot();
    return !handedOver && root && e.target instanceof Element && root.contains(e.target);
  };
  document.addEventListener("input", (e) => inLab(e) && keep({ value: e.target }), true);
  document.addEventListener("change", (e) => inLab(e) && keep({ value: e.target }), true);
  document.addEventListener(
    "click",
    (e) => {
      if (!inLab(e)) {
        return;
      }
      const button = e.target.closest("button");
      if (!button || button.disabled) {
        return;
      }
      e.preventDefault(); // a form's submit would leave the page
      const last = acts[acts.length - 1];
      if (!last || last.click !== button) {
        keep({ click: button });
      }
      if (!failed) {
        pressed(button);
      }
      want();
    },
    true,
  );
  document.addEventListener("submit", (e) => inLab(e) && e.preventDefault(), true);

  function keep(act) {
    if (act.value) {
      const el = act.value;
      act.checked = el.checked;
      act.text = el.value;
    }
    acts.push(act);
  }

  // A pressed button says the lab is starting, in the page's language.
  function pressed(button) {
    button.setAttribute("aria-busy", "true");
    const label = startingLabel();
    if (label && button.matches('[data-action="send"]')) {
      button.dataset.label = button.textContent;
      button.textContent = label;
    }
  }

  function startingLabel() {
    const failure = document.querySelector('[data-field="start-failed"]');
    return failure ? failure.dataset.starting : "";
  }

  // An embedded lesson answers its host from the moment it loads: it says
  // it is ready, keeps the host's messages for the client, and starts it.
  const embedded = location.pathname.startsWith("/embed/") && window.parent !== window;
  const origins = ((goappEnv && goappEnv.REQLAB_FRAME_ANCESTORS) || "").split(/\s+/).filter(Boolean);
  if (embedded) {
    window.addEventListener("message", (e) => {
      if (handedOver || e.source !== window.parent || (origins.length && !origins.includes(e.origin))) {
        return;
      }
      const d = e.data;
      if (d && typeof d === "object" && d.v === 1 && typeof d.type === "string" && d.type.startsWith("reqlab:")) {
        fromHost.push({ data: d, origin: e.origin });
        want();
      }
    });
    const ready = {
      type: "reqlab:ready",
      v: 1,
      lesson: location.pathname.slice("/embed/".length),
      lang: html.lang,
    };
    for (const o of origins.length ? origins : ["*"]) {
      window.parent.postMessage(ready, o);
    }
    html.dataset.labReadySent = "true";

    // The frame asks its host for the height it needs, from the start and
    // whenever it changes, in every form course platforms listen to: the
    // lab's own; LTI's as an object and the same as a JSON string (many
    // platforms parse strings alone), with Canvas's token where the launch
    // carried one; and the older subject. Between 1 and 10,000 pixels. The
    // height is the page's own, its body's: the document's scrollHeight is
    // never less than the frame, so a frame once made tall could never be
    // asked to shrink.
    let height = 0;
    const resized = () => {
      const h = Math.min(Math.max(Math.ceil(document.body.scrollHeight), 1), 10000);
      if (h === height) {
        return;
      }
      height = h;
      const lti = { subject: "lti.frameResize", height: h };
      let token = null;
      try {
        token = sessionStorage.getItem("reqlab.postMessageToken");
      } catch (err) {
        // storage refused to a third-party frame
      }
      if (token && token.length <= 512) {
        lti.token = token;
      }
      for (const msg of [{ type: "reqlab:resize", v: 1, height: h }, lti, JSON.stringify(lti),
        { subject: "org.imsglobal.lti.frameResize", height: h }]) {
        for (const o of origins.length ? origins : ["*"]) {
          window.parent.postMessage(msg, o);
        }
      }
    };
    if (window.ResizeObserver) {
      new ResizeObserver(resized).observe(document.body);
    }
    resized();
    const params = new URLSearchParams(location.search);
    if (["1", "true"].includes(params.get("autoplay")) && window.IntersectionObserver && labRoot()) {
      const seen = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          seen.disconnect();
          want();
        }
      });
      seen.observe(labRoot());
    }
  }

  // On a phone the lessons' menu is one row that scrolls sideways: the
  // current lesson is brought into it, now and once the client has drawn
  // the page anew.
  const showCurrentLesson = () => {
    const current = document.querySelector('.lessons-menu [aria-current="page"]');
    const row = current && current.closest("ul");
    if (row && row.scrollWidth > row.clientWidth) {
      row.scrollLeft = current.offsetLeft - row.offsetLeft - (row.clientWidth - current.offsetWidth) / 2;
    }
  };
  showCurrentLesson();

  // The client is compiled once the page has painted (or at once, if the
  // person acts first): by a worker where there is one, else here.
  goappAfterFirstPaint(compile);

  function compile() {
    if (compiling || failed) {
      return;
    }
    compiling = true;
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
      fail("no WebAssembly");
      return;
    }
    say(wanted ? "waiting" : "compiling");
    if (!window.Worker) {
      compileHere();
      return;
    }
    let worker;
    try {
      worker = new Worker("/web/compile.js");
    } catch (err) {
      compileHere();
      return;
    }
    worker.onmessage = (e) => {
      worker.terminate();
      if (e.data && e.data.module instanceof WebAssembly.Module) {
        // The worker's download is not in the page's Resource Timing: a
        // mark carries it to the page's timeline (and to the tests).
        performance.mark("reqlab:client-compiled", { detail: { downloads: e.data.downloads || [] } });
        compiled(e.data.module);
      } else {
        compileHere();
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      compileHere();
    };
    worker.postMessage(wasmURL);
  }

  async function compileHere() {
    try {
      const res = fetch(wasmURL);
      compiled(
        WebAssembly.compileStreaming
          ? await WebAssembly.compileStreaming(res)
          : await WebAssembly.compile(await (await res).arrayBuffer()),
      );
    } catch (err) {
      fail(err);
    }
  }

  function compiled(m) {
    module = m;
    if (wanted) {
      run();
    } else {
      say("compiled");
    }
  }

  // run starts the client. go.run mounts the client's page in place of the
  // server's before it returns (go-app's first navigation is synchronous),
  // so the hand-over below happens in the same task: nothing in between is
  // painted, and a key pressed meanwhile reaches the client's field.
  async function run() {
    if (started || failed) {
      return;
    }
    started = true;
    say("starting");
    try {
      const go = new Go();
      const instance = await WebAssembly.instantiate(module, go.importObject);
      await notPressing();
      const before = snapshot();
      go.run(instance).catch(fail);
      if (labRoot() === before.root) {
        throw new Error("the client did not mount");
      }
      handOver(before);
      say("running");
      const loader = document.getElementById("app-wasm-loader");
      if (loader) {
        loader.remove();
      }
      goappInitServiceWorker();
    } catch (err) {
      fail(err);
    }
  }

  function snapshot() {
    const root = labRoot();
    const focus = document.activeElement;
    return {
      root,
      controls: root ? Array.from(root.querySelectorAll(controls)) : [],
      focus,
      selection: focus && typeof focus.selectionStart === "number"
        ? [focus.selectionStart, focus.selectionEnd, focus.selectionDirection]
        : null,
      scroll: [window.scrollX, window.scrollY],
    };
  }

  // handOver gives the client what the person did: the server's page and
  // the client's first are the same, element for element, so each control
  // is found again by its place among the page's controls.
  function handOver(before) {
    handedOver = true; // what is done from here on is the client's, this replay too
    const now = Array.from(labRoot().querySelectorAll(controls));
    const twin = (old) => {
      const n = now[before.controls.indexOf(old)];
      return n && old && n.tagName === old.tagName && n.type === old.type ? n : null;
    };
    const set = (el, text, checked) => {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked !== checked) {
          el.click();
        }
      } else if (el.value !== text) {
        el.value = text;
        el.dispatchEvent(new Event("input", { bubbles: true }));
        el.dispatchEvent(new Event("change", { bubbles: true }));
      }
    };
    // What the page holds that no action explains (a browser restores a
    // form's values on reload), then each action in its order.
    const acted = new Set(acts.map((a) => a.value).filter(Boolean));
    for (const old of before.controls) {
      const el = twin(old);
      if (el && old.tagName === "DETAILS") {
        el.open = old.open;
      } else if (el && old.tagName !== "BUTTON" && !acted.has(old)) {
        set(el, old.value, old.checked);
      }
    }
    for (const a of acts) {
      const el = twin(a.value || a.click);
      if (el && a.value) {
        set(el, a.text, a.checked);
      } else if (el) {
        el.click();
      }
    }
    const focus = twin(before.focus);
    if (focus) {
      focus.focus({ preventScroll: true });
      if (before.selection) {
        try {
          focus.setSelectionRange(...before.selection);
        } catch (err) {
          // not a field with a caret
        }
      }
    }
    window.scrollTo(before.scroll[0], before.scroll[1]);
    showCurrentLesson();
    for (const m of fromHost) {
      window.dispatchEvent(new MessageEvent("message", { data: m.data, origin: m.origin, source: window.parent }));
    }
    acts.length = 0;
    fromHost.length = 0;
  }

  // fail tells the person, in the page's language, that the client cannot
  // start and what they can still do; the cause goes to the console only.
  function fail(err) {
    if (failed) {
      return;
    }
    failed = true;
    say("failed");
    console.error("reqlab: the lab's client could not start:", err);
    const failure = document.querySelector('[data-field="start-failed"]');
    if (failure) {
      failure.hidden = false;
    }
    for (const b of document.querySelectorAll('[data-lab] button[aria-busy="true"]')) {
      b.removeAttribute("aria-busy");
      if (b.dataset.label) {
        b.textContent = b.dataset.label;
      }
    }
    const loader = document.getElementById("app-wasm-loader");
    if (loader) {
      loader.remove();
    }
  }
}
