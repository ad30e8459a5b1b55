// The Express middleware: lets an authenticated, installed application through, refuses everything else.
import type { RequestHandler } from 'express';
import { attachIdentity } from './attach-identity';
import { decide, whenDecided } from '../core/decide';
import { parseOptions } from '../core/options';
import { refuse } from './problem';
import { createBodyReader } from './read-body';
import { factsFromRequest } from './request-facts';
import type { TwakeAppAuthOptions } from '../core/types';

/**
 * Creates the middleware. On success it sets `req.twake` and calls `next()`. Refusals (400, 401, 403, 413, 415, 429)
 * are answered as problem details; a store failure goes to `next(err)` as a 503 {@link StoreUnavailableError}
 * (render it with `twakeAuthErrorHandler()`).
 *
 * @param options - `store` is required (a compile error without it); see {@link Options} for the rest.
 * @public
 */
export function twakeAppAuth(options: TwakeAppAuthOptions): RequestHandler {
  const config = parseOptions(options);
  const readBody = createBodyReader(config);

  return (req, res, next) => {
    const outcome = decide(config, factsFromRequest(req, res, config, readBody));
    if (outcome instanceof Promise) {
      whenDecided(
        outcome,
        (identity) => {
          attachIdentity(req, identity);
          next();
        },
        (error) => refuse(res, next, error),
        next,
      );
      return;
    }
    // Decided from memory: no closures to build.
    try {
      attachIdentity(req, outcome);
      next();
    } catch (error) {
      next(error);
    }
  };
}
