// One benchmark target in its own process: the same JSON route, GET /api/v1/auth/test?group_id=…, behind a given authentication.
// Usage: node bench/bench-server.js <variant>  (DATABASE_URL, BENCH_PUBLIC_ID, BENCH_KEY); the variants are the branches below.
// A variant ending in `@4` runs on Express 4 (the devDependency `express4`) instead of Express 5.
const http = require('node:http');
const express = require('express');
const basicAuth = require('express-basic-auth');
const { timingSafeEqual } = require('node:crypto');
const { TwakeAppStrategy, createCachedStore, createPrismaStore, twakeAppAuth } = require('../dist');
const { openDatabase } = require('../server/dist/database/database');
const { createDriverStore } = require('../server/dist/database/driver-store');

const [variant, major] = process.argv[2].split('@');
const expressOf = major === '4' ? require('express4') : express;
const { DATABASE_URL, BENCH_PUBLIC_ID, BENCH_KEY } = process.env;

// The answer of the server's own /api/v1/auth/test, for every target.
function answer(identity, companyId) {
  return { ok: true, application: { id: identity.applicationId, publicId: identity.publicId, name: identity.name }, company: { id: companyId } };
}
// CACHE_TTL_MS as for the server (a longer TTL keeps refreshes out of instruction counts under valgrind).
const cacheOptions = process.env.CACHE_TTL_MS ? { ttlMs: Number(process.env.CACHE_TTL_MS) } : {};
const BENCH_COMPANY = 'bench-company';
const STATIC = { applicationId: 'static', publicId: BENCH_PUBLIC_ID, name: 'Bench app' };

function expressApp(auth) {
  const app = expressOf();
  app.disable('x-powered-by');
  // Without authentication the company is the one the benchmark asks for: no target's handler parses
  // req.query (Express 5 parses it again on every read), so that each pays only for its authentication.
  const route = (req, res) => res.json(answer(req.twake ?? STATIC, req.twake?.companyId ?? BENCH_COMPANY));
  if (auth === null) app.get('/api/v1/auth/test', route);
  else app.get('/api/v1/auth/test', auth, route);
  return app;
}

