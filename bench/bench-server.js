// One benchmark target in its own process: the same JSON route behind a given authentication.
// Usage: node bench/bench-server.js <bare|basic-auth|naive|warm|cold|cold-prisma|memory>  (DATABASE_URL, BENCH_PUBLIC_ID, BENCH_KEY)
const { createHash } = require('node:crypto');
const express = require('express');
const basicAuth = require('express-basic-auth');
const passport = require('passport');
const { BasicStrategy } = require('passport-http');
const { createPrismaStore, twakeAppAuth } = require('../dist');
const { createCachedStore } = require('../dist/stores/cached-store');
const { openDatabase } = require('../dist/database');
const { createDriverStore } = require('../dist/stores/driver-store');

const variant = process.argv[2];
const { DATABASE_URL, BENCH_PUBLIC_ID, BENCH_KEY } = process.env;
const app = express();

function route(req, res) {
  res.json({ ok: true, company: req.body.group_id });
}

if (variant === 'bare') {
  app.post('/api/v1/echo', express.json(), route);
} else if (variant === 'basic-auth') {
  app.post('/api/v1/echo', basicAuth({ users: { [BENCH_PUBLIC_ID]: BENCH_KEY } }), express.json(), route);
} else if (variant === 'naive') {
  // What a straightforward integration does: passport-http, one findUnique per model.
  const { prisma } = openDatabase(DATABASE_URL);
  passport.use(
    new BasicStrategy({ passReqToCallback: true }, (req, publicId, key, done) => {
      prisma.application
        .findUnique({ where: { publicId }, include: { keys: { where: { revokedAt: null } } } })
        .then(async (application) => {
          const digest = createHash('sha256').update(key).digest('hex');
          if (!application || !application.enabled || !application.keys.some((k) => k.digest === digest)) return done(null, false);
          const installation = await prisma.installation.findUnique({
            where: { applicationId_companyId: { applicationId: application.id, companyId: String(req.body.group_id) } },
          });
          return done(null, installation ? application : false);
        }, done);
    }),
  );
  app.post('/api/v1/echo', express.json(), passport.initialize(), passport.authenticate('basic', { session: false }), route);
} else if (variant === 'warm' || variant === 'cold') {
  // What `twake-app-auth serve` runs: driver store with a prepared statement, behind the cache when warm.
  const lookups = createDriverStore(DATABASE_URL);
  const store = variant === 'warm' ? createCachedStore(lookups) : lookups;
  app.post('/api/v1/echo', twakeAppAuth({ store, mode: 'development' }), route);
} else if (variant === 'cold-prisma') {
  // What a library user gets with createPrismaStore(prisma) and no cache.
  const store = createPrismaStore(openDatabase(DATABASE_URL).prisma);
  app.post('/api/v1/echo', twakeAppAuth({ store, mode: 'development' }), route);
} else if (variant === 'memory') {
  const { MemoryStore } = require('../dist');
  const store = new MemoryStore();
  store.add({ publicId: BENCH_PUBLIC_ID, keys: [{ privateKey: BENCH_KEY }], companies: ['co', 'bench-company'] });
  app.post('/api/v1/echo', twakeAppAuth({ store, mode: 'development' }), route);
} else {
  throw new Error(`unknown variant ${variant}`);
}

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
