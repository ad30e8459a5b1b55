// Adversarial cases found by attacking the validator from outside: fragments, ";" separators, sub-app query parsers, pending bodies, bad paths.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import request from 'supertest';
import { twakeAppAuth, twakeAuthErrorHandler } from '../../src';
import { forwardAuth } from '../../src/proxy/forward-auth';
import { createLogger } from '../../server/src/server/logger';
import { basic } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';
import { listenOnFreePort, type Listening } from '../helpers/listen';
import { memoryApp } from '../helpers/memory-app';
import { testApp } from '../helpers/test-app';

const PUBLIC_ID = 'app-a';
const KEY = 'twk_attack-key';
const store = memoryApp(PUBLIC_ID, KEY, ['alpha']);
const auth = basic(PUBLIC_ID, KEY);

function verifier() {
  const app = express();
  app.all(['/auth/verify', '/auth/verify/*path'], forwardAuth({ store, mode: 'development', throttle: false }));
  app.use(twakeAuthErrorHandler());
  return app;
}

/** Sends raw bytes and resolves with what came back within `waitMs` (empty when nothing did). */
function rawExchange(port: number, bytes: string, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const finish = () => {
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) {
        clearTimeout(timer);
        setTimeout(finish, 50);
      }
    });
    socket.on('error', finish);
    socket.write(bytes);
  });
}

describe('forward-auth: what the original URI hides from the check', () => {
  // nginx passes `GET /api/v1/x?y#&group_id=beta` to the backend verbatim (checked with the documented
  // configuration, nginx 1.22). A request-target cannot carry a fragment (RFC 9112 §3.2), so backends
  // that split the target at "?" only (Python's wsgiref, Go's net/http, Rack) read group_id=beta there.
  it('400: a "#" inside the query of X-Original-URI does not hide a second company', async () => {
    const response = await request(verifier())
      .get('/auth/verify')
      .set('Authorization', auth)
      .set('X-Twake-Group-Id', 'alpha')
      .set('X-Original-URI', '/api/v1/messages?y#&group_id=beta');
    expectProblem(response, 400, 'invalid_group_id');
    expect(response.headers['x-twake-company-id']).toBeUndefined();
  });

  it('400: the same through X-Forwarded-Uri (Traefik), with group_id=alpha before the "#"', async () => {
    const response = await request(verifier())
      .get('/auth/verify')
      .set('Authorization', auth)
      .set('X-Forwarded-Uri', '/api/v1/messages?group_id=alpha#&group_id=beta');
    expectProblem(response, 400, 'invalid_group_id');
  });

  // Rack 2 (Rails), Python before 3.9.2 and other legacy parsers also split the query at ";".
  it('400: a group_id after a ";" separator is a second company for a backend that splits on ";"', async () => {
    const response = await request(verifier())
      .get('/auth/verify')
      .set('Authorization', auth)
      .set('X-Original-URI', '/api/v1/messages?group_id=alpha&x=1;group_id=beta');
    expectProblem(response, 400, 'invalid_group_id');
  });
});

describe('Express 5: req.query is computed again by the app that handles the request', () => {
  // The validator checks req.query as the parent app parses it; a sub-app with its own query parser hands
  // its handlers another req.query (Express 5 makes req.query a getter on the app's request prototype).
  function parentWithSubApp() {
    const api = express();
    api.set('query parser', (text: string) =>
      Object.fromEntries(
        text
          .split(/[&;]/)
          .filter((pair) => pair !== '')
          .map((pair) => pair.split('=').map((part) => decodeURIComponent(part))),
      ),
    );
    api.all('/*path', (req, res) => {
      res.json({ checked: req.twake?.companyId ?? null, query: (req.query as Record<string, unknown>).group_id ?? null });
    });
    const app = express();
    app.use('/api/v1', twakeAppAuth({ store, mode: 'development', throttle: false }), api);
    app.use(twakeAuthErrorHandler());
    return app;
  }

  it('the handler never reads another company than req.twake.companyId', async () => {
    const app = parentWithSubApp();
    // The sub-app would read group_id=beta after the ";": the request is refused before reaching it.
    const response = await request(app).get('/api/v1/messages?group_id=alpha&x=1;group_id=beta').set('Authorization', auth);
    expectProblem(response, 400, 'invalid_group_id');
    // A query both parsers read alike goes through, to the company that was checked.
    const agreeing = await request(app).get('/api/v1/messages?group_id=alpha&x=1').set('Authorization', auth);
    expect(agreeing.status).toBe(200);
    expect(agreeing.body).toEqual({ checked: 'alpha', query: 'alpha' });
  });
});

