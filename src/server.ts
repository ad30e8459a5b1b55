// The standalone validator as an Express app: health, readiness, "who am I" and forward-auth routes.
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';
import type { FailureThrottle } from './failure-throttle';
import { forwardAuth } from './forward-auth';
import { twakeAppAuth } from './middleware';
import { twakeAuthErrorHandler } from './problem';
import type { RedisCounterState } from './redis-health';
import type { RequestLimiter } from './request-limit';
import { requestLog } from './request-log';
import type { TrustProxy } from './server-config';
import type { ApplicationStore, CleartextKeyEvent, Mode, TwakeIdentity } from './types';

/** What {@link createApp} needs. */
export interface AppOptions {
  store: ApplicationStore;
  mode: Mode;
  trustProxy: TrustProxy;
  logger: Logger;
  /** Failed-authentication throttle shared by every route, or null for none. */
  throttle: FailureThrottle | null;
  /** Per-application request limit shared by every route, or null for none. */
  requestLimit?: RequestLimiter | null;
  /** Told about each request let through (the server records the key's last use). */
  onAuthenticated?: (identity: TwakeIdentity) => void;
  /** Revoke valid keys seen over plain HTTP in production. */
  revokeKeysSeenInCleartext: boolean;
  /** Resolves when the database answers; rejects when it does not. */
  checkReady: () => Promise<void>;
}

/**
 * Whether the Redis that shares the counters answers: null without one. Degraded Redis does not make the
 * instance unready: it then counts on its own (see docs/security.md), and the body says so.
 */
async function counterRedisState(users: ReadonlyArray<FailureThrottle | RequestLimiter | null | undefined>): Promise<RedisCounterState | null> {
  const states = await Promise.all(
    users.map((user) =>
      Promise.resolve()
        .then(() => user?.redisState?.() ?? null)
        .catch((): RedisCounterState => 'degraded'),
    ),
  );
  if (states.includes('degraded')) return 'degraded';
  return states.includes('ok') ? 'ok' : null;
}

/** Builds the server's Express app (no port opened: supertest can use it directly). */
export function createApp(options: AppOptions): Express {
  const { store, mode, logger } = options;
  const throttle = options.throttle ?? false;
  const requestLimit = options.requestLimit ?? false;
  const onAuthenticated = options.onAuthenticated;
  const cleartext = {
    revokeKeysSeenInCleartext: options.revokeKeysSeenInCleartext,
    onCleartextKeyRevoked: (event: CleartextKeyEvent) =>
      logger.warn({ publicId: event.publicId, keyId: event.keyId }, 'key received over plain HTTP: revoked'),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  app.use(requestLog(logger));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const database = options.checkReady().then(
      () => true,
      (error: unknown) => {
        logger.warn({ err: error }, 'database not ready');
        return false;
      },
    );
    void Promise.all([database, counterRedisState([options.throttle, options.requestLimit])]).then(([ready, redis]) => {
      const counters = redis === null ? {} : { redis };
      if (ready) res.json({ status: 'ready', ...counters });
      else res.status(503).json({ status: 'unavailable', ...counters });
    });
  });

  app.all(['/auth/verify', '/auth/verify/*path'], forwardAuth({ store, mode, throttle, requestLimit, onAuthenticated, ...cleartext }));

  app.all('/api/v1/auth/test', twakeAppAuth({ store, mode, throttle, requestLimit, onAuthenticated, ...cleartext }), (req, res) => {
    const identity = req.twake;
    res.json({
      ok: true,
      application: { id: identity?.applicationId, publicId: identity?.publicId, name: identity?.name },
      company: { id: identity?.companyId },
    });
  });

  const logStoreFailure: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
    logger.error({ err: (error as Error).cause ?? error }, 'authentication store failed');
    next(error);
  };
  app.use(logStoreFailure);
  app.use(twakeAuthErrorHandler());
  return app;
}
