// The standalone validator as an Express app: health, readiness, "who am I" and forward-auth routes.
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';
import type { FailureThrottle } from './failure-throttle';
import { forwardAuth } from './forward-auth';
import { twakeAppAuth } from './middleware';
import { twakeAuthErrorHandler } from './problem';
import type { UnreadBodies } from './read-body';
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
  /** What to do with a body the validator cannot read group_id from. Defaults to refuse. */
  unreadBodies?: UnreadBodies;
  /** Revoke valid keys seen over plain HTTP in production. */
  revokeKeysSeenInCleartext: boolean;
  /** Resolves when the database answers; rejects when it does not. */
  checkReady: () => Promise<void>;
}

/** Builds the server's Express app (no port opened: supertest can use it directly). */
export function createApp(options: AppOptions): Express {
  const { store, mode, logger } = options;
  const throttle = options.throttle ?? false;
  const requestLimit = options.requestLimit ?? false;
  const onAuthenticated = options.onAuthenticated;
  const shared = {
    unreadBodies: options.unreadBodies ?? 'refuse',
    revokeKeysSeenInCleartext: options.revokeKeysSeenInCleartext,
    onCleartextKeyRevoked: (event: CleartextKeyEvent) =>
      logger.warn({ publicId: event.publicId, keyId: event.keyId }, 'key received over plain HTTP: revoked'),
    onCleartextRevocationFailed: (event: CleartextKeyEvent, error: unknown, willRetry: boolean) =>
      logger.error({ publicId: event.publicId, keyId: event.keyId, err: error, willRetry }, 'key received over plain HTTP: revocation failed'),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  app.use(requestLog(logger));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    options.checkReady().then(
      () => res.json({ status: 'ready' }),
      (error: unknown) => {
        logger.warn({ err: error }, 'database not ready');
        res.status(503).json({ status: 'unavailable' });
      },
    );
  });

  app.all(['/auth/verify', '/auth/verify/*path'], forwardAuth({ store, mode, throttle, requestLimit, onAuthenticated, ...shared }));

  app.all('/api/v1/auth/test', twakeAppAuth({ store, mode, throttle, requestLimit, onAuthenticated, ...shared }), (req, res) => {
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
