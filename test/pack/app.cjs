// Smoke test, CommonJS: the middleware and the testing kit from the installed tarball, over real HTTP.
const assert = require('node:assert/strict');
const express = require('express');
const { twakeAppAuth, twakeAuthErrorHandler, MemoryStore } = require('twake-app-auth');
const { createTestApplication, basicAuthorization } = require('twake-app-auth/testing');
const { check } = require('./check.cjs');

(async () => {
  const store = new MemoryStore();
  const app = await createTestApplication(store, { companies: ['acme'] });
  const server = express();
  server.use('/api/v1', twakeAppAuth({ store, mode: 'development' }));
  server.get('/api/v1/whoami', (req, res) => res.json({ company: req.twake.companyId }));
  server.use(twakeAuthErrorHandler());
  await check(server, app.authorization, basicAuthorization(app.publicId, 'wrong'));
  // The core loads no database driver, Prisma, Redis client or logger.
  const heavy = Object.keys(require.cache).filter((path) => /node_modules\/(pg|better-sqlite3|@prisma|ioredis|pino|passport-http)\//.test(path));
  assert.deepEqual(heavy, []);
  console.log('cjs ok');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
