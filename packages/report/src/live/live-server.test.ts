import { createServer } from 'node:net';
import { KernelError } from '@vfio-sim/platform';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportInput } from '../__fixtures__/migration-run.js';
import { buildReportModel } from '../model/build-report-model.js';
import type { ReportModel } from '../model/report-model.js';
import { startLiveServer } from './live-server.js';

let model: ReportModel;
beforeAll(() => {
  model = buildReportModel(reportInput({ protocol: 'v1' }));
});

/** One event of a Server-Sent Events stream. */
interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/** A Server-Sent Events stream, read event by event (`next()` is null once the server ended it). */
async function openEvents(url: string) {
  const res = await fetch(url);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const next = async (): Promise<SseEvent | null> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') };
      }
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += decoder.decode(value, { stream: true });
    }
  };
  const rest = async (): Promise<SseEvent[]> => {
    const events: SseEvent[] = [];
    for (let e = await next(); e !== null; e = await next()) events.push(e);
    return events;
  };
  return { next, rest, cancel: () => reader.cancel() };
}

/** Every event of a stream until the server ends it. */
const readEvents = async (url: string) => (await openEvents(url)).rest();

/** Whether a TCP port on 127.0.0.1 can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('the live server', () => {
  it('binds 127.0.0.1; a viewer waits, then plays the run in frames that move forward, and ends on the verdict', async () => {
    const server = await startLiveServer({ title: 'live test', speed: 10_000 });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
      const stream = await openEvents(`${server.url}events`);
      expect((await stream.next())?.event).toBe('waiting');
      server.publish(model);
      const events = await stream.rest();
      const frames = events
        .filter((e) => e.event === 'frame')
        .map((e) => e.data as { at: number; sections: { id: string }[] });
      expect(frames.length).toBeGreaterThan(0);
      const ats = frames.map((f) => f.at);
      expect(ats).toEqual([...ats].sort((a, b) => a - b));
      expect(frames[0]!.sections.map((s) => s.id)).toContain('timeline');
      const end = events.at(-1);
      expect(end?.event).toBe('end');
      expect(end?.data).toMatchObject({ result: 'PASS', trace: { traceEvents: expect.any(Array) } });
    } finally {
      await server.close();
    }
  });

  it('plays from where a viewer asks (`from`), at its speed; the page and the static report are served', async () => {
    const server = await startLiveServer({ title: 'live test', speed: 3 });
    try {
      const page = await (await fetch(server.url)).text();
      expect(page).toMatch(/<select id="speed">.*<option value="3" selected>×3<\/option>/s);
      expect((await fetch(`${server.url}report.html`)).status).toBe(503);
      server.publish(model);
      const from = model.span.endUs - 50;
      // at 1/100 of the pace a few ms of wall time are no µs of virtual time: the first frame is `from`
      const slow = await openEvents(`${server.url}events?speed=0.01&from=${from}`);
      expect(await slow.next()).toMatchObject({ event: 'frame', data: { at: from } });
      await slow.cancel();
      const events = await readEvents(`${server.url}events?speed=10000&from=${from}`);
      expect(
        events.filter((e) => e.event === 'frame').every((e) => (e.data as { at: number }).at >= from),
      ).toBe(true);
      expect(events.at(-1)?.event).toBe('end');
      const report = await fetch(`${server.url}report.html`);
      expect(report.status).toBe(200);
      expect(await report.text()).toMatch(/data-result="PASS"/);
      expect((await fetch(`${server.url}nothing`)).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('a port in use is EADDRINUSE, and the server holding it goes on serving', async () => {
    const first = await startLiveServer({ title: 'first' });
    try {
      const e = await startLiveServer({ title: 'second', port: first.port }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).errno).toBe('EADDRINUSE');
      expect((await fetch(first.url)).status).toBe(200);
    } finally {
      await first.close();
    }
  });

  it('close() ends the event streams and frees the port', async () => {
    const server = await startLiveServer({ title: 'closing', speed: 0.01 });
    server.publish(model);
    const streams = [await openEvents(`${server.url}events`), await openEvents(`${server.url}events`)];
    for (const s of streams) expect((await s.next())?.event).toBe('frame');
    await server.close();
    for (const s of streams) expect((await s.rest()).every((e) => e.event === 'frame')).toBe(true); // cut off: no end
    expect(await portFree(server.port)).toBe(true);
  });

  it('a bad speed is EINVAL before anything listens', async () => {
    const e = await startLiveServer({ title: 'x', speed: 0 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KernelError);
    expect((e as KernelError).errno).toBe('EINVAL');
  });
});
