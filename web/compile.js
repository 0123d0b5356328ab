// reqlab's compiler: a worker that downloads the lab's client (WebAssembly)
// and compiles it off the page's main thread, then hands the compiled module
// to the page (start.js), which starts it on the student's first action. The
// page stays free to scroll and to take input all the while.
self.onmessage = async (e) => {
  try {
    const res = fetch(e.data);
    const module = WebAssembly.compileStreaming
      ? await WebAssembly.compileStreaming(res)
      : await WebAssembly.compile(await (await res).arrayBuffer());
    // What the download was, for the page's own timeline (start.js marks it).
    const entries = performance.getEntriesByType("resource").filter((r) => r.name === new URL(e.data, location.href).href);
    const sizes = entries.map((r) => ({
      encodedBodySize: r.encodedBodySize,
      decodedBodySize: r.decodedBodySize,
      duration: r.duration,
      startedAt: performance.timeOrigin + r.startTime, // on the clock every page shares
    }));
    self.postMessage({ module, downloads: sizes });
  } catch (err) {
    self.postMessage({ error: String(err) });
  }
};
