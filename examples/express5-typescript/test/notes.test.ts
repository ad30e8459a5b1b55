// The backend through supertest, on a fresh SQLite database migrated with `prisma migrate deploy`, and
// applications made with twake-app-auth/testing through this backend's own PrismaClient.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import request from 'supertest';
import { basicAuthorization, createTestApplication, type TestApplication } from 'twake-app-auth/testing';
import { createApp } from '../src/app';
import { createPrisma, type PrismaClient } from '../src/db';

const project = join(__dirname, '..', '..'); // dist/test -> the example's folder
const folder = mkdtempSync(join(tmpdir(), 'notes-test-'));
const url = `file:${join(folder, 'test.db')}`;
let prisma: PrismaClient;
let bot: TestApplication;
let app: ReturnType<typeof createApp>;

before(async () => {
  execFileSync(join(project, 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], { cwd: project, env: { ...process.env, DATABASE_URL: url }, stdio: 'pipe' });
  prisma = createPrisma(url);
  // Installed in acme and globex; acme (left out of grants) grants everything declared, globex nothing.
  bot = await createTestApplication(prisma, { companies: ['acme', 'globex'], capabilities: ['messages_save'], grants: { globex: [] } });
  app = createApp({ prisma, mode: 'development' }); // supertest speaks plain HTTP
});

after(async () => {
  await prisma?.$disconnect();
  rmSync(folder, { recursive: true, force: true });
});

test('lists the notes of the company the application calls for', async () => {
  const answer = await request(app).get('/api/v1/notes?group_id=acme').set('Authorization', bot.authorization);
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body, { company: 'acme', notes: [] });
});

test('refuses a company the application is not installed in, a wrong key and no credentials', async () => {
  const elsewhere = await request(app).get('/api/v1/notes?group_id=initech').set('Authorization', bot.authorization);
  assert.equal(elsewhere.status, 403);
  const wrongKey = await request(app).get('/api/v1/notes?group_id=acme').set('Authorization', basicAuthorization(bot.publicId, 'not-the-key'));
  assert.equal(wrongKey.status, 401);
  const anonymous = await request(app).get('/api/v1/notes?group_id=acme');
  assert.equal(anonymous.status, 401);
});

test('saves a note only for a company that granted messages_save', async () => {
  assert.deepEqual(bot.grants.globex, { capabilities: [], privileges: [] });
  const saved = await request(app).post('/api/v1/notes').set('Authorization', bot.authorization).send({ group_id: 'acme', text: 'hello' });
  assert.equal(saved.status, 201);
  assert.deepEqual(saved.body, { id: 1, text: 'hello', by: bot.publicId });

  const refused = await request(app).post('/api/v1/notes').set('Authorization', bot.authorization).send({ group_id: 'globex', text: 'hello' });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'missing_capability');
  assert.deepEqual(refused.body.missing, ['messages_save']);

  const listed = await request(app).get('/api/v1/notes?group_id=acme').set('Authorization', bot.authorization);
  assert.deepEqual(listed.body.notes, [{ id: 1, text: 'hello', by: bot.publicId }]);
});