let server;
if (variant === 'bare') {
  server = http.createServer(expressApp(null));
} else if (variant === 'passthrough') {
  // One empty middleware: what any authentication layer costs in Express before it does anything.
  server = http.createServer(expressApp((_req, _res, next) => next()));
} else if (variant === 'basic-auth') {
  server = http.createServer(expressApp(basicAuth({ users: { [BENCH_PUBLIC_ID]: BENCH_KEY } })));
} else if (variant === 'passport-http') {
  // passport-http's BasicStrategy with a static in-memory user, compared in constant time.
  const { Passport } = require('passport');
  const { BasicStrategy } = require('passport-http');
  const passport = new Passport();
  const expected = Buffer.from(`${BENCH_PUBLIC_ID}:${BENCH_KEY}`);
  passport.use(
    new BasicStrategy((userid, password, done) => {
      const given = Buffer.from(`${userid}:${password}`);
      done(null, given.length === expected.length && timingSafeEqual(given, expected) ? STATIC : false);
    }),
  );
  server = http.createServer(expressApp(passport.authenticate('basic', { session: false })));
} else if (variant === 'strategy') {
  // A library user on passport: TwakeAppStrategy over the cached driver store.
  const { Passport } = require('passport');
  const passport = new Passport();
  passport.use(new TwakeAppStrategy({ store: createCachedStore(createDriverStore(DATABASE_URL), cacheOptions), mode: 'development' }));
  server = http.createServer(expressApp(passport.authenticate('twake-app', { session: false })));
} else if (variant === 'readme') {
  // The README's "Usage in an Express app" code as printed (bench/readme-usage.js), on this provider.
  const { runReadmeUsage } = require('./readme-usage');
  const { app } = runReadmeUsage({ provider: DATABASE_URL.startsWith('file:') ? 'sqlite' : 'postgresql', library: require('../dist') });
  app.get('/api/v1/auth/test', (req, res) => res.json(answer(req.twake, req.twake.companyId)));
  server = http.createServer(app);
} else if (variant === 'middleware') {
  // A library user: the middleware over the cached driver store, in a plain Express app.
  server = http.createServer(expressApp(twakeAppAuth({ store: createCachedStore(createDriverStore(DATABASE_URL), cacheOptions), mode: 'development' })));
} else if (variant === 'middleware-prisma') {
  // The cached middleware row as the performance goals name it: createCachedStore(createPrismaStore(prisma)), not mounted.
  const store = createCachedStore(createPrismaStore(openDatabase(DATABASE_URL).prisma), cacheOptions);
  server = http.createServer(expressApp(twakeAppAuth({ store, mode: 'development' })));
} else if (variant === 'passthrough-mounted') {
  // One empty middleware mounted at /api/v1: what Express's mounting costs before any authentication.
  const app = expressOf();
  app.disable('x-powered-by');
  app.use('/api/v1', (_req, _res, next) => next());
  app.get('/api/v1/auth/test', (req, res) => res.json(answer(STATIC, BENCH_COMPANY)));
  server = http.createServer(app);
} else if (variant === 'middleware-mounted') {
  // The same middleware mounted as the README mounts it: app.use('/api/v1', …), then its error handler, then the route.
  const { twakeAuthErrorHandler } = require('../dist');
  const app = expressOf();
  app.disable('x-powered-by');
  app.use('/api/v1', twakeAppAuth({ store: createCachedStore(createDriverStore(DATABASE_URL), cacheOptions), mode: 'development' }));
  app.use(twakeAuthErrorHandler());
  app.get('/api/v1/auth/test', (req, res) => res.json(answer(req.twake, req.twake.companyId)));
  server = http.createServer(app);
} else if (variant === 'middleware-routes') {
  // The same, enforcing Twake's v1 route table (the benchmark route is not in it: the look-up still runs).
  const { twakeV1Routes } = require('../dist');
  server = http.createServer(expressApp(twakeAppAuth({ store: createCachedStore(createDriverStore(DATABASE_URL), cacheOptions), mode: 'development', routes: twakeV1Routes })));
} else if (variant === 'cold-prisma') {
  // A library user with createPrismaStore(prisma) and no cache.
  server = http.createServer(expressApp(twakeAppAuth({ store: createPrismaStore(openDatabase(DATABASE_URL).prisma), mode: 'development' })));
} else if (variant === 'floor') {
  // The floor: node:http and the decision alone, no Express.
  const { decide, whenDecided } = require('../dist/core/decide');
  const { agreeOnCompany, fromQueryString } = require('../dist/core/group-id');
  const { parseOptions } = require('../dist/core/options');
  const config = parseOptions({ store: createCachedStore(createDriverStore(DATABASE_URL), cacheOptions), mode: 'development' });
  server = http.createServer((req, res) => {
    const facts = {
      secure: true,
      authorization: req.headers.authorization,
      clientIp: req.socket.remoteAddress ?? '',
      company: { groupId: agreeOnCompany([fromQueryString(req.url)]) },
    };
    const fail = (error) => {
      res.statusCode = error.status ?? 500;
      res.end();
    };
    whenDecided(
      decide(config, facts),
      (identity) => {
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.end(JSON.stringify(answer(identity, identity.companyId)));
      },
      fail,
      fail,
    );
  });
} else if (variant === 'floor-bare') {
  // The floor without the decision: node:http answering the same JSON, so that the decision's own cost is
  // the difference between this row and the one above.
  server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(answer(STATIC, BENCH_COMPANY)));
  });
} else if (variant === 'floor-swap') {
  // node:http alone with the one thing Express does to every request first: swap the prototypes of req and res.
  const requestPrototype = Object.create(http.IncomingMessage.prototype);
  const responsePrototype = Object.create(http.ServerResponse.prototype);
  server = http.createServer((req, res) => {
    Object.setPrototypeOf(req, requestPrototype);
    Object.setPrototypeOf(res, responsePrototype);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(answer(STATIC, BENCH_COMPANY)));
  });
} else {
  throw new Error(`unknown variant ${variant}`);
}

// BENCH_PORT: a fixed port (0, the default, lets the system choose).
server.listen(Number(process.env.BENCH_PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
