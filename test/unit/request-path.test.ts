// requestPath gives exactly Express's req.path, mounted and not, in Express 4 and 5, for request targets sent as raw bytes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Express, Request } from 'express';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { requestPath } from '../../src/express/request-path';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the devDependency alias of Express 4
const express4 = require('express4') as () => Express;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const express5 = require('express') as () => Express;

interface Reading {
  ours: string | undefined;
  express: string | undefined;
  url: string;
}

const servers: http.Server[] = [];

/** An app reading both paths in a middleware at `mount` (or at the root), and once more after it, in the route. */
async function appServer(express: () => Express, mount: string | null, readings: Reading[]): Promise<number> {
  const app = express();
  const read = (req: Request) => readings.push({ ours: requestPath(req), express: req.path, url: req.url });
  const middleware = (req: Request, _res: unknown, next: () => void) => {
    read(req);
    next();
  };
  if (mount === null) app.use(middleware);
  else app.use(mount, middleware);
  app.use((req, res) => {
    read(req);
    res.status(204).end();
  });
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** Sends `target` as the request line's target, byte for byte (latin1), and waits for the connection to close. */
async function send(port: number, target: string): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  socket.end(Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'latin1'));
  socket.resume();
  await new Promise((resolve) => socket.on('close', resolve));
}

// Targets Node's parser accepts, with every character parseurl treats apart, in the path and in the query.
const TARGETS = [
  '/api/v1/auth/test',
  '/api/v1/auth/test?group_id=a',
  '/api/v1/auth/test?group_id=a?b',
  '/api/v1/companies/c/x?group_id=c',
  '/api/v1/a#frag',
  '/api/v1/a?q=1#frag',
  '/api/v1/a%20b?x=%20',
  '/api/v1/\u00a0x',
  '/api/v1/a?x=\u00a0',
  '/api/v1/a\u00ffb',
  '/api/v1//a///b/',
  '/api/v1',
  '/api/v1?group_id=a',
  '/api/v1/',
  '/api/v1/a/../b',
  '/API/V1/a',
  '/api/v1x/a',
  '/other/path?x=1',
  '/',
  '/?',
  '//api/v1/a',
  '*',
  'http://host/api/v1/a?group_id=a',
  'http://host',
];

describe('requestPath', () => {
  for (const [name, express] of [
    ['Express 4', express4],
    ['Express 5', express5],
  ] as const) {
    for (const mount of [null, '/api/v1']) {
      describe(`${name}, middleware ${mount === null ? 'at the root' : `mounted at ${mount}`}`, () => {
        const readings: Reading[] = [];
        let port = 0;
        beforeAll(async () => {
          port = await appServer(express, mount, readings);
        });

        it.each(TARGETS)('should read %j as req.path does', async (target) => {
          const before = readings.length;
          await send(port, target);
          const seen = readings.slice(before);
          // Node or Express may refuse a target before any middleware runs: nothing to compare then.
          for (const reading of seen) expect(reading.ours).toBe(reading.express);
        });

        it('should have read most targets in the middleware itself', () => {
          expect(readings.length).toBeGreaterThanOrEqual(TARGETS.length);
        });
      });
    }
  }

  it('should give req.path for a request without a URL, or one parseurl does not read itself', () => {
    const fallback = (url: unknown) => requestPath({ url, path: 'from req.path' } as unknown as Request);
    expect(fallback(undefined)).toBe('from req.path');
    expect(fallback('*')).toBe('from req.path');
    expect(fallback('/a b')).toBe('from req.path');
    expect(fallback('/a?b#c')).toBe('from req.path');
    expect(fallback('/a\ufeff')).toBe('from req.path');
    expect(fallback('/a?b=c')).toBe('/a');
  });
});
