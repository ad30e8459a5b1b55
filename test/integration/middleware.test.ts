// Every row of the error table, through real HTTP, on SQLite and PostgreSQL, Express 5 and 4, middleware and passport.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createPrismaStore, type TwakeAppAuthOptions } from '../../src';
import { openDatabase } from '../../server/src/database/database';
import { VARIANTS, basic, createServer } from '../helpers/create-server';
import { CREDENTIAL_CORPUS } from '../helpers/credential-corpus';
import { createTestDatabase, testProviders, type TestDatabase } from '../helpers/databases';
import { expectProblem } from '../helpers/expect-problem';
import { seed, type Seed } from '../helpers/seed';

describe.each(testProviders())('on %s', (provider) => {
  let database: TestDatabase;
  let data: Seed;

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    data = await seed(database.prisma);
  });

  afterAll(async () => {
    await database.destroy();
  });

  describe.each(VARIANTS)('Express $express, $integration, pre-parsed JSON: $preParseJson', (variant) => {
    const app = (options: Partial<TwakeAppAuthOptions> = {}) =>
      createServer({ store: createPrismaStore(database.prisma), ...options }, variant);
    const valid = () => basic(data.publicId, data.privateKey);

    it('200: lets a valid, installed application through with its identity', async () => {
      const response = await request(app()).post('/api/v1/whoami').set('Authorization', valid()).send({ group_id: data.company });
      expect(response.status).toBe(200);
      expect(response.body.twake).toEqual({
        applicationId: expect.any(String),
        publicId: data.publicId,
        name: 'Calendar bot',
        keyId: expect.any(String),
        companyId: data.company,
        capabilities: [],
        privileges: [],
      });
      if (variant.integration === 'passport') expect(response.body.user).toEqual(response.body.twake);
      expect(JSON.stringify(response.body)).not.toContain(data.privateKey);
    });

    it('200: reads group_id from the query string', async () => {
      const response = await request(app()).get(`/api/v1/whoami?group_id=${data.company}`).set('Authorization', valid());
      expect(response.status).toBe(200);
      expect(response.body.twake.companyId).toBe(data.company);
    });

    it('200: reads group_id from a urlencoded body', async () => {
      const response = await request(app()).post('/api/v1/whoami').set('Authorization', valid()).type('form').send(`group_id=${data.company}`);
      expect(response.status).toBe(200);
    });

    it('403 https_required: plain HTTP in production, the same answer whatever the credentials', async () => {
      const production = app({ mode: 'production' });
      const answers = await Promise.all(
        [valid(), basic(data.publicId, 'wrong'), 'Basic !!!', undefined].map((header) => {
          const call = request(production).post('/api/v1/whoami').send({ group_id: data.company });
          return header === undefined ? call : call.set('Authorization', header);
        }),
      );
      for (const response of answers) {
        expectProblem(response, 403, 'https_required');
        expect(response.text).toBe(answers[0]?.text);
        expect(response.headers.location).toBeUndefined();
      }
    });

    it('403 https_required: X-Forwarded-Proto from a peer that trust proxy does not trust', async () => {
      const response = await request(app({ mode: 'production' }))
        .post('/api/v1/whoami')
        .set('X-Forwarded-Proto', 'https')
        .set('Authorization', valid())
        .send({ group_id: data.company });
      expectProblem(response, 403, 'https_required');
    });

    it('200: X-Forwarded-Proto https from a trusted proxy', async () => {
      const trusting = app({ mode: 'production' });
      trusting.set('trust proxy', 'loopback');
      const response = await request(trusting).post('/api/v1/whoami').set('X-Forwarded-Proto', 'https').set('Authorization', valid()).send({ group_id: data.company });
      expect(response.status).toBe(200);
    });

    it('200: an isSecure option replaces the judgement', async () => {
      const response = await request(app({ mode: 'production', isSecure: () => true }))
        .post('/api/v1/whoami')
        .set('Authorization', valid())
        .send({ group_id: data.company });
      expect(response.status).toBe(200);
    });

    it('401 missing_credentials: no Authorization header (and no group_id: credentials come first)', async () => {
      expectProblem(await request(app()).post('/api/v1/whoami').send({}), 401, 'missing_credentials');
    });

    it.each([
      ['an unknown public id', () => basic('00000000-0000-4000-8000-000000000000', data.privateKey)],
      ['a wrong key', () => basic(data.publicId, `${data.privateKey}x`)],
      ['an expired key', () => basic(data.publicId, data.expiredKey)],
      ['a revoked key', () => basic(data.publicId, data.revokedKey)],
      ['a disabled application', () => basic(data.disabled.publicId, data.disabled.privateKey)],
      ['another application’s key', () => basic(data.disabled.publicId, data.privateKey)],
    ])('401 invalid_credentials: %s, with one body for all', async (_name, header) => {
      const response = await request(app()).post('/api/v1/whoami').set('Authorization', header()).send({ group_id: data.company });
      expectProblem(response, 401, 'invalid_credentials');
      const reference = await request(app()).post('/api/v1/whoami').set('Authorization', basic(data.publicId, 'wrong')).send({ group_id: data.company });
      expect(response.text).toBe(reference.text);
    });

    it('401 before 403: a wrong key and a foreign company', async () => {
      const response = await request(app()).post('/api/v1/whoami').set('Authorization', basic(data.publicId, 'wrong')).send({ group_id: data.otherCompany });
      expectProblem(response, 401, 'invalid_credentials');
    });

    it('401 before 400: a wrong key and an invalid JSON body', async () => {
      const response = await request(app())
        .post('/api/v1/whoami')
        .set('Authorization', basic(data.publicId, 'wrong'))
        .set('Content-Type', 'application/json')
        .send('{"group_id": ');
      if (variant.preParseJson) expect(response.status).toBe(400);
      else expectProblem(response, 401, 'invalid_credentials');
    });

    it('400 missing_group_id', async () => {
      expectProblem(await request(app()).post('/api/v1/whoami').set('Authorization', valid()).send({}), 400, 'missing_group_id');
    });

    it.each([
      ['an array', { group_id: [1] }, ''],
      ['an object', { group_id: { a: 1 } }, ''],
      ['a number', { group_id: 7 }, ''],
      ['null', { group_id: null }, ''],
      ['an empty string', { group_id: '' }, ''],
      ['a control character', { group_id: 'company-1\u0007' }, ''],
      ['129 characters', { group_id: 'c'.repeat(129) }, ''],
      ['a repeated query parameter', {}, '?group_id=company-1&group_id=company-1'],
      ['a bracketed query key', {}, '?group_id[]=company-1'],
      ['body and query disagreeing', { group_id: 'company-1' }, '?group_id=company-3'],
    ])('400 invalid_group_id: %s', async (_name, body, query) => {
      const response = await request(app()).post(`/api/v1/whoami${query}`).set('Authorization', valid()).send(body);
      expectProblem(response, 400, 'invalid_group_id');
    });

    if (!variant.preParseJson) {
      it('400 invalid_body: a valid application with a body that is not JSON', async () => {
        const response = await request(app()).post('/api/v1/whoami').set('Authorization', valid()).set('Content-Type', 'application/json').send('{"group_id": ');
        expectProblem(response, 400, 'invalid_body');
      });

      it('413 body_too_large: a valid application with a body over the limit', async () => {
        const response = await request(app({ bodyLimit: 1024 }))
          .post('/api/v1/whoami')
          .set('Authorization', valid())
          .send({ group_id: data.company, padding: 'x'.repeat(2048) });
        expectProblem(response, 413, 'body_too_large');
      });

      it('401 before 413: a wrong key and a body over the limit', async () => {
        const response = await request(app({ bodyLimit: 1024 }))
          .post('/api/v1/whoami')
          .set('Authorization', basic(data.publicId, 'wrong'))
          .send({ group_id: data.company, padding: 'x'.repeat(2048) });
        expectProblem(response, 401, 'invalid_credentials');
      });
    }

    it('403 not_installed: a company where the application is not installed, or that does not exist, one body', async () => {
      const notInstalled = await request(app()).post('/api/v1/whoami').set('Authorization', valid()).send({ group_id: data.otherCompany });
      const nonexistent = await request(app()).post('/api/v1/whoami').set('Authorization', valid()).send({ group_id: 'no-such-company' });
      expectProblem(notInstalled, 403, 'not_installed');
      expect(nonexistent.text).toBe(notInstalled.text);
    });

    it('503 store_unavailable: a database that cannot be reached (never 401, never a pass)', async () => {
      const unreachable =
        provider === 'sqlite'
          ? openDatabase('file:/nonexistent-folder/for/sure/twake.db')
          : openDatabase('postgresql://postgres@127.0.0.1:1/none', { connectTimeoutMs: 500 });
      try {
        const response = await request(createServer({ store: createPrismaStore(unreachable.prisma) }, variant))
          .post('/api/v1/whoami')
          .set('Authorization', valid())
          .send({ group_id: data.company });
        expectProblem(response, 503, 'store_unavailable');
      } finally {
        await unreachable.close().catch(() => undefined);
      }
    });

    it('sends the legacy Twake codes', async () => {
      const refused = await request(app()).post('/api/v1/whoami').set('Authorization', basic(data.publicId, 'wrong')).send({});
      expect(refused.body.twake_error).toBe('unknown_application_or_bad_private_key');
      const noGroup = await request(app()).post('/api/v1/whoami').set('Authorization', valid()).send({});
      expect(noGroup.body.twake_error).toBe('you_need_to_provide_a_valid_group_id_field_in_any_api_request');
    });

    describe.each(CREDENTIAL_CORPUS)('credential corpus: $name', ({ header, accepted, code }) => {
      it(accepted ? 'should let it through' : `should answer 401 ${code}`, async () => {
        const value = header(data.publicId, data.privateKey);
        const call = request(app()).post('/api/v1/whoami').send({ group_id: data.company });
        const response = await (value === undefined ? call : call.set('Authorization', value));
        if (accepted) expect(response.status).toBe(200);
        else expectProblem(response, 401, code ?? 'invalid_credentials');
      });
    });
  });
});
