// For backends already on passport-http: the validator's decision as a BasicStrategy verify function.
import type { Request } from 'express';
import { InvalidCredentialsError } from '../core/errors';
import { requireOptional } from '../core/optional-dependency';
import { parseAuthorization } from '../core/parse-authorization';
import { parseOptions } from '../core/options';
import { createBodyReader } from './read-body';
import { decideForPassport, type StrategyActions } from './strategy';
import type { TwakeAppAuthOptions, TwakeIdentity } from '../core/types';

/** passport-http's callback with `passReqToCallback: true`. @public */
export type BasicVerifyFunction = (req: Request, userid: string, password: string, done: (error: unknown, user?: TwakeIdentity | false) => void) => void;

/** Whether passport-http read the header as the validator does (it cuts a password at its second colon). */
function sameCredentials(req: Request, userid: string, password: string): boolean {
  const parsed = parseAuthorization(req.headers.authorization);
  return parsed.status === 'ok' && parsed.credentials.publicId === userid && parsed.credentials.privateKey === password;
}

/**
 * A verify function for passport-http's `new BasicStrategy({ passReqToCallback: true }, verify)` that runs
 * the middleware's decision on `req`: the same parsing of the header, company agreement, installation,
 * grants, allowed IPs, HTTPS, throttles, cleartext revocation and timing. Credentials that are missing or
 * do not verify go to `done(null, false)` (passport-http answers 401 with its challenge, and a chain falls
 * through); every other refusal goes to `done(error)`, rendered by `twakeAuthErrorHandler()`. On success
 * `req.user` and `req.twake` hold the identity.
 *
 * passport-http parses the header before this function runs, more loosely than the validator; where the
 * two readings differ the request is refused (401), so that no request gets another decision than the
 * middleware would give it. See the README ("Already on passport-http") for what that changes.
 *
 * @public
 */
export function twakeBasicVerify(options: TwakeAppAuthOptions): BasicVerifyFunction {
  return verifyWith(decider(options));
}

function verifyWith(decideOn: Decider): BasicVerifyFunction {
  return (req, userid, password, done) => {
    if (typeof done !== 'function' || typeof req !== 'object' || req === null || req.res === undefined) {
      throw new TypeError('twake-app-auth: twakeBasicVerify needs an Express request: new BasicStrategy({ passReqToCallback: true }, verify).');
    }
    // passport-http read the header its own way (a password cut at its second colon, lenient base64, any
    // scheme containing "Basic"). A reading that differs from the validator's is refused before anything
    // is decided, so no request is decided on credentials other than those it sent.
    if (!sameCredentials(req, userid, password)) {
      req.res.locals.twakeAuthRefusal = new InvalidCredentialsError(decideOn.realm);
      done(null, false);
      return;
    }
    decideOn(req, done);
  };
}

type Done = (error: unknown, user?: TwakeIdentity | false) => void;
type Decider = ((req: Request, done: Done) => void) & { realm: string };

/** The middleware's decision on a request, answered through passport-http's `done`. */
function decider(options: TwakeAppAuthOptions): Decider {
  const config = parseOptions(options);
  const readBody = createBodyReader(config);
  const decideOn = (req: Request, done: Done) => {
    const res = req.res as NonNullable<Request['res']>;
    decideForPassport(config, readBody, req, res, {
      success: (identity) => done(null, identity),
      fail: () => done(null, false),
      error: (error) => done(error),
    });
  };
  return Object.assign(decideOn, { realm: config.realm });
}

/** Whether passport-http calls the verify function for this header (its own checks, in its order). */
function passportHttpVerifies(header: string): boolean {
  const parts = header.split(' ');
  if (parts.length < 2 || !/Basic/i.test(parts[0] ?? '')) return false;
  const credentials = Buffer.from(parts[1] ?? '', 'base64').toString().split(':');
  return credentials.length >= 2 && credentials[0] !== '' && credentials[1] !== '';
}


/** The part of passport-http this package uses. */
interface PassportHttp {
  BasicStrategy: new (options: { passReqToCallback: true; realm: string }, verify: BasicVerifyFunction) => { name: string };
}

/**
 * passport-http's `BasicStrategy` with {@link twakeBasicVerify}, `passReqToCallback` and the validator's
 * realm: `passport.use(createTwakeBasicStrategy({ store }))`, then `passport.authenticate('basic', …)`.
 * Needs passport-http installed (an optional peer).
 *
 * @public
 */
export function createTwakeBasicStrategy(options: TwakeAppAuthOptions): { name: string } {
  const { BasicStrategy } = requireOptional<PassportHttp>('passport-http', 'createTwakeBasicStrategy');
  const decideOn = decider(options);
  // One decider for both paths: one throttle, one request limit.
  const strategy = new BasicStrategy({ passReqToCallback: true, realm: 'Twake applications' }, verifyWith(decideOn)) as { name: string; authenticate(req: Request): void };
  const authenticate = strategy.authenticate;
  // A header passport-http refuses on its own (two spaces, "Basic" alone, an empty password) would skip
  // the HTTPS check, the revocation of a key sent in clear and the failure throttle: such a request is
  // decided by the validator instead, exactly as the middleware decides it.
  strategy.authenticate = function (this: StrategyActions, req: Request) {
    const header = req.headers.authorization;
    if (header === undefined || Array.isArray(header) || passportHttpVerifies(header) || req.res === undefined) {
      authenticate.call(this, req);
      return;
    }
    decideOn(req, (error, user) => {
      if (error) this.error(error);
      else if (user) this.success(user);
      else this.fail('Basic realm="Twake applications"', 401);
    });
  };
  return strategy;
}
