// twake-app-auth/testing: createTestApplication's capabilities, privileges, allowed IPs and per-company grants,
// through the middleware and requireCapabilities/requirePrivileges on Express 5, in a MemoryStore and through Prisma.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { createPrismaStore, InvalidAdminInputError, MemoryStore, requireCapabilities, requirePrivileges, twakeAppAuth, twakeAuthErrorHandler, type ApplicationStore } from '../../src';
import { createTestApplication, type TestApplicationOptions } from '../../src/testing';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { expectProblem } from '../helpers/expect-problem';

/** Where the test application is made, and the store the middleware reads it from. */
interface Target {
  create(options: TestApplicationOptions): ReturnType<typeof createTestApplication>;
  store(): ApplicationStore;
}

function appOn(store: ApplicationStore) {
  const app = express();
  app.use('/api/v1', twakeAppAuth({ store, mode: 'development' }));
  app.post('/api/v1/messages', requireCapabilities('messages_save'), (req, res) => res.json(req.twake));
  app.get('/api/v1/channels', requirePrivileges('channels'), (req, res) => res.json(req.twake));
  app.delete('/api/v1/files', requireCapabilities('drive_remove'), (_req, res) => res.send('removed'));
  app.get('/api/v1/ping', (_req, res) => res.send('pong'));
  app.use(twakeAuthErrorHandler());
  return app;
}

describe.each(['memory', 'sqlite'] as const)('createTestApplication in %s', (kind) => {
  let database: TestDatabase | undefined;
  const memory = new MemoryStore();

  beforeAll(async () => {
    if (kind === 'sqlite') database = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await database?.destroy();
  });

  const target: Target = {
    create: (options) => createTestApplication(kind === 'memory' ? memory : (database as TestDatabase).prisma, options),
    store: () => (kind === 'memory' ? memory : createPrismaStore((database as TestDatabase).prisma)),
  };

  it('declares capabilities and privileges, and a company granted nothing narrower gets them all', async () => {
    const bot = await target.create({ companies: ['acme'], capabilities: ['messages_save'], privileges: ['channels'] });
    expect(bot.grants).toEqual({ acme: { capabilities: ['messages_save'], privileges: ['channels'] } });
    const app = appOn(target.store());

    const saved = await request(app).post('/api/v1/messages').set('Authorization', bot.authorization).send({ group_id: 'acme', text: 'hi' });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ publicId: bot.publicId, companyId: 'acme', capabilities: ['messages_save'], privileges: ['channels'] });
    expect((await request(app).get('/api/v1/channels?group_id=acme').set('Authorization', bot.authorization)).status).toBe(200);

    const removed = await request(app).delete('/api/v1/files?group_id=acme').set('Authorization', bot.authorization);
    expectProblem(removed, 403, 'missing_capability');
    expect(removed.body.missing).toEqual(['drive_remove']);
  });

  it('grants per company: what `grants` names for a company, everything declared for one left out', async () => {
    const bot = await target.create({
      companies: ['acme', 'globex', 'initech'],
      capabilities: ['messages_save', 'drive_remove'],
      privileges: ['channels'],
      grants: { globex: ['channels'], initech: [] },
    });
    expect(bot.grants).toEqual({
      acme: { capabilities: ['messages_save', 'drive_remove'], privileges: ['channels'] },
      globex: { capabilities: [], privileges: ['channels'] },
      initech: { capabilities: [], privileges: [] },
    });
    const app = appOn(target.store());
    const send = (method: 'post' | 'get' | 'delete', path: string, company: string) => request(app)[method](`/api/v1/${path}?group_id=${company}`).set('Authorization', bot.authorization);

    expect((await send('post', 'messages', 'acme')).status).toBe(200);
    expect((await send('delete', 'files', 'acme')).status).toBe(200);
    expectProblem(await send('post', 'messages', 'globex'), 403, 'missing_capability');
    expect((await send('get', 'channels', 'globex')).status).toBe(200);
    expectProblem(await send('get', 'channels', 'initech'), 403, 'missing_privilege');
    // Installed everywhere it was asked to be, whatever the grants.
    expect((await send('get', 'ping', 'initech')).status).toBe(200);
    expectProblem(await send('get', 'ping', 'umbrella'), 403, 'not_installed');
  });

  it('grants a name that is both a capability and a privilege as both, where declared', async () => {
    const bot = await target.create({ companies: ['acme'], capabilities: ['tasks_task_save'], privileges: ['tasks_task_save', 'channels'], grants: { acme: ['tasks_task_save'] } });
    expect(bot.grants).toEqual({ acme: { capabilities: ['tasks_task_save'], privileges: ['tasks_task_save'] } });
  });

  it('lets calls through only from the allowed IPs', async () => {
    const elsewhere = await target.create({ companies: ['acme'], allowedIps: ['192.0.2.0/24'] });
    const loopback = await target.create({ companies: ['acme'], allowedIps: ['127.0.0.1', '::1'] });
    const app = appOn(target.store());
    expectProblem(await request(app).get('/api/v1/ping?group_id=acme').set('Authorization', elsewhere.authorization), 403, 'ip_not_allowed');
    expect((await request(app).get('/api/v1/ping?group_id=acme').set('Authorization', loopback.authorization)).status).toBe(200);
  });

  it('keeps the former defaults: nothing declared, nothing granted, any address, installed in test-company', async () => {
    const bot = await target.create({});
    expect(bot.companies).toEqual(['test-company']);
    expect(bot.grants).toEqual({ 'test-company': { capabilities: [], privileges: [] } });
    const app = appOn(target.store());
    expect((await request(app).get('/api/v1/ping?group_id=test-company').set('Authorization', bot.authorization)).status).toBe(200);
    expectProblem(await request(app).post('/api/v1/messages?group_id=test-company').set('Authorization', bot.authorization), 403, 'missing_capability');
  });

  it.each<[string, TestApplicationOptions, RegExp]>([
    ['an unknown capability', { capabilities: ['messages_send'] }, /Unknown capability "messages_send"/],
    ['an unknown privilege', { privileges: ['everything'] }, /Unknown privilege "everything"/],
    ['a grant of a name not declared', { companies: ['acme'], capabilities: ['messages_save'], grants: { acme: ['drive_save'] } }, /does not declare it/],
    ['an invalid allowed IP', { allowedIps: ['10.0.0.300'] }, /Invalid allowed IP/],
  ])('refuses %s as the CLI does (InvalidAdminInputError)', async (_name, options, message) => {
    const attempt = target.create(options);
    await expect(attempt).rejects.toThrow(InvalidAdminInputError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('refuses grants for a company it is not installed in', async () => {
    await expect(target.create({ companies: ['acme'], grants: { acem: [] } })).rejects.toThrow(/grants name the company "acem", which is not one of companies/);
  });
});
