// Writes refusals as RFC 9457 problem details (application/problem+json), never with request data.
import type { ErrorRequestHandler, NextFunction, Response } from 'express';
import { InternalError, StoreUnavailableError, TwakeAuthError } from '../core/errors';

/** The JSON body of every refusal. @public */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  /** Twake's legacy error code, for clients written against Twake. */
  twake_error: string;
  /**
   * The same legacy code under the member Twake's PHP answered (`{"error": …}`), for clients that test
   * `body.error`: Twake's own string where it had one, otherwise `code`.
   */
  error: string;
  /** The capabilities or privileges not granted (`missing_capability`, `missing_privilege` only). */
  missing?: string[];
}

/** The problem body of a refusal. */
export function toProblem(error: TwakeAuthError): ProblemBody {
  return {
    type: `urn:twake-app-auth:error:${error.code}`,
    title: error.title,
    status: error.status,
    code: error.code,
    twake_error: error.twakeError,
    error: error.twakeError,
    ...(error.missing.length > 0 ? { missing: [...error.missing] } : {}),
  };
}

/** Sends a refusal: status, its headers, `Cache-Control: no-store` and the problem body. */
export function sendProblem(res: Response, error: TwakeAuthError): void {
  // For request loggers: why the request was refused, without any request data.
  res.locals.twakeAuthCode = error.code;
  res.setHeader('X-Twake-Status', String(error.status));
  res.setHeader('X-Twake-Error', error.code);
  // nginx auth_request turns every status but 2xx/401/403 into a 500: forward-auth may ask for a 403
  // carrying the real status in X-Twake-Status instead (see docs/deploy.md).
  const mapped = res.locals.twakeAuthRequestStatuses === true;
  const passThrough = mapped && error.status !== 401 && error.status !== 403;
  res.status(passThrough ? 403 : error.status);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  const body = JSON.stringify(toProblem(error));
  // nginx answers the client from its own location, which can only repeat headers: the whole body in a
  // header (ASCII only: codes, titles and grant names), and no body. auth_request never reads a body, so
  // nginx would close a kept-alive connection to the validator after every refusal that had one.
  if (mapped) {
    res.setHeader('X-Twake-Problem', body);
    res.setHeader('Content-Length', '0');
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.end(body);
}

/**
 * Answers a refusal directly; passes a store failure (503 {@link StoreUnavailableError}) or anything
 * unexpected (500 {@link InternalError}) to `next()`: fail closed, never a pass, never a 401.
 */
export function refuse(res: Response, next: NextFunction, error: unknown): void {
  if (error instanceof TwakeAuthError && !(error instanceof StoreUnavailableError) && !(error instanceof InternalError)) sendProblem(res, error);
  else next(asFailure(error));
}

/** A store failure as it is; anything else that is not a refusal as an {@link InternalError}. */
export function asFailure(error: unknown): TwakeAuthError {
  return error instanceof TwakeAuthError ? error : new InternalError(error);
}

function isPassportFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'AuthenticationError' && (error as { status?: unknown }).status === 401;
}

/**
 * Express error handler that renders twake-app-auth errors (including 503 `store_unavailable`) as
 * problem details and passes every other error on. Mount it after your routes.
 *
 * @public
 */
export function twakeAuthErrorHandler(): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    // passport's AuthenticationError (failWithError) after the strategy refused the credentials.
    const refusal: unknown = isPassportFailure(error) ? res.locals.twakeAuthRefusal : error;
    if (!(refusal instanceof TwakeAuthError) || res.headersSent) {
      next(error);
      return;
    }
    sendProblem(res, refusal);
  };
}
