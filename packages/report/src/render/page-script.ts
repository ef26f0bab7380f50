/*
 * The pages' scripts, as the JavaScript text the page inlines. They are text, not functions turned to
 * text: a transpiler that keeps function names (tsx does) would put its helpers into the function's
 * source. The browser tests run both.
 */

/** Perfetto UI's origin: the trace is posted to it (its documented postMessage protocol). */
export const PERFETTO_ORIGIN = 'https://ui.perfetto.dev';

/**
 * `wireTraceButtons(download, open, read, fileName)`: one pair of trace buttons. "Download" saves the
 * trace `read()` returns as a JSON file; "Open in ui.perfetto.dev" opens Perfetto and, once it answers
 * PING with PONG, posts the trace to it (`{ perfetto: { buffer, title, fileName } }`). Both are disabled
 * while no trace is there. The report itself needs no network; Perfetto does.
 *
 * `wireTrace()`: the page's one pair (`#trace-download`, `#trace-open`) for the trace embedded in
 * `#vfio-sim-trace`.
 */
export const TRACE_BUTTONS_SCRIPT = `
function wireTraceButtons(download, open, read, fileName) {
  const origin = ${JSON.stringify(PERFETTO_ORIGIN)};
  if (download === null || open === null) return;
  download.disabled = open.disabled = read().length === 0;
  if (download.dataset.wired === 'yes') return;
  download.dataset.wired = 'yes';
  download.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([read()], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  open.addEventListener('click', () => {
    const win = window.open(origin + '/#!/');
    if (win === null) return;
    const buffer = new TextEncoder().encode(read()).buffer;
    const ping = setInterval(() => win.postMessage('PING', origin), 50);
    const stop = setTimeout(() => clearInterval(ping), 30000);
    const onMessage = (e) => {
      if (e.source !== win || e.data !== 'PONG') return;
      clearInterval(ping);
      clearTimeout(stop);
      window.removeEventListener('message', onMessage);
      win.postMessage({ perfetto: { buffer, title: document.title, fileName } }, origin);
    };
    window.addEventListener('message', onMessage);
  });
}
function wireTrace() {
  wireTraceButtons(
    document.getElementById('trace-download'),
    document.getElementById('trace-open'),
    () => document.getElementById('vfio-sim-trace')?.textContent ?? '',
    'vfio-sim-trace.json',
  );
}
`;

/**
 * `wireTraces()`: the run page's trace buttons, one pair per scenario: `data-trace-download` and
 * `data-trace-open` name the id of the scenario's embedded trace (`vfio-sim-trace-<n>`), downloaded
 * as `<that id>.json`. Needs {@link TRACE_BUTTONS_SCRIPT}.
 */
export const RUN_TRACE_BUTTONS_SCRIPT = `
function wireTraces() {
  for (const download of document.querySelectorAll('button[data-trace-download]')) {
    const id = download.dataset.traceDownload;
    wireTraceButtons(
      download,
      document.querySelector('button[data-trace-open="' + id + '"]'),
      () => document.getElementById(id)?.textContent ?? '',
      id + '.json',
    );
  }
}
`;

/**
 * The live view: plays the run from the server's Server-Sent Events (`events?speed=X&from=µs`), each
 * `frame` replacing the sections' HTML, `end` bringing the final sections, the verdict and the trace;
 * changing the speed reconnects from the virtual time reached. `document.body.dataset` carries `at`
 * (the µs shown), `frames` (frames received) and, at the end, `result` (PASS/FAIL).
 */
export const LIVE_PAGE_SCRIPT = `
function livePage() {
  const speed = document.getElementById('speed');
  const status = document.getElementById('status');
  const main = document.querySelector('main');
  const traceSection = document.getElementById('trace');
  let at = 0;
  let frames = 0;
  let done = false;
  let source = null;
  const apply = (sections) => {
    for (const s of sections) {
      let el = document.getElementById(s.id);
      if (el === null) {
        el = document.createElement('section');
        el.id = s.id;
        const h = document.createElement('h2');
        h.textContent = s.heading;
        const body = document.createElement('div');
        body.className = 'body';
        el.append(h, body);
        main.insertBefore(el, traceSection);
      }
      el.querySelector('.body').innerHTML = s.html;
    }
  };
  const connect = () => {
    if (source !== null) source.close();
    source = new EventSource('events?speed=' + encodeURIComponent(speed.value) + '&from=' + at);
    source.addEventListener('waiting', () => {
      status.textContent = 'the simulation is running…';
    });
    source.addEventListener('frame', (e) => {
      const f = JSON.parse(e.data);
      at = f.at;
      frames++;
      if (document.title !== f.title) document.title = document.querySelector('h1').textContent = f.title;
      apply(f.sections);
      document.body.dataset.at = String(at);
      document.body.dataset.frames = String(frames);
      status.textContent = 'virtual time ' + f.at + ' µs of ' + f.endUs + ' µs';
    });
    source.addEventListener('end', (e) => {
      const f = JSON.parse(e.data);
      done = true;
      source.close();
      apply(f.sections);
      document.getElementById('vfio-sim-trace').textContent = JSON.stringify(f.trace);
      wireTrace();
      document.body.dataset.result = f.result;
      status.textContent = 'finished: ' + f.result;
    });
    source.onerror = () => {
      if (!done) status.textContent = 'connection to the server lost';
    };
  };
  speed.addEventListener('change', () => {
    if (!done) connect();
  });
  wireTrace();
  connect();
}
`;
