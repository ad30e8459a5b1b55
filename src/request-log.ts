// One log line per request: method, path (no query string), status, reason code, application, latency.
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { TwakeIdentity } from './types';

/** Logs every request when its response is finished. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const identity = (req.twake ?? res.locals.twakeIdentity) as TwakeIdentity | undefined;
      logger.info(
        {
          method: req.method,
          // The query string can carry anything a client puts there; the path is enough to locate a call.
          path: req.path,
          status: res.statusCode,
          code: (res.locals.twakeAuthCode as string | undefined) ?? (res.statusCode < 400 ? 'ok' : undefined),
          publicId: identity?.publicId,
          companyId: identity?.companyId,
          latencyMs: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  };
}
