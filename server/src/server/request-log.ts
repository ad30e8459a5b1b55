// One log line per request: method, path (no query string), status, reason code, application, latency.
import type { Logger } from 'pino';
import type { TwakeIdentity } from 'twake-app-auth';
import type { ValidatorRequest, ValidatorResponse } from './validator-request';

/**
 * Logs `req` when its response is finished: the client address as `trust proxy` resolved it, the route
 * that answered (its pattern, never the request's own path), the original path forward-auth was asked
 * about, the status answered and, when nginx's status mapping turned a refusal into a 403, the status
 * decided. Only these fields, none of them a credential: `logger` need not redact (see logger.ts).
 */
export function logRequest(logger: Logger, req: ValidatorRequest, res: ValidatorResponse): void {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const identity = (req.twake ?? res.locals.twakeIdentity) as TwakeIdentity | undefined;
    const decided = Number(res.getHeader('X-Twake-Status'));
    logger.info(
      {
        method: req.method,
        // The query string can carry anything a client puts there; the path is enough to locate a call.
        path: req.path,
        route: req.route?.path ?? null,
        originalPath: (res.locals.twakeOriginalPath as string | null | undefined) ?? undefined,
        clientAddress: req.ip,
        status: res.statusCode,
        decidedStatus: Number.isInteger(decided) && decided !== res.statusCode ? decided : undefined,
        code: (res.locals.twakeAuthCode as string | undefined) ?? (res.statusCode < 400 ? 'ok' : undefined),
        publicId: identity?.publicId,
        companyId: identity?.companyId,
        latencyMs: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'request',
    );
  });
}
