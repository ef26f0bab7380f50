import type { ReportModel } from '../model/report-model.js';

/** Options of `startLiveServer`. */
export interface LiveServerOptions {
  /** The page's title (the model's, once there is one). */
  readonly title: string;
  /** The address to bind (default `127.0.0.1`: this machine only). */
  readonly host?: string;
  /** The port (default 0: any free port; {@link LiveServer.port} says which). */
  readonly port?: number;
  /** The playback speed the page starts at (default 1: `LIVE_US_PER_SECOND` µs per second). */
  readonly speed?: number;
}

/** A running live view. */
export interface LiveServer {
  /** `http://host:port/`: the page. */
  readonly url: string;
  readonly port: number;
  /** Hand over the run's model: viewers waiting for it start playing, later ones play it from the start. */
  publish(model: ReportModel): void;
  /** Stop: every event stream ends, every connection closes, the port is free when this resolves. */
  close(): Promise<void>;
}
