// The passport strategy: the middleware's decision behind passport's strategy protocol, with no base class to install.
import type { Request, Response } from 'express';
import { attachIdentity } from './attach-identity';
import { decide, whenDecided } from '../core/decide';
import { InvalidCredentialsError, MissingCredentialsError, TwakeAuthError } from '../core/errors';
import { asFailure } from './problem';
import { parseOptions, type Configuration } from '../core/options';
import { createBodyReader, type BodyReader } from './read-body';
import { factsFromRequest } from './request-facts';
import type { TwakeAppAuthOptions, TwakeIdentity } from '../core/types';

/** What passport adds to a strategy before it calls `authenticate()` (passport's own protocol, typed here). */
export interface StrategyActions {
  success(user: TwakeIdentity): void;
  fail(challenge: string, status: number): void;
  error(error: unknown): void;
}

/**
 * The middleware's decision on `req`, reported through passport's protocol. Credentials that did not
 * verify are a failure in passport's sense: the next strategy of a chain gets its turn; the last one
 * answers 401 with the challenge. The refusal is kept for twakeAuthErrorHandler(), which renders it with
 * `failWithError: true`. Every other refusal goes to `error()`; on success `req.twake` is set.
 */
export function decideForPassport(config: Configuration, readBody: BodyReader, req: Request, res: Response, passportActions: StrategyActions): void {
  const outcome = decide(config, factsFromRequest(req, res, config, readBody));
  if (!(outcome instanceof Promise)) {
    // Decided from memory: reported here, as reportedOnce() would, without building its closures.
    try {
      attachIdentity(req, outcome);
    } catch (error) {
      passportActions.error(error);
      return;
    }
    try {
      passportActions.success(outcome);
    } catch (error) {
      reportAgain(req, error);
    }
    return;
  }
  const actions = reportedOnce(req, passportActions);
  whenDecided(
    outcome,
    (identity) => {
      attachIdentity(req, identity);
      actions.success(identity);
    },
    (error: unknown) => {
      if (error instanceof MissingCredentialsError || error instanceof InvalidCredentialsError) {
        res.locals.twakeAuthRefusal = error;
        actions.fail(error.headers['WWW-Authenticate'] ?? '', 401);
      } else if (error instanceof TwakeAuthError) actions.error(error);
      else actions.error(asFailure(error));
    },
    (error) => actions.error(error),
  );
}

/**
 * Passport's protocol: one report per request. Should the first one throw (a custom callback that
 * throws), the error is not reported to the strategy a second time but handed to Express's error
 * handling, as a throw in a handler is.
 */
function reportedOnce(req: Request, actions: StrategyActions): StrategyActions {
  let reported = false;
  const first = (): boolean => {
    const isFirst = !reported;
    reported = true;
    return isFirst;
  };
  return {
    success: (identity) => {
      if (first()) actions.success(identity);
    },
    fail: (challenge, status) => {
      if (first()) actions.fail(challenge, status);
    },
    error: (error) => {
      if (first()) actions.error(error);
      else reportAgain(req, error);
    },
  };
}

// An error after the one report passport takes: to Express's error handling, as a throw in a handler is.
function reportAgain(req: Request, error: unknown): void {
  if (typeof req.next === 'function') req.next(error);
  else
    process.nextTick(() => {
      throw error;
    });
}

/**
 * `passport.use(new TwakeAppStrategy({ store }))`, then `passport.authenticate('twake-app', { session: false })`.
 *
 * A passport strategy needs only a `name` and an `authenticate(req)` method; passport adds `success`,
 * `fail` and `error` to a per-request copy. Implementing that protocol directly (rather than extending
 * passport-http's `BasicStrategy`, whose parsing is loose: any scheme containing "Basic", a single
 * space, lenient base64 through the deprecated `new Buffer`, passwords cut at their second colon) keeps
 * one parser for every entry point and nothing extra to install or to type.
 *
 * Missing or invalid credentials go to `fail()` with the Basic challenge, so that a chain such as
 * `['twake-app', 'anonymous']` falls through as with passport-http; with
 * `passport.authenticate('twake-app', { session: false, failWithError: true })` and
 * `twakeAuthErrorHandler()` the 401 carries the problem body. Every other refusal (400, 403, 413, 415,
 * 429, 503) goes to `error()`, hence to `next(err)`: mount `twakeAuthErrorHandler()` to render it. On
 * success `req.user` and `req.twake` hold the {@link TwakeIdentity}.
 *
 * @public
 */
export class TwakeAppStrategy {
  /** The name passport knows the strategy by. */
  readonly name: string = 'twake-app';
  // Not #private: passport calls authenticate() on Object.create(strategy), which has no private slots.
  private readonly config: Configuration;
  private readonly readBody: BodyReader;

  constructor(options: TwakeAppAuthOptions) {
    this.config = parseOptions(options);
    this.readBody = createBodyReader(this.config);
  }

  /** Called by passport, on a copy of the strategy that holds `success`, `fail` and `error`. */
  authenticate(req: Request): void {
    const self = this as unknown as StrategyActions;
    const res = req.res;
    if (res === undefined) {
      self.error(new TypeError('twake-app-auth: the strategy needs an Express request (req.res is missing).'));
      return;
    }
    decideForPassport(this.config, this.readBody, req, res, self);
  }
}
