// Bodies sent without Content-Type: read as JSON when they are a JSON object (as Twake's PHP read them),
// refused otherwise, whatever parser the app mounts before or after the middleware, with Express 4 and 5.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express5 from 'express';
import express4 from 'express4';
import type { RequestHandler } from 'express';
import { MemoryStore, twakeAppAuth, twakeAuthErrorHandler } from '../../src';
import { basicAuthorization } from '../../src/testing';
import { listenOnFreePort, type Listening } from '../helpers/listen';
import { postExactly, type JsonAnswer } from '../helpers/raw-http';

const KEY = 'twk_untyped-body';
const AUTH = basicAuthorization('bot', KEY);

type Express = typeof express5;
type Placement = 'none' | 'json before' | 'urlencoded before' | 'json and urlencoded before' | 'text of every body before' | 'text */* before' | 'json after' | 'json and urlencoded after';
const PLACEMENTS: Placement[] = ['none', 'json before', 'urlencoded before', 'json and urlencoded before', 'text of every body before', 'text */* before', 'json after', 'json and urlencoded after'];

function parsers(framework: Express, placement: Placement): { before: RequestHandler[]; after: RequestHandler[] } {
  const json = framework.json();
  const form = framework.urlencoded({ extended: false });
  switch (placement) {
    case 'none':
      return { before: [], after: [] };
    case 'json before':
      return { before: [json], after: [] };
    case 'urlencoded before':
      return { before: [form], after: [] };
    case 'json and urlencoded before':
      return { before: [json, form], after: [] };
    case 'text of every body before':
      return { before: [framework.text({ type: () => true })], after: [] };
    case 'text */* before':
      return { before: [framework.text({ type: '*/*' })], after: [] };
    case 'json after':
      return { before: [], after: [json] };
    case 'json and urlencoded after':
      return { before: [], after: [json, form] };
  }
}

function appWith(framework: Express, placement: Placement, unreadBodies: 'refuse' | 'allow' = 'refuse') {
  const store = new MemoryStore();
  store.add({ publicId: 'bot', keys: [{ privateKey: KEY }], companies: ['acme'] });
  const app = framework();
  const { before, after } = parsers(framework, placement);
  if (before.length > 0) app.use(before);
  app.use('/api/v1', twakeAppAuth({ store, mode: 'development', throttle: false, bodyLimit: 1024, unreadBodies }));
  if (after.length > 0) app.use(after);
  // What the handler reads is what a backend acts on: it must name the company that was checked.
  app.post('/api/v1/act', (req, res) => {
    const body: unknown = req.body;
    res.json({ company: req.twake?.companyId, group_id: (body as { group_id?: unknown } | undefined)?.group_id ?? null, bytes: Buffer.isBuffer(body) ? body.toString('utf8') : null });
  });
  app.use(twakeAuthErrorHandler());
  return app;
}

type Answer = JsonAnswer;

/** A POST with the application's credentials and exactly the other headers given. */
const post = (port: number, path: string, body: string, headers: Record<string, string> = {}): Promise<Answer> => postExactly(port, path, body, { Authorization: AUTH, ...headers });

const outcome = (answer: Answer) => [answer.status, answer.status === 200 ? answer.body.company : answer.body.code];

describe.each([
  ['Express 5', express5],
  ['Express 4', express4 as unknown as Express],
] as const)('a body without Content-Type (%s)', (_name, framework) => {
  describe.each(PLACEMENTS)('parsers: %s', (placement) => {
    let listening: Listening;
    beforeAll(async () => {
      listening = await listenOnFreePort(appWith(framework, placement));
    });
    afterAll(() => listening.close());
    // express.text({ type: () => true }) reads every body, untyped ones too, into a string the validator
    // cannot trust ('*/*' matches no body without Content-Type, so that one leaves the body to us).
    const consumed = placement === 'text of every body before';

    it('is read as JSON when it is a JSON object, and the handler reads the same company', async () => {
      const answer = await post(listening.port, '/api/v1/act', '{"group_id":"acme"}');
      if (consumed) expect(outcome(answer)).toEqual([415, 'unsupported_media_type']);
      else expect({ outcome: outcome(answer), handler: answer.body.group_id }).toEqual({ outcome: [200, 'acme'], handler: 'acme' });
    });

    it('names a company the application is not installed in: 403, never through', async () => {
      expect(outcome(await post(listening.port, '/api/v1/act', '{"group_id":"globex"}'))).toEqual(consumed ? [415, 'unsupported_media_type'] : [403, 'not_installed']);
    });

    it('disagrees with the query: 400, never through', async () => {
      expect(outcome(await post(listening.port, '/api/v1/act?group_id=acme', '{"group_id":"globex"}'))).toEqual(consumed ? [415, 'unsupported_media_type'] : [400, 'invalid_group_id']);
    });

    it('names the company twice: read as the last, as PHP json_decode and the backend read it', async () => {
      expect(outcome(await post(listening.port, '/api/v1/act?group_id=acme', '{"group_id":"acme","group_id":"globex"}'))).toEqual(consumed ? [415, 'unsupported_media_type'] : [400, 'invalid_group_id']);
    });

    it.each([
      ['a form', 'group_id=globex'],
      ['JSON cut short', '{"group_id":"globex"'],
      ['a JSON array', '[{"group_id":"globex"}]'],
      ['a JSON string', '"globex"'],
      ['a JSON number', '1'],
      ['JSON null', 'null'],
    ])('is refused with 415 when it is %s (the backend could read it another way)', async (_kind, body) => {
      expect(outcome(await post(listening.port, '/api/v1/act?group_id=acme', body))).toEqual([415, 'unsupported_media_type']);
    });

    it('is refused with 413 over bodyLimit', async () => {
      const answer = await post(listening.port, '/api/v1/act', JSON.stringify({ group_id: 'acme', pad: 'x'.repeat(2000) }));
      expect(outcome(answer)).toEqual(consumed ? [415, 'unsupported_media_type'] : [413, 'body_too_large']);
    });

    it('is not what an empty Content-Type header is: that one stays refused', async () => {
      expect(outcome(await post(listening.port, '/api/v1/act?group_id=acme', '{"group_id":"acme"}', { 'Content-Type': '' }))).toEqual([415, 'unsupported_media_type']);
    });

    it('carries the legacy error member in its refusals', async () => {
      const answer = await post(listening.port, '/api/v1/act?group_id=acme', 'nope');
      expect({ code: answer.body.code, error: answer.body.error, twake_error: answer.body.twake_error }).toEqual({ code: 'unsupported_media_type', error: 'unsupported_media_type', twake_error: 'unsupported_media_type' });
    });
  });

  describe('with unreadBodies: allow', () => {
    let listening: Listening;
    beforeAll(async () => {
      listening = await listenOnFreePort(appWith(framework, 'json after', 'allow'));
    });
    afterAll(() => listening.close());

    it('still reads a JSON object, and checks its company', async () => {
      expect(outcome(await post(listening.port, '/api/v1/act?group_id=acme', '{"group_id":"globex"}'))).toEqual([400, 'invalid_group_id']);
      expect(outcome(await post(listening.port, '/api/v1/act', '{"group_id":"acme"}'))).toEqual([200, 'acme']);
    });

    it('hands anything else on as its bytes, the company from the query', async () => {
      const answer = await post(listening.port, '/api/v1/act?group_id=acme', 'raw upload');
      expect({ outcome: outcome(answer), bytes: answer.body.bytes }).toEqual({ outcome: [200, 'acme'], bytes: 'raw upload' });
    });
  });
});
