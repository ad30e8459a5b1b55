// The company a backend acts on is the company checked: body types, parser order, qs keys, forward-auth.
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { MemoryStore, forwardAuthForTests, trustForwardedIdentity, twakeAuthErrorHandler } from '../helpers/tenancy-imports';
import { basic } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';
import { createTenancyApp, type TenancyVariant } from '../helpers/tenancy-app';

const PUBLIC_ID = 'app-a';
const KEY = 'twk_tenancy-key';
const store = new MemoryStore();
// U+FFFD: what parsers that replace bytes they cannot decode would read for `%FF` or a lone surrogate.
store.add({ publicId: PUBLIC_ID, name: 'App A', keys: [{ privateKey: KEY }], companies: ['alpha', 'компания', '\uFFFD'] });
const auth = basic(PUBLIC_ID, KEY);

const BOTH_INTEGRATIONS = ['middleware', 'passport'] as const;

function post(variant: TenancyVariant, url: string, type: string, body: string, options = {}) {
  return request(createTenancyApp({ store, ...options }, variant)).post(url).set('Authorization', auth).set('Content-Type', type).send(body);
}

describe.each(BOTH_INTEGRATIONS)('%s', (integration) => {
  describe('a body type the app parses but the validator did not (observation 4)', () => {
    const variant: TenancyVariant = { express: 5, integration, after: ['json+vnd'] };

    it('400: application/vnd.api+json naming another company than the query', async () => {
      const response = await post(variant, '/api/v1/act?group_id=alpha', 'application/vnd.api+json', '{"group_id":"beta"}');
      expectProblem(response, 400, 'invalid_group_id');
    });

    it('200: application/vnd.api+json naming the same company, read by the validator', async () => {
      const response = await post(variant, '/api/v1/act', 'application/vnd.api+json', '{"group_id":"alpha"}');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ checked: 'alpha', seen: ['alpha'] });
    });

    it('415: a body of a type the validator cannot read (text/plain, multipart, no type and not JSON)', async () => {
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream']) {
        const response = await post({ express: 5, integration }, '/api/v1/act?group_id=alpha', type, 'group_id=beta');
        expectProblem(response, 415, 'unsupported_media_type');
      }
      const untyped = await request(createTenancyApp({ store }, { express: 5, integration }))
        .post('/api/v1/act?group_id=alpha')
        .set('Authorization', auth)
        .send(Buffer.from('group_id=beta'))
        .unset('Content-Type');
      expectProblem(untyped, 415, 'unsupported_media_type');
      // Without a type, a JSON object is read as JSON (as Twake's PHP did): its company is checked.
      const untypedJson = await request(createTenancyApp({ store }, { express: 5, integration }))
        .post('/api/v1/act?group_id=alpha')
        .set('Authorization', auth)
        .send(Buffer.from('{"group_id":"beta"}'))
        .unset('Content-Type');
      expectProblem(untypedJson, 400, 'invalid_group_id');
    });

    it('401 before 415: an unreadable body is judged only after the credentials', async () => {
      const response = await request(createTenancyApp({ store }, { express: 5, integration }))
        .post('/api/v1/act?group_id=alpha')
        .set('Authorization', basic(PUBLIC_ID, 'wrong'))
        .set('Content-Type', 'text/plain')
        .send('x');
      expectProblem(response, 401, 'invalid_credentials');
    });

    it('200 with unreadBodies: allow, on the query company, the stream left for the app', async () => {
      const response = await post({ express: 5, integration, after: ['text'] }, '/api/v1/act?group_id=alpha', 'text/plain', 'hello', { unreadBodies: 'allow' });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ checked: 'alpha', seen: ['alpha'] });
    });

    it('200: an empty text/plain body (Content-Length: 0) is no body', async () => {
      const response = await post({ express: 5, integration }, '/api/v1/act?group_id=alpha', 'text/plain', '');
      expect(response.status).toBe(200);
    });
  });

  describe.each([4, 5] as const)('a body already turned into a string or Buffer, Express %s (observation 5)', (version) => {
    it.each(['text', 'raw'] as const)('415: express.%s() before the validator', async (name) => {
      const response = await post({ express: version, integration, before: [name] }, '/api/v1/act?group_id=alpha', 'application/json', '{"group_id":"beta"}');
      expectProblem(response, 415, 'unsupported_media_type');
    });
  });

  describe('qs keys that become group_id (observation 6)', () => {
    const cases: Array<[string, TenancyVariant]> = [
      ['Express 4, default query parser', { express: 4, integration }],
      ['Express 5, query parser extended', { express: 5, integration, queryParser: 'extended' }],
      ['Express 5, query parser simple', { express: 5, integration }],
    ];
    it.each(cases)('400: %s', async (_name, variant) => {
      for (const query of ['%5Bgroup_id%5D=beta', '[group_id]=beta', 'group_id[x]=beta', 'group_id.x=beta', '[group_id]x=beta']) {
        const response = await post(variant, `/api/v1/act?${query}`, 'application/json', '{"group_id":"alpha"}');
        expectProblem(response, 400, 'invalid_group_id');
      }
    });

    it('200: a key that only contains group_id further in is not the company (x[group_id])', async () => {
      const response = await post({ express: 4, integration }, '/api/v1/act?x%5Bgroup_id%5D=beta', 'application/json', '{"group_id":"alpha"}');
      expect(response.status).toBe(200);
      expect(response.body.seen).toEqual(['alpha']);
    });
  });

  describe('a company that is not UTF-8 or not well-formed Unicode (from an adversarial review)', () => {
    // Read as U+FFFD here (Express 5's node:querystring), but as "%FF" by qs and as the byte by PHP.
    it('400: a query group_id whose percent-encoding is not UTF-8', async () => {
      const response = await request(createTenancyApp({ store }, { express: 5, integration })).get('/api/v1/act?group_id=%FF').set('Authorization', auth);
      expectProblem(response, 400, 'invalid_group_id');
    });

    // A database driver would encode it as U+FFFD, another company than the string the handler gets.
    it('400: a JSON group_id holding a lone surrogate', async () => {
      const response = await post({ express: 5, integration }, '/api/v1/act', 'application/json', '{"group_id":"\\ud800"}');
      expectProblem(response, 400, 'invalid_group_id');
    });
  });

  describe('urlencoded bodies a PHP backend reads otherwise (PHP keeps bytes, rewrites field names)', () => {
    const variant: TenancyVariant = { express: 5, integration, after: ['urlencoded'] };
    const FORM = 'application/x-www-form-urlencoded';

    it('415: a charset other than UTF-8 (body-parser would read %C3%A9 as Latin-1, PHP as the bytes)', async () => {
      for (const charset of ['iso-8859-1', 'ISO-8859-1', '"iso-8859-1"', 'windows-1252', 'utf8']) {
        const response = await post(variant, '/api/v1/act', `${FORM}; charset=${charset}`, 'group_id=%C3%A9cole');
        expectProblem(response, 415, 'unsupported_media_type');
      }
    });

    it('200: UTF-8, declared in any case or not at all', async () => {
      for (const type of [FORM, `${FORM}; charset=utf-8`, `${FORM}; charset=UTF-8`, `${FORM}; charset="utf-8"`]) {
        const response = await post(variant, '/api/v1/act', type, 'group_id=alpha');
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ checked: 'alpha', seen: ['alpha'] });
      }
    });

    it('400: a group_id escape that is not UTF-8 (qs keeps "%FF", PHP reads the byte)', async () => {
      for (const body of ['group_id=%FF', 'group_id=alpha%FF', 'group_id=%41%FF']) {
        expectProblem(await post(variant, '/api/v1/act', FORM, body), 400, 'invalid_group_id');
      }
    });

    it('400 invalid_body: bytes that are not UTF-8 (body-parser reads U+FFFD, PHP the byte)', async () => {
      const response = await request(createTenancyApp({ store }, variant))
        .post('/api/v1/act')
        .set('Authorization', auth)
        .set('Content-Type', FORM)
        // Sent as they are: superagent would otherwise turn a Buffer into a form of its bytes.
        .serialize((bytes: unknown) => bytes as string)
        .send(Buffer.from('group_id=alpha\xff', 'latin1'));
      expectProblem(response, 400, 'invalid_body');
    });

    it('400: a field PHP files under group_id, next to group_id or alone', async () => {
      for (const body of ['group_id=alpha&group.id=beta', 'group+id=beta', '%20group_id=beta&group_id=alpha', 'group%5Bid=beta', 'group_id%00x=beta', 'group.id%5Bx%5D=beta', '[group_id]=alpha']) {
        expectProblem(await post(variant, '/api/v1/act', FORM, body), 400, 'invalid_group_id');
      }
    });

    it('200: a field that is not UTF-8 and not group_id', async () => {
      const response = await post(variant, '/api/v1/act', FORM, 'comment=%FF&group_id=alpha');
      expect(response.status).toBe(200);
      expect(response.body.checked).toBe('alpha');
    });
  });

  describe('Express 4, json before and urlencoded after the validator (observation 7)', () => {
    const variant: TenancyVariant = { express: 4, integration, before: ['json'], after: ['urlencoded'] };

    it('400: a urlencoded body naming another company than the query', async () => {
      const response = await post(variant, '/api/v1/act?group_id=alpha', 'application/x-www-form-urlencoded', 'group_id=beta');
      expectProblem(response, 400, 'invalid_group_id');
    });

    it('200: a urlencoded body alone, read by the validator and seen by the handler', async () => {
      const response = await post(variant, '/api/v1/act', 'application/x-www-form-urlencoded', 'group_id=alpha');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ checked: 'alpha', seen: ['alpha'] });
    });
  });

  describe.each([4, 5] as const)('Express %s, the README order: validator, then the app parsers (observation 8)', (version) => {
    const variant: TenancyVariant = { express: version, integration, after: ['json', 'urlencoded'] };

    it('200: JSON', async () => {
      const response = await post(variant, '/api/v1/act', 'application/json', '{"group_id":"alpha"}');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ checked: 'alpha', seen: ['alpha'] });
    });

    it('200: urlencoded', async () => {
      const response = await post(variant, '/api/v1/act', 'application/x-www-form-urlencoded', 'group_id=alpha');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ checked: 'alpha', seen: ['alpha'] });
    });
  });
});

