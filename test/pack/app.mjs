// Smoke test, ES module: named imports from the CommonJS build, and the passport strategy.
import express from 'express';
import passport from 'passport';
import { TwakeAppStrategy, twakeAuthErrorHandler, MemoryStore } from 'twake-app-auth';
import { createTestApplication, basicAuthorization } from 'twake-app-auth/testing';
import check from './check.cjs';

const store = new MemoryStore();
const app = await createTestApplication(store, { companies: ['acme'] });
passport.use(new TwakeAppStrategy({ store, mode: 'development' }));
const server = express();
server.use('/api/v1', passport.authenticate('twake-app', { session: false, failWithError: true }));
server.get('/api/v1/whoami', (req, res) => res.json({ company: req.twake.companyId }));
server.use(twakeAuthErrorHandler());
await check.check(server, app.authorization, basicAuthorization(app.publicId, 'wrong'));
console.log('esm ok');
