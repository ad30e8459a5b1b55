// The passport strategy: passport-http's BasicStrategy with our strict parser and the same decisions.
import type { Request } from 'express';
import { BasicStrategy } from 'passport-http';
import { attachIdentity } from './attach-identity';
import { decide } from './decide';
import { InvalidCredentialsError, MissingCredentialsError, StoreUnavailableError, TwakeAuthError } from './errors';
import { parseOptions, type Configuration } from './options';
import { createBodyReader, type BodyReader } from './read-body';
import { factsFromRequest } from './request-facts';
import type { Options, TwakeIdentity } from './types';

type Verified = (error: unknown, identity?: TwakeIdentity | false) => void;

interface StrategyActions {
  _verify(req: Request, user: string, password: string, done: Verified): void;
  success(user: TwakeIdentity): void;
  fail(challenge: string, status: number): void;
  error(error: unknown): void;
}

async function decideRequest(req: Request, config: Configuration, readBody: BodyReader): Promise<TwakeIdentity> {
  const res = req.res;
  if (res === undefined) throw new TypeError('twake-app-auth: the strategy needs an Express request (req.res is missing).');
  const identity = await decide(config, factsFromRequest(req, res, config, readBody));
  attachIdentity(req, identity);
  return identity;
}

/**
 * `passport.use(new TwakeAppStrategy({ store }))`, then `passport.authenticate('twake-app', { session: false })`.
 *
 * passport-http 0.3.0 parses the header loosely (any scheme containing "Basic", a single space, lenient
 * base64 through the deprecated `new Buffer`, passwords cut at their second colon, no charset in the
 * challenge). This strategy replaces that parsing with the middleware's, so that both decide alike.
 * Missing or invalid credentials go to passport's `fail()` with the Basic challenge, so that a chain such
 * as `['twake-app', 'anonymous']` falls through as with passport-http; with
 * `passport.authenticate('twake-app', { session: false, failWithError: true })` and
 * `twakeAuthErrorHandler()` the 401 carries the problem body. Every other refusal (400, 403, 413, 415,
 * 429, 503) goes to `error()`, hence to `next(err)`: mount `twakeAuthErrorHandler()` to render it. On
 * success `req.user` and `req.twake` hold the {@link TwakeIdentity}.
 *
 * @public
 */
export class TwakeAppStrategy extends BasicStrategy {
  override name = 'twake-app';

  constructor(options: Partial<Options>) {
    const config = parseOptions(options);
    const readBody = createBodyReader(config);
    // passReqToCallback: the verify step needs the request for the transport, the company and the body.
    super({ passReqToCallback: true, realm: config.realm }, (req: Request, _user: string, _password: string, done: Verified) => {
      decideRequest(req, config, readBody).then((identity) => done(null, identity), done);
    });
  }

  /** Replaces BasicStrategy's parsing: every request goes through the same checks as the middleware. */
  override authenticate(req: Request): void {
    // passport adds these actions to the strategy instance before calling authenticate().
    const self = this as unknown as StrategyActions;
    // The credentials are parsed inside decide(); the user and password arguments are not used.
    self._verify(req, '', '', (error, identity) => {
      // Credentials that did not verify are a failure in passport's sense, as with passport-http: the next
      // strategy of a chain gets its turn; the last one answers 401 with the challenge. The refusal is
      // kept for twakeAuthErrorHandler(), which renders it with `failWithError: true`.
      if (error instanceof MissingCredentialsError || error instanceof InvalidCredentialsError) {
        if (req.res !== undefined) req.res.locals.twakeAuthRefusal = error;
        self.fail(error.headers['WWW-Authenticate'] ?? '', 401);
      } else if (error instanceof TwakeAuthError) self.error(error);
      else if (error || !identity) self.error(new StoreUnavailableError(error));
      else self.success(identity);
    });
  }
}
