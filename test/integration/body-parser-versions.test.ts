// The body-parser and type-is ranges take what Express brings: 2.x with Express 5, 1.x with Express 4. The
// validator's body reading gives the same answers with both (the 1.x copies are those of Express 4, loaded in
// place of ours). The two differences are refusals by 1.x of what 2.x reads: brotli, and a malformed Content-Type.
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import express from 'express';
import request from 'supertest';
import * as own from '../../src';
import { basicAuthorization } from '../../src/testing';

type Core = typeof own;

const EXPRESS4 = dirname(require.resolve('express4/package.json'));
const BODY_PARSER_1 = require.resolve('body-parser', { paths: [EXPRESS4] });
const TYPE_IS_1 = require.resolve('type-is', { paths: [dirname(BODY_PARSER_1)] });
const OWN_BODY_PARSER = require.resolve('body-parser');

const versionOf = (entry: string): string => (JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as { version: string }).version;

/** The package, loaded with Express 4's body-parser and type-is in place of the ones it resolves itself. */
function loadWithExpress4Copies(): Core {
  let loaded: Core | undefined;
  jest.isolateModules(() => {
    jest.doMock('body-parser', () => jest.requireActual(BODY_PARSER_1));
    jest.doMock('type-is', () => jest.requireActual(TYPE_IS_1));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded in the isolated registry, with the copies above
    loaded = require('../../src') as Core;
  });
  jest.dontMock('body-parser');
  jest.dontMock('type-is');
  if (loaded === undefined) throw new Error('not loaded');
  return loaded;
}

const KEY = 'twk_body-parser-versions';
const AUTH = basicAuthorization('bot', KEY);
const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';

function appWith(core: Core, unreadBodies: 'refuse' | 'allow' = 'refuse', bodyLimit = 1024) {
  const store = new core.MemoryStore();
  store.add({ publicId: 'bot', keys: [{ privateKey: KEY }], companies: ['acme'] });
  const app = express();
  app.use('/api/v1', core.twakeAppAuth({ store, mode: 'development', throttle: false, bodyLimit, unreadBodies }));
  app.post('/api/v1/act', (req, res) => res.json({ company: req.twake?.companyId, body: req.body }));
  app.use(core.twakeAuthErrorHandler());
  return app;
}

interface Case {
  name: string;
  /** null: no Content-Type at all. */
  type: string | null;
  body: string | Buffer;
  query?: string;
  encoding?: string;
  unreadBodies?: 'allow';
  bodyLimit?: number;
  /** Status and code (`ok` when through) with body-parser 2.x; with 1.x too unless `withOne` says otherwise. */
  expected: [number, string];
  withOne?: [number, string];
}

const manyFields = Array.from({ length: 1001 }, (_, index) => `f${index}=1`).join('&');

