// The validator's token routes and middleware as a library user mounts them, in front of a stand-in for
// Twake's services that answers the identity it was handed.
import express from 'express';
import { twakeAppAuth, twakeAppLogin, twakeAppMe, twakeAppTokenRenewal, twakeAuthErrorHandler, type TokenRouteOptions } from '../../src';

export type TokenApp = ReturnType<typeof express>;

/** With `trustProxy`, X-Forwarded-For gives the client address, as behind a trusted proxy. */
export function tokenApp(options: TokenRouteOptions, trustProxy = false): TokenApp {
  const app = express();
  if (trustProxy) app.set('trust proxy', true);
  app.post('/api/console/v1/login', twakeAppLogin(options));
  app.post('/api/console/v1/token', twakeAppTokenRenewal(options));
  app.get('/api/console/v1/me', twakeAppMe(options));
  app.use('/api', twakeAppAuth(options), (req, res) => {
    res.json({ twake: req.twake });
  });
  app.use(twakeAuthErrorHandler());
  return app;
}
