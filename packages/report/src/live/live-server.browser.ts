import { KernelError } from '@vfio-sim/platform';
import type { LiveServer, LiveServerOptions } from './live-server-types.js';

/**
 * The live view serves its page from Node (node:http); a browser build has no server to start. Node's
 * build takes `live-server.ts` in this file's place.
 * @throws KernelError EOPNOTSUPP always.
 */
export async function startLiveServer(options: LiveServerOptions): Promise<LiveServer> {
  throw new KernelError('EOPNOTSUPP', `${options.title}: the live view needs Node (node:http)`);
}
