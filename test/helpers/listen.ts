// Listens on a port the system picks, so that no test frees a port and binds it again later (a race).
import type { RequestListener, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A listening server on 127.0.0.1, its port and base URL, and how to close it (its open connections too). */
export interface Listening {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `handler` (an Express app or any request listener) on a free port of 127.0.0.1. */
export async function listenOnFreePort(handler: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => {
      // Keep-alive connections would hold close() until they time out.
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