describe('Express 4: req.query is built by the first app the request meets', () => {
  // The middleware sits in a sub-app with default settings; the parent's own query parser builds
  // req.query (Express 4 parses once, in the outer app), here reading the company from another name.
  function parentParserSubApp(express4: typeof express) {
    const parent = express4();
    parent.set('query parser', (text: string) => ({ group_id: new URLSearchParams(text).get('company') ?? undefined }));
    const sub = express4();
    sub.use(twakeAppAuth({ store, mode: 'development', throttle: false }));
    sub.all('/x', (req, res) => {
      res.json({ checked: req.twake?.companyId ?? null, query: (req.query as Record<string, unknown>).group_id ?? null });
    });
    sub.use(twakeAuthErrorHandler());
    parent.use('/api', sub);
    return parent;
  }

  it('consults req.query when a parent app has its own parser: a company hidden there is refused', async () => {
    const express4 = (await import('express4')).default as unknown as typeof express;
    const app = parentParserSubApp(express4);
    const response = await request(app).post('/api/x?company=beta').set('Authorization', auth).send({ group_id: 'alpha' });
    expectProblem(response, 400, 'invalid_group_id');
    const agreeing = await request(app).post('/api/x?company=alpha').set('Authorization', auth).send({ group_id: 'alpha' });
    expect(agreeing.body).toEqual({ checked: 'alpha', query: 'alpha' });
  });
});

describe('Express 4: an outer app with its own query parser, reached through a router or a function', () => {
  // No `.parent` links the apps here, so no walk up the mounts finds the outer parser: the query Express 4
  // parsed once, in the outer app, is compared whatever parser made it.
  const lowerCaseKeys = (text: string) => Object.fromEntries([...new URLSearchParams(text)].map(([key, value]) => [key.toLowerCase(), value]));
  async function layouts(express4: typeof express) {
    const inner = () => {
      const app = express4();
      app.use(twakeAppAuth({ store, mode: 'development', throttle: false }));
      app.get('/x', (req, res) => {
        res.json({ checked: req.twake?.companyId ?? null, query: (req.query as Record<string, unknown>).group_id ?? null });
      });
      app.use(twakeAuthErrorHandler());
      return app;
    };
    const throughRouter = express4();
    throughRouter.set('query parser', lowerCaseKeys);
    const router = express4.Router();
    router.use(inner());
    throughRouter.use(router);
    const throughFunction = express4();
    throughFunction.set('query parser', lowerCaseKeys);
    const wrapped = inner();
    throughFunction.use((req, res, next) => {
      wrapped(req, res, next);
    });
    return { throughRouter, throughFunction };
  }

  it.each(['throughRouter', 'throughFunction'] as const)('%s: a company the outer parser reads from another key is refused', async (layout) => {
    const express4 = (await import('express4')).default as unknown as typeof express;
    const app = (await layouts(express4))[layout];
    expectProblem(await request(app).get('/x?group_id=alpha&GROUP_ID=beta').set('Authorization', auth), 400, 'invalid_group_id');
    expect((await request(app).get('/x?group_id=alpha').set('Authorization', auth)).body).toEqual({ checked: 'alpha', query: 'alpha' });
  });
});

describe('credentials before the body (README, "Decisions and errors", step 4)', () => {
  let listening: Listening;
  let port: number;

  beforeAll(async () => {
    const app = express();
    app.use(twakeAppAuth({ store, mode: 'development', throttle: false }));
    app.all('/*path', (_req, res) => {
      res.json({ ok: true });
    });
    app.use(twakeAuthErrorHandler());
    listening = await listenOnFreePort(app);
    port = listening.port;
  });

  afterAll(() => listening.close());

  it('401 at once for an unknown application whose announced body never arrives (no hang)', async () => {
    const unknown = basic('no-such-app', 'wrong-key');
    const answer = await rawExchange(
      port,
      `POST /api/v1/messages?group_id=alpha HTTP/1.1\r\nHost: x\r\nAuthorization: ${unknown}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
      2000,
    );
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('401 at once for a wrong key of a known application, body pending', async () => {
    const wrong = basic(PUBLIC_ID, 'wrong-key');
    const answer = await rawExchange(
      port,
      `POST /api/v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: ${wrong}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"gro\r\n`,
      2000,
    );
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
  });
});

describe('standalone server: a malformed path under /auth/verify/ (Envoy path_prefix)', () => {
  const lines: string[] = [];
  let savedEnv: string | undefined;

  beforeAll(() => {
    savedEnv = process.env.NODE_ENV;
    // As the server runs in production: NODE_ENV unset (only "development" relaxes HTTPS).
    delete process.env.NODE_ENV;
  });

  afterAll(() => {
    if (savedEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = savedEnv;
  });

  function productionApp() {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return testApp({
      store,
      mode: 'production',
      logger: createLogger('info', sink),
    });
  }

  it('answers without a stack trace or file paths of the installation', async () => {
    for (const path of ['/auth/verify/%', '/auth/verify/api/v1/%E0%A4%A']) {
      const response = await request(productionApp()).get(path).set('X-Forwarded-Proto', 'https');
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.text).not.toMatch(/node_modules|URIError|\bat decodeURIComponent\b/);
    }
  });

  it('does not log client garbage as "authentication store failed", but as the 400 request it was', async () => {
    lines.length = 0;
    await request(productionApp()).get('/auth/verify/%').set('X-Forwarded-Proto', 'https');
    expect(lines.join('')).not.toContain('authentication store failed');
    const logged = lines
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toEqual([expect.objectContaining({ level: 30, msg: 'request', method: 'GET', path: '/auth/verify/%', status: 400 })]);
  });
});
