import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ErrnoName, KernelError } from '@vfio-sim/platform';
import { reportAt } from '../model/report-at.js';
import type { ReportModel } from '../model/report-model.js';
import { renderReportHtml } from '../render/report-page.js';
import { reportSections } from '../render/report-sections.js';
import { livePageHtml } from './live-page.js';
import type { LiveServer, LiveServerOptions } from './live-server-types.js';
import { FRAME_INTERVAL_MS, parseSpeed, playbackAt } from './playback.js';

/** One viewer's event stream. */
interface Viewer {
  readonly res: ServerResponse;
  readonly fromUs: number;
  readonly speed: number;
  timer?: NodeJS.Timeout;
}

/**
 * Serve the live view of a run with `node:http` (no framework): `GET /` is the page, `GET /events`
 * its Server-Sent Events (`waiting` until the model is published, then a `frame` (the title, the time) every
 * {@link FRAME_INTERVAL_MS} ms — the sections of the model cut at the virtual time reached
 * ({@link reportAt}) — and `end` with the whole run's sections, the verdict and the trace),
 * `GET /report.html` the static report once the run is there. Each viewer plays at its own speed
 * (`events?speed=X&from=µs`; the page reconnects when its speed changes). Pacing happens only here:
 * the model is computed in virtual time before it is played.
 * @throws KernelError (rejects) EADDRINUSE when the port is taken, EACCES when it may not be bound,
 *   EINVAL for a bad speed; the server is not left listening.
 */
export async function startLiveServer(options: LiveServerOptions): Promise<LiveServer> {
  const host = options.host ?? '127.0.0.1';
  const speed = options.speed ?? 1;
  parseSpeed(String(speed));
  let model: ReportModel | null = null;
  const viewers = new Set<Viewer>();

  const send = (v: Viewer, event: string, data: unknown) =>
    v.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const play = (v: Viewer) => {
    const m = model;
    if (m === null) return;
    const started = performance.now();
    const tick = () => {
      const at = playbackAt(v.fromUs, performance.now() - started, v.speed, m.span.endUs);
      if (at >= m.span.endUs) {
        send(v, 'end', { result: m.result, sections: reportSections(m), trace: m.trace });
        v.res.end();
        viewers.delete(v);
        return;
      }
      send(v, 'frame', {
        title: m.title,
        at,
        endUs: m.span.endUs,
        sections: reportSections(reportAt(m, at), m),
      });
      v.timer = setTimeout(tick, FRAME_INTERVAL_MS);
    };
    tick();
  };
  const events = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    let viewerSpeed = speed;
    try {
      viewerSpeed = parseSpeed(query.get('speed') ?? String(speed));
    } catch {
      // a bad speed from the page plays at the server's
    }
    const from = Number(query.get('from') ?? 0);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const v: Viewer = {
      res,
      fromUs: Number.isFinite(from) && from > 0 ? Math.floor(from) : 0,
      speed: viewerSpeed,
    };
    viewers.add(v);
    req.on('close', () => {
      clearTimeout(v.timer);
      viewers.delete(v);
    });
    if (model === null) send(v, 'waiting', {});
    else play(v);
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const html = (status: number, body: string) =>
      res
        .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(body);
    switch (url.pathname) {
      case '/':
      case '/index.html':
        return html(200, livePageHtml(model?.title ?? options.title, speed));
      case '/events':
        return events(req, res, url.searchParams);
      case '/favicon.ico':
        return res.writeHead(204).end();
      case '/report.html':
        return model === null ? html(503, 'the run is not finished yet') : html(200, renderReportHtml(model));
      default:
        return html(404, 'not found');
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.close();
      const errno = (e.code === 'EADDRINUSE' || e.code === 'EACCES' ? e.code : 'EINVAL') as ErrnoName;
      reject(new KernelError(errno, `cannot listen on ${host}:${options.port ?? 0}: ${e.message}`));
    };
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    publish(m) {
      model = m;
      for (const v of viewers) if (v.timer === undefined) play(v);
    },
    close() {
      for (const v of viewers) {
        clearTimeout(v.timer);
        v.res.end();
      }
      viewers.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
