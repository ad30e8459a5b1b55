// For backends already on passport-http: the validator's decision as a BasicStrategy verify function.
import type { Request } from 'express';
import { attachIdentity } from './attach-identity';
import { decide, whenDecided } from './decide';
import { InvalidCredentialsError, MissingCredentialsError, TwakeAuthError } from './errors';
import { requireOptional } from './optional-dependency';
import { parseAuthorization } from './parse-authorization';
import { asFailure } from './problem';
import { parseOptions } from './options';
import { createBodyReader } from './read-body';
import { factsFromRequest } from './request-facts';
import type { Options, TwakeIdentity } from './types';

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
export function twakeBasicVerify(options: Partial<Options>): BasicVerifyFunction {
  const config = parseOptions(options);
  const readBody = createBodyReader(config);
  return (req, userid, password, done) => {
    const res = req.res;
    if (res === undefined) {
      done(new TypeError('twake-app-auth: the verify function needs an Express request (req.res is missing); pass passReqToCallback: true.'));
      return;
    }
    if (typeof done !== 'function') throw new TypeError('twake-app-auth: twakeBasicVerify needs new BasicStrategy({ passReqToCallback: true }, verify).');
    whenDecided(
      decide(config, factsFromRequest(req, res, config, readBody)),
      (identity) => {
        if (!sameCredentials(req, userid, password)) {
          res.locals.twakeAuthRefusal = new InvalidCredentialsError(config.realm);
          done(null, false);
          return;
        }
        attachIdentity(req, identity);
        done(null, identity);
      },
      (error: unknown) => {
        if (error instanceof MissingCredentialsError || error instanceof InvalidCredentialsError) {
          // Kept for twakeAuthErrorHandler(), which renders the 401 with `failWithError: true`.
          res.locals.twakeAuthRefusal = error;
          done(null, false);
        } else done(error instanceof TwakeAuthError ? error : asFailure(error));
      },
      (error) => done(error),
    );
  };
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
export function createTwakeBasicStrategy(options: Partial<Options>): { name: string } {
  const { BasicStrategy } = requireOptional<PassportHttp>('passport-http', 'createTwakeBasicStrategy');
  return new BasicStrategy({ passReqToCallback: true, realm: 'Twake applications' }, twakeBasicVerify(options));
}
