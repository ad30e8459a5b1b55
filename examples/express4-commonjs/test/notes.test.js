// The backend through supertest, with applications made by twake-app-auth/testing in a MemoryStore.
const assert = require('node:assert/strict');
const { before, test } = require('node:test');
const request = require('supertest');
const { MemoryStore } = require('twake-app-auth');
const { basicAuthorization, createTestApplication } = require('twake-app-auth/testing');
const { createApp } = require('../app');

const store = new MemoryStore();
const app = createApp({ store, mode: 'development' }); // supertest speaks plain HTTP
let bot;

before(async () => {
  // Installed in acme and globex; acme (left out of grants) grants everything declared, globex nothing.
  bot = await createTestApplication(store, { companies: ['acme', 'globex'], capabilities: ['messages_save'], grants: { globex: [] } });
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
  const saved = await request(app).post('/api/v1/notes').set('Authorization', bot.authorization).send({ group_id: 'acme', text: 'hello' });
  assert.equal(saved.status, 201);
  assert.deepEqual(saved.body, { id: 1, text: 'hello', by: bot.publicId });

  const refused = await request(app).post('/api/v1/notes').set('Authorization', bot.authorization).send({ group_id: 'globex', text: 'hello' });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'missing_capability');
  assert.deepEqual(refused.body.missing, ['messages_save']);
});
