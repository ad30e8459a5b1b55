// Smoke test, TypeScript with "module": "nodenext" and strict library checks: types resolve, req.twake is typed.
import express from 'express';
import { twakeAppAuth, twakeAuthErrorHandler, MemoryStore, TwakeAppStrategy, type TwakeIdentity } from 'twake-app-auth';
import { createTestApplication, basicAuthorization, type TestApplication } from 'twake-app-auth/testing';
import check from './check.cjs';

const store = new MemoryStore();
const app: TestApplication = await createTestApplication(store, { companies: ['acme'] });
const server = express();
server.use('/api/v1', twakeAppAuth({ store, mode: 'development' }));
server.get('/api/v1/whoami', (req, res) => {
  const identity: TwakeIdentity | undefined = req.twake;
  res.json({ company: identity?.companyId });
});
server.use(twakeAuthErrorHandler());
await check.check(server, app.authorization, basicAuthorization(app.publicId, 'wrong'));

// The published declarations require a store: without one, the factory and the strategy do not compile.
void [
  // @ts-expect-error -- no store
  () => twakeAppAuth({}),
  // @ts-expect-error -- no store
  () => new TwakeAppStrategy({ mode: 'development' }),
  () => new TwakeAppStrategy({ store, mode: 'development' }),
];
console.log('ts ok');
