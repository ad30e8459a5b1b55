// One target of bench/assertion.js: the server's app (createApp, as `serve` builds it) with or without the
// assertion signer, so that the two differ by the assertion alone. Argument: `with` or `without`.
const http = require('node:http');
const pino = require('pino');
const { createApp } = require('../server/dist/server/server');
const { createCachedStore } = require('../dist/stores/cached-store');
const { createDriverStore } = require('../server/dist/database/driver-store');
const { openDatabase } = require('../server/dist/database/database');
const { openDatabaseKeyRing } = require('../dist/assertion/signing-keys');
const { createAssertionSigner } = require('../dist/assertion/signer');
const { twakeV1Routes } = require('../dist/twake/twake-v1');

async function main() {
  const { DATABASE_URL } = process.env;
  const database = openDatabase(DATABASE_URL);
  const keys = await openDatabaseKeyRing(database.prisma);
  const assertions = process.argv[2] === 'with' ? { signer: createAssertionSigner({ keys, issuer: 'twake-app-auth', audience: 'twake-backend' }), keys } : null;
  const app = createApp({
    store: createCachedStore(createDriverStore(DATABASE_URL)),
    mode: 'development',
    trustProxy: false,
    logger: pino({ level: 'silent' }),
    throttle: null,
    revokeKeysSeenInCleartext: false,
    routes: twakeV1Routes,
    assertions,
    checkReady: async () => undefined,
  });
  const server = http.createServer(app);
  server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
