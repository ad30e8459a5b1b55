// The standalone validator as an Express app: health, readiness, "who am I" and forward-auth routes.
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { forwardAuth, type AssertionSigner, type SigningKeyRing } from 'twake-app-auth/internal';
import { twakeAppAuth, InternalError, StoreUnavailableError, twakeAuthErrorHandler, twakeAppLogin, twakeAppMe, twakeAppTokenRenewal, type FailureThrottle, type UnreadBodies, type RedisCounterState, type RequestLimiter, type RouteTable, type NodeRouteTable, type TokenOptions, type ApplicationStore, type CleartextKeyEvent, type Mode, type TwakeIdentity } from 'twake-app-auth';
import type { ServerMetrics } from './metrics';
import { requestLog } from './request-log';
import type { TrustProxy } from './trust-proxy';

/** What {@link createApp} needs. */
export interface AppOptions {
  store: ApplicationStore;
  mode: Mode;
  trustProxy: TrustProxy;
  logger: Logger;
  /** Failed-authentication throttle shared by every route, or null for none. */
  throttle: FailureThrottle | null;
  /** Companies an application may be found not installed in per window. Defaults to the middleware's default. */
  notInstalledLimit?: { limit: number; windowSeconds: number };
  /** Per-application request limit shared by every route, or null for none. */
  requestLimit?: RequestLimiter | null;
  /** Told about each request let through (the server records the key's last use). */
  onAuthenticated?: (identity: TwakeIdentity) => void;
  /** What to do with a body the validator cannot read group_id from. Defaults to refuse. */
  unreadBodies?: UnreadBodies;
  /** Longest wait for a request body, in milliseconds. Defaults to 5000. */
  bodyTimeoutMs?: number;
  /** Revoke valid keys seen over plain HTTP in production. */
  revokeKeysSeenInCleartext: boolean;
  /** Route table enforced by forward-auth and the test route, or null for none. Defaults to null. */
  routes?: RouteTable | null;
  /** Prometheus metrics for `GET /metrics`, or null for none. */
  metrics?: ServerMetrics | null;
  /** Whether `GET /metrics` is served by this app (false when it has a port of its own). Defaults to true. */
  metricsRoute?: boolean;
  /** Signs forward-auth's identity assertions and publishes their keys; null for none (tests of other parts). */
  assertions?: { signer: AssertionSigner; keys: SigningKeyRing } | null;
  /** Whether forward-auth refuses a request whose original URI it cannot see. Defaults to required. */
  originalUri?: 'required' | 'optional';
  /** Node-era scope table enforced on company paths by forward-auth and the token routes, or null. Defaults to null. */
  nodeRoutes?: NodeRouteTable | null;
  /** Twake's application login and Bearer tokens on company paths; null (default) for none. */
  tokens?: TokenOptions | null;
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

/** Runs one `check` at a time: callers arriving while it runs share its answer. */
function sharedWhileRunning<T>(check: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => {
    if (running === null) {
      const current = check();
      running = current;
      const done = () => {
        if (running === current) running = null;
      };
      current.then(done, done);
    }
    return running;
  };
}

/** Answers a scrape: the registry's text, or a 500 without internals when it cannot render. */
export function serveMetrics(metrics: ServerMetrics, _req: IncomingMessage, res: ServerResponse): void {
  metrics.render().then(
    (body) => {
      res.setHeader('Content-Type', metrics.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.end(body);
    },
    () => {
      res.statusCode = 500;
      res.end();
    },
  );
}

/** An answer outside the validator's decisions, shaped as its refusals are (legacy `error` included). */
function sendPlainProblem(res: ServerResponse, status: number, code: string, title: string): void {
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.end(JSON.stringify({ type: `urn:twake-app-auth:error:${code}`, title, status, code, twake_error: code, error: code }));
}

/** Builds the server's Express app (no port opened: supertest can use it directly). */
export function createApp(options: AppOptions): Express {
  const { store, mode, logger } = options;
  const throttle = options.throttle ?? false;
  const requestLimit = options.requestLimit ?? false;
  const onAuthenticated = options.onAuthenticated;
  const metrics = options.metrics ?? null;
  const shared = {
    onDecision: metrics === null ? null : metrics.onDecision,
    routes: options.routes ?? null,
    nodeRoutes: options.nodeRoutes ?? null,
    tokens: options.tokens ?? null,
    notInstalledLimit: options.notInstalledLimit,
    unreadBodies: options.unreadBodies ?? 'refuse',
    bodyTimeoutMs: options.bodyTimeoutMs,
    revokeKeysSeenInCleartext: options.revokeKeysSeenInCleartext,
    onCleartextKeyRevoked: (event: CleartextKeyEvent) =>
      logger.warn({ publicId: event.publicId, keyId: event.keyId }, 'key received over plain HTTP: revoked'),
    onCleartextRevocationFailed: (event: CleartextKeyEvent, error: unknown, willRetry: boolean) =>
      logger.error({ publicId: event.publicId, keyId: event.keyId, err: error, willRetry }, 'key received over plain HTTP: revocation failed'),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  // With request lines off (LOG_LEVEL above info), not even a layer per request.
  if (logger.isLevelEnabled('info')) app.use(requestLog(logger));

  // The routes every application request takes come first: the router tries each route in turn.
  const assertions = options.assertions ?? null;
  const forwarding = { signer: assertions?.signer ?? null, originalUri: options.originalUri ?? 'required' };
  app.all(['/auth/verify', '/auth/verify/*path'], forwardAuth({ store, mode, throttle, requestLimit, onAuthenticated, ...shared }, forwarding));

  app.all('/api/v1/auth/test', twakeAppAuth({ store, mode, throttle, requestLimit, onAuthenticated, ...shared }), (req, res) => {
    const identity = req.twake;
    res.json({
      ok: true,
      application: { id: identity?.applicationId, publicId: identity?.publicId, name: identity?.name },
      company: { id: identity?.companyId },
    });
  });

  // Twake's applications API (Node backend): log in with id and key, renew with the refresh token, read oneself.
  const tokens = options.tokens ?? null;
  if (tokens !== null) {
    app.post('/api/console/v1/login', twakeAppLogin({ store, mode, throttle, requestLimit, ...shared, tokens }));
    app.post('/api/console/v1/token', twakeAppTokenRenewal({ store, mode, throttle, requestLimit, ...shared, tokens }));
    app.get('/api/console/v1/me', twakeAppMe({ store, mode, throttle, requestLimit, ...shared, tokens }));
  }

  // The public keys that verify assertions (none with a shared secret). Cached briefly: a rotation
  // publishes the next key ahead of its use, and verifiers refetch on a key id they do not know.
  if (assertions !== null) {
    app.get('/.well-known/jwks.json', (_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=60');
      res.json(assertions.keys.published());
    });
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Anyone may probe readiness: concurrent probes share one check.
  const readiness = sharedWhileRunning(async () => {
    const database = options.checkReady().then(
      () => true,
      (error: unknown) => {
        logger.warn({ err: error }, 'database not ready');
        return false;
      },
    );
    return Promise.all([database, counterRedisState([options.throttle, options.requestLimit])]);
  });
  app.get('/readyz', (_req, res) => {
    void readiness().then(([ready, redis]) => {
      const counters = redis === null ? {} : { redis };
      if (ready) res.json({ status: 'ready', ...counters });
      else res.status(503).json({ status: 'unavailable', ...counters });
    });
  });

  if (metrics !== null && options.metricsRoute !== false) app.get('/metrics', (req, res) => serveMetrics(metrics, req, res));

  const logStoreFailure: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
    if (error instanceof StoreUnavailableError) logger.error({ err: error.cause ?? error }, 'authentication store failed');
    else if (error instanceof InternalError) logger.error({ err: error.cause ?? error }, 'internal error in the authentication (not the store)');
    next(error);
  };
  app.use(logStoreFailure);
  app.use(twakeAuthErrorHandler());
  // Anything else (a path Express cannot decode, a bug): a problem body without internals, never HTML
  // with a stack trace. Client mistakes are not logged as errors.
  const lastResort: ErrorRequestHandler = (error: unknown, _req, res, next) => {
    const status = (error as { status?: unknown }).status;
    const clientError = typeof status === 'number' && status >= 400 && status < 500;
    if (!clientError) logger.error({ err: error }, 'request failed');
    if (res.headersSent) {
      next(error);
      return;
    }
    if (clientError) sendPlainProblem(res, status, 'bad_request', 'Bad request');
    else sendPlainProblem(res, 500, 'internal_error', 'Internal error');
  };
  // A path the server does not serve: a problem body too, which (unlike Express's page) repeats nothing
  // of the request.
  app.use((_req, res) => sendPlainProblem(res, 404, 'not_found', 'Not found'));
  app.use(lastResort);
  return app;
}
