// Builds real Express apps (5 or 4) with the middleware or the passport strategy in front of a route.
import express4 from 'express4';
import express5, { type Request, type RequestHandler, type Response } from 'express';
import passport from 'passport';
import { TwakeAppStrategy, createTwakeBasicStrategy, twakeAppAuth, twakeAuthErrorHandler } from '../../src';
import type { TwakeAppAuthOptions } from '../../src';

/** Which Express and which integration to build. */
export interface ServerVariant {
  express: 4 | 5;
  integration: 'middleware' | 'passport' | 'passport-http';
  /** Parse JSON before the validator, as `app.use(express.json(), twakeAppAuth())` does. */
  preParseJson?: boolean;
}

type App = ReturnType<typeof express5>;

function whoAmI(req: Request, res: Response): void {
  res.json({ ok: true, twake: req.twake, user: req.user ?? null });
}

/** The validator as the handlers to mount: the middleware, or passport with the strategy; development mode unless the options say otherwise. */
export function validatorHandlers(options: TwakeAppAuthOptions, integration: ServerVariant['integration']): RequestHandler[] {
  if (integration === 'middleware') return [twakeAppAuth({ mode: 'development', ...options })];
  const instance = new passport.Passport();
  if (integration === 'passport-http') {
    instance.use(createTwakeBasicStrategy({ mode: 'development', ...options }) as passport.Strategy);
    return [instance.initialize(), instance.authenticate('basic', { session: false, failWithError: true }) as RequestHandler];
  }
  instance.use(new TwakeAppStrategy({ mode: 'development', ...options }));
  return [instance.initialize(), instance.authenticate('twake-app', { session: false, failWithError: true }) as RequestHandler];
}

/** An app whose `/api/v1/*` routes answer the identity; development mode unless the options say otherwise. */
export function createServer(options: TwakeAppAuthOptions, variant: ServerVariant = { express: 5, integration: 'middleware' }): App {
  const app = (variant.express === 4 ? express4() : express5()) as unknown as App;
  const router = (variant.express === 4 ? express4.Router() : express5.Router()) as unknown as ReturnType<typeof express5.Router>;
  if (variant.preParseJson) router.use(express5.json());
  for (const handler of validatorHandlers(options, variant.integration)) router.use(handler);
  router.all('/whoami', whoAmI);
  app.use('/api/v1', router);
  app.use(twakeAuthErrorHandler());
  return app;
}

/** Every combination the integration suites run through. */
export const VARIANTS: ServerVariant[] = [
  { express: 5, integration: 'middleware' },
  { express: 4, integration: 'middleware' },
  { express: 5, integration: 'middleware', preParseJson: true },
  { express: 5, integration: 'passport' },
  { express: 4, integration: 'passport' },
];

/** `Basic` credentials for a header: the package's own testing helper, under the short name the suites use. */
export { basicAuthorization as basic } from '../../src/testing';