const CASES: Case[] = [
  { name: 'JSON', type: JSON_TYPE, body: '{"group_id":"acme"}', expected: [200, 'ok'] },
  { name: 'JSON with its charset', type: `${JSON_TYPE}; charset=utf-8`, body: '{"group_id":"acme"}', expected: [200, 'ok'] },
  { name: 'application/*+json', type: 'application/vnd.api+json', body: '{"group_id":"acme"}', expected: [200, 'ok'] },
  { name: 'JSON naming a company it is not installed in', type: JSON_TYPE, body: '{"group_id":"globex"}', expected: [403, 'not_installed'] },
  { name: 'JSON disagreeing with the query', type: JSON_TYPE, query: '?group_id=acme', body: '{"group_id":"globex"}', expected: [400, 'invalid_group_id'] },
  { name: 'JSON cut short', type: JSON_TYPE, body: '{"group_id":', expected: [400, 'invalid_body'] },
  { name: 'JSON that is not an object or array (strict)', type: JSON_TYPE, body: '"acme"', expected: [400, 'invalid_body'] },
  { name: 'JSON over bodyLimit', type: JSON_TYPE, body: JSON.stringify({ group_id: 'acme', pad: 'x'.repeat(2000) }), expected: [413, 'body_too_large'] },
  { name: 'JSON in UTF-16 (read as such: not JSON)', type: `${JSON_TYPE}; charset=utf-16`, body: '{"group_id":"acme"}', expected: [400, 'invalid_body'] },
  { name: 'JSON in Latin-1', type: `${JSON_TYPE}; charset=iso-8859-1`, body: '{"group_id":"acme"}', expected: [415, 'unsupported_media_type'] },
  { name: 'JSON in a charset iconv does not know', type: `${JSON_TYPE}; charset=x-unknown`, body: '{"group_id":"acme"}', expected: [415, 'unsupported_media_type'] },
  { name: 'gzip JSON', type: JSON_TYPE, encoding: 'gzip', body: gzipSync('{"group_id":"acme"}'), expected: [200, 'ok'] },
  { name: 'gzip JSON inflated over bodyLimit', type: JSON_TYPE, encoding: 'gzip', body: gzipSync(JSON.stringify({ group_id: 'acme', pad: 'x'.repeat(5000) })), expected: [413, 'body_too_large'] },
  { name: 'brotli JSON (1.x does not inflate brotli)', type: JSON_TYPE, encoding: 'br', body: brotliCompressSync('{"group_id":"acme"}'), expected: [200, 'ok'], withOne: [415, 'unsupported_media_type'] },
  { name: 'an unknown content encoding', type: JSON_TYPE, encoding: 'compress', body: '{"group_id":"acme"}', expected: [415, 'unsupported_media_type'] },
  { name: 'urlencoded', type: FORM, body: 'group_id=acme&x=1', expected: [200, 'ok'] },
  { name: 'urlencoded declaring UTF-8', type: `${FORM}; charset=UTF-8`, body: 'group_id=acme', expected: [200, 'ok'] },
  { name: 'urlencoded in ISO-8859-1', type: `${FORM}; charset=iso-8859-1`, body: 'group_id=acme', expected: [415, 'unsupported_media_type'] },
  { name: 'urlencoded in a charset iconv does not know', type: `${FORM}; charset=x-unknown`, body: 'group_id=acme', expected: [415, 'unsupported_media_type'] },
  { name: 'urlencoded with bytes that are not UTF-8', type: FORM, body: Buffer.from([...Buffer.from('group_id=acme&x='), 0xff]), expected: [400, 'invalid_body'] },
  { name: 'urlencoded naming the company twice', type: FORM, body: 'group_id=acme&group_id=globex', expected: [400, 'invalid_group_id'] },
  { name: 'urlencoded with a key PHP reads as group_id', type: FORM, body: 'group_id=acme&group.id=globex', expected: [400, 'invalid_group_id'] },
  { name: 'urlencoded with group_id[]', type: FORM, body: 'group_id[]=globex&group_id=acme', expected: [400, 'invalid_group_id'] },
  { name: 'urlencoded with more than 1000 fields', type: FORM, body: `group_id=acme&${manyFields}`, bodyLimit: 65536, expected: [400, 'invalid_body'] },
  { name: 'text/plain', type: 'text/plain', query: '?group_id=acme', body: 'group_id=globex', expected: [415, 'unsupported_media_type'] },
  { name: 'text/plain with unreadBodies allow', type: 'text/plain', query: '?group_id=acme', body: 'group_id=globex', unreadBodies: 'allow', expected: [200, 'ok'] },
  { name: 'no Content-Type, a JSON object (read as JSON, as Twake did)', type: null, body: Buffer.from('{"group_id":"acme"}'), expected: [200, 'ok'] },
  { name: 'no Content-Type, a JSON object naming another company', type: null, body: Buffer.from('{"group_id":"globex"}'), expected: [403, 'not_installed'] },
  { name: 'no Content-Type, a JSON object disagreeing with the query', type: null, query: '?group_id=acme', body: Buffer.from('{"group_id":"globex"}'), expected: [400, 'invalid_group_id'] },
  { name: 'no Content-Type, a form', type: null, query: '?group_id=acme', body: Buffer.from('group_id=globex'), expected: [415, 'unsupported_media_type'] },
  { name: 'no Content-Type, a JSON array', type: null, query: '?group_id=acme', body: Buffer.from('[{"group_id":"globex"}]'), expected: [415, 'unsupported_media_type'] },
  { name: 'no Content-Type, gzip JSON', type: null, encoding: 'gzip', body: gzipSync('{"group_id":"acme"}'), expected: [200, 'ok'] },
  { name: 'no Content-Type, over bodyLimit', type: null, body: Buffer.from(JSON.stringify({ group_id: 'acme', pad: 'x'.repeat(2000) })), expected: [413, 'body_too_large'] },
  { name: 'a malformed Content-Type (1.x: not JSON)', type: 'application/json;;', query: '?group_id=acme', body: '{"group_id":"acme"}', expected: [200, 'ok'], withOne: [415, 'unsupported_media_type'] },
];

describe('body-parser and type-is: ours (2.x) and Express 4 (1.x)', () => {
  const withOne = loadWithExpress4Copies();
  afterAll(() => {
    jest.resetModules();
  });

  it('compares the versions it says it does', () => {
    expect(versionOf(OWN_BODY_PARSER)).toMatch(/^2\./);
    expect(versionOf(BODY_PARSER_1)).toMatch(/^1\.20\./);
    expect(versionOf(TYPE_IS_1)).toMatch(/^1\.6\./);
    expect(withOne.twakeAppAuth).not.toBe(own.twakeAppAuth);
  });

  describe.each([
    ['2.x', own, false],
    ['1.x', withOne, true],
  ] as const)('body-parser %s', (_version, core, isOne) => {
    it.each(CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
      let call = request(appWith(core, testCase.unreadBodies, testCase.bodyLimit))
        .post(`/api/v1/act${testCase.query ?? ''}`)
        .set('Authorization', AUTH);
      if (testCase.type !== null) call = call.set('Content-Type', testCase.type);
      if (testCase.encoding !== undefined) call = call.set('Content-Encoding', testCase.encoding);
      // Bytes as they are (superagent would serialise a Buffer as JSON or as a form).
      if (Buffer.isBuffer(testCase.body)) call = call.serialize((bytes: Buffer) => bytes as unknown as string);
      // superagent types a body it sends: the header is taken off again for a case without one.
      const response = await (testCase.type === null ? call.send(testCase.body).unset('Content-Type') : call.send(testCase.body));
      const [status, code] = (isOne ? testCase.withOne : undefined) ?? testCase.expected;
      expect([response.status, response.status === 200 ? 'ok' : response.body.code]).toEqual([status, code]);
      if (status === 200) expect(response.body.company).toBe('acme');
    });
  });

  it('parses a body into the same object with both', async () => {
    const bodies: Array<[string, string]> = [
      [JSON_TYPE, '{"group_id":"acme","list":[1,{"a":null}],"n":1.5}'],
      [FORM, 'group_id=acme&a=1&a=2&b=%C3%A9&c=&d'],
    ];
    for (const [type, body] of bodies) {
      const answers = await Promise.all([own, withOne].map((core) => request(appWith(core)).post('/api/v1/act').set('Authorization', AUTH).set('Content-Type', type).send(body)));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(answers[1]?.body.body).toEqual(answers[0]?.body.body);
    }
  });
});