describe('forward-auth', () => {
  const validator = express();
  validator.all(['/auth/verify', '/auth/verify/*path'], forwardAuthForTests({ store, mode: 'development' }, { signer: null, originalUri: 'optional' }));
  validator.use(twakeAuthErrorHandler());

  it('204: the company from X-Original-URI (nginx), with every identity header', async () => {
    const response = await request(validator).get('/auth/verify').set('Authorization', auth).set('X-Original-URI', '/api/v1/x?group_id=alpha');
    expect(response.status).toBe(204);
    expect(response.headers['x-twake-company-id']).toBe('alpha');
    expect(response.headers['x-twake-public-id']).toBe(PUBLIC_ID);
    expect(response.headers['x-twake-application-name']).toBe('App%20A');
    expect(response.headers['x-twake-key-id']).toEqual(expect.any(String));
  });

  it('400: a forwarded JSON body (Traefik forwardBody) naming another company than the URI (observation 1)', async () => {
    const response = await request(validator)
      .post('/auth/verify')
      .set('Authorization', auth)
      .set('X-Forwarded-Uri', '/api/v1/x?group_id=alpha')
      .send({ group_id: 'beta' });
    expectProblem(response, 400, 'invalid_group_id');
  });

  it('400: X-Twake-Group-Id naming another company than the forwarded body', async () => {
    const response = await request(validator).post('/auth/verify').set('Authorization', auth).set('X-Twake-Group-Id', 'alpha').send({ group_id: 'beta' });
    expectProblem(response, 400, 'invalid_group_id');
  });

  it("204: the validator's own query, as Envoy sends it (observation 2)", async () => {
    const response = await request(validator).get('/auth/verify/api/v1/x?group_id=alpha').set('Authorization', auth);
    expect(response.status).toBe(204);
    expect(response.headers['x-twake-company-id']).toBe('alpha');
  });

  it("400: the validator's own query disagreeing with X-Twake-Group-Id (observation 2)", async () => {
    const response = await request(validator).get('/auth/verify/api/v1/x?group_id=beta').set('Authorization', auth).set('X-Twake-Group-Id', 'alpha');
    expectProblem(response, 400, 'invalid_group_id');
  });

  it('400: two original URIs that differ', async () => {
    const response = await request(validator)
      .get('/auth/verify')
      .set('Authorization', auth)
      .set('X-Original-URI', '/api/v1/x?group_id=alpha')
      .set('X-Forwarded-Uri', '/api/v1/y?group_id=alpha');
    expectProblem(response, 400, 'invalid_group_id');
  });

  it('204: a company id above U+00FF, percent-encoded in X-Twake-Company-Id (observation 9)', async () => {
    const response = await request(validator).get(`/auth/verify?group_id=${encodeURIComponent('компания')}`).set('Authorization', auth);
    expect(response.status).toBe(204);
    expect(response.headers['x-twake-company-id']).toBe(encodeURIComponent('компания'));
  });

  it('400: an original URI whose group_id is not UTF-8 (the backend behind the proxy may read "%FF" or the byte)', async () => {
    const response = await request(validator).get('/auth/verify').set('Authorization', auth).set('X-Original-URI', '/api/v1/x?group_id=%FF');
    expectProblem(response, 400, 'invalid_group_id');
  });

  it('400: a forwarded query or urlencoded body with a field PHP reads as group_id', async () => {
    const query = await request(validator).get('/auth/verify').set('Authorization', auth).set('X-Forwarded-Uri', '/api/v1/x?group_id=alpha&group.id=beta');
    expectProblem(query, 400, 'invalid_group_id');
    const envoy = await request(validator).get('/auth/verify/api/v1/x?group_id=alpha&group+id=beta').set('Authorization', auth);
    expectProblem(envoy, 400, 'invalid_group_id');
    const body = await request(validator).post('/auth/verify').set('Authorization', auth).set('X-Forwarded-Uri', '/api/v1/x?group_id=alpha').type('form').send('group[id=beta');
    expectProblem(body, 400, 'invalid_group_id');
  });

  it('415: a forwarded urlencoded body in another charset than UTF-8', async () => {
    const response = await request(validator)
      .post('/auth/verify')
      .set('Authorization', auth)
      .set('Content-Type', 'application/x-www-form-urlencoded; charset=iso-8859-1')
      .send('group_id=%C3%A9cole');
    expectProblem(response, 415, 'unsupported_media_type');
  });

  it('204: X-Twake-Group-Id sent as UTF-8 bytes; 400 when they are not UTF-8', async () => {
    const utf8 = Buffer.from('компания', 'utf8').toString('latin1');
    const ok = await request(validator).get('/auth/verify').set('Authorization', auth).set('X-Twake-Group-Id', utf8);
    expect(ok.status).toBe(204);
    const broken = await request(validator).get('/auth/verify').set('Authorization', auth).set('X-Twake-Group-Id', '\u00ff\u00fe');
    expectProblem(broken, 400, 'invalid_group_id');
  });
});

describe('trustForwardedIdentity, legacy address-only mode', () => {
  function backend(trustedProxies: string) {
    const app = express();
    app.use(trustForwardedIdentity({ addressOnly: true, trustedProxies }));
    app.use(express.json());
    app.all('/api/v1/act', (req, res) => {
      res.json({ twake: req.twake, body: req.body as unknown });
    });
    app.use(twakeAuthErrorHandler());
    return app;
  }
  const identity = {
    'X-Twake-Application-Id': 'app-a-id',
    'X-Twake-Public-Id': PUBLIC_ID,
    'X-Twake-Company-Id': 'alpha',
    'X-Twake-Key-Id': 'k1',
    'X-Twake-Application-Name': 'App%20A',
  };

  it('200: reads the granted lists, comma-separated and percent-decoded; refuses a repeated one', async () => {
    const granted = { ...identity, 'X-Twake-Capabilities': 'messages_save,display_modal', 'X-Twake-Privileges': 'channels' };
    const response = await request(backend('loopback')).post('/api/v1/act').set(granted).send({ group_id: 'alpha' });
    expect(response.status).toBe(200);
    expect(response.body.twake).toMatchObject({ capabilities: ['messages_save', 'display_modal'], privileges: ['channels'] });
    // Two header lines: supertest sends a list as repeated headers.
    const repeated = await request(backend('loopback')).post('/api/v1/act').set(identity).set('X-Twake-Capabilities', ['a', 'b'] as unknown as string).send({ group_id: 'alpha' });
    expectProblem(repeated, 403, 'untrusted_identity');
  });

  it('200: sets req.twake from the identity headers of a trusted proxy', async () => {
    const response = await request(backend('loopback')).post('/api/v1/act').set(identity).send({ group_id: 'alpha' });
    expect(response.status).toBe(200);
    expect(response.body.twake).toEqual({ applicationId: 'app-a-id', publicId: PUBLIC_ID, companyId: 'alpha', keyId: 'k1', name: 'App A', capabilities: [], privileges: [] });
    expect(response.body.body).toEqual({ group_id: 'alpha' });
  });

  it('400: a JSON body naming another company than X-Twake-Company-Id (nginx sends no body to forward-auth)', async () => {
    const response = await request(backend('loopback')).post('/api/v1/act').set(identity).send({ group_id: 'beta' });
    expectProblem(response, 400, 'invalid_group_id');
  });

  it('400: a query naming another company, including a qs alias', async () => {
    for (const query of ['group_id=beta', '%5Bgroup_id%5D=beta']) {
      const response = await request(backend('loopback')).get(`/api/v1/act?${query}`).set(identity);
      expectProblem(response, 400, 'invalid_group_id');
    }
  });

  it('200: decodes a percent-encoded company', async () => {
    const response = await request(backend('loopback'))
      .get(`/api/v1/act?group_id=${encodeURIComponent('компания')}`)
      .set({ ...identity, 'X-Twake-Company-Id': encodeURIComponent('компания') });
    expect(response.status).toBe(200);
    expect(response.body.twake.companyId).toBe('компания');
  });

  it('403: identity headers from a peer that is not a trusted proxy', async () => {
    const response = await request(backend('10.1.2.3')).get('/api/v1/act').set(identity);
    expectProblem(response, 403, 'untrusted_identity');
  });

  it('403: a trusted peer without the identity headers, or with one missing', async () => {
    expectProblem(await request(backend('loopback')).get('/api/v1/act'), 403, 'untrusted_identity');
    const partial: Record<string, string> = { ...identity };
    delete partial['X-Twake-Key-Id'];
    expectProblem(await request(backend('loopback')).get('/api/v1/act').set(partial), 403, 'untrusted_identity');
  });

  it('415: a body it cannot compare', async () => {
    const response = await request(backend('loopback')).post('/api/v1/act').set(identity).set('Content-Type', 'text/plain').send('group_id=beta');
    expectProblem(response, 415, 'unsupported_media_type');
  });

  it('throws at construction without trustedProxies, and without keys outside the legacy mode', () => {
    expect(() => trustForwardedIdentity({ addressOnly: true } as never)).toThrow(/trustedProxies/);
    expect(() => trustForwardedIdentity({} as never)).toThrow(/jwksUrl, keys or secret/);
    expect(() => trustForwardedIdentity({ trustedProxies: 'loopback' } as never)).toThrow(/addressOnly: true/);
  });
});
