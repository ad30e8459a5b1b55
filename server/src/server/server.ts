// The standalone validator on Node's own HTTP server: health, readiness, "who am I", token and forward-auth routes.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { forwardAuth, type AssertionSigner, type SigningKeyRing } from 'twake-app-auth/internal';
import { twakeAppAuth, InternalError, StoreUnavailableError, twakeAuthErrorHandler, twakeAppLogin, twakeAppMe, twakeAppTokenRenewal, type FailureThrottle, type UnreadBodies, type RedisCounterState, type RequestLimiter, type RouteTable, type NodeRouteTable, type TokenOptions, type ApplicationStore, type CleartextKeyEvent, type Mode, type TwakeIdentity } from 'twake-app-auth';
import type { ServerMetrics } from './metrics';
import { createRequestLines, logRequest, type RequestLines } from './request-log';
import { matchRoute, type Route } from './routes';
import { compileTrust, type TrustProxy } from './trust-proxy';
import { adopt, validatorSettings, ValidatorRequest, ValidatorResponse } from './validator-request';

/** What {@link createApp} needs. */
export interface AppOptions {
  store: ApplicationStore;
  mode: Mode;
  trustProxy: TrustProxy;
  logger: Logger;
  /** Where request lines go (see createRequestLines), or null for none. Defaults to `logger`'s output, when it writes `info`. */
  requestLines?: RequestLines | null;
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

/** The server's request listener: any Node HTTP server (or supertest) can call it. */
export type ValidatorApp = (req: IncomingMessage, res: ServerResponse) => void;

/** A route's work: an Express-style handler over the validator's request and response. */
type Handler = (req: ValidatorRequest, res: ValidatorResponse, next: (error?: unknown) => void) => void;

// The library's handlers are typed for Express; the validator's request and response carry every member they read.
const asHandler = (handler: RequestHandler): Handler => handler as unknown as Handler;

/**
 * Builds the server's request listener (no port opened). The routes are the ones the Express app had,
 * matched as Express matched them; the handlers are the library's, given Express's members they read
 * (see validator-request.ts), so every decision is the library's own.
 */
export function createApp(options: AppOptions): ValidatorApp {
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
  const settings = validatorSettings(compileTrust(options.trustProxy));
  const routes: Array<Route<Handler>> = [];
  const route = (pattern: string, methods: string[] | null, handler: Handler, withRest = false) => routes.push({ pattern, methods, handler, withRest });

  // The routes every application request takes come first.
  const assertions = options.assertions ?? null;
  const forwarding = { signer: assertions?.signer ?? null, originalUri: options.originalUri ?? 'required' };
  route('/auth/verify', null, asHandler(forwardAuth({ store, mode, throttle, requestLimit, onAuthenticated, ...shared }, forwarding)), true);

  const authenticate = asHandler(twakeAppAuth({ store, mode, throttle, requestLimit, onAuthenticated, ...shared }));
  route('/api/v1/auth/test', null, (req, res, next) =>
    authenticate(req, res, (error?: unknown) => {
      if (error !== undefined) {
        next(error);
        return;
      }
      const identity = req.twake;
      res.json({
        ok: true,
        application: { id: identity?.applicationId, publicId: identity?.publicId, name: identity?.name },
        company: { id: identity?.companyId },
      });
    }),
  );

  // Twake's applications API (Node backend): log in with id and key, renew with the refresh token, read oneself.
  const tokens = options.tokens ?? null;
  if (tokens !== null) {
    route('/api/console/v1/login', ['POST'], asHandler(twakeAppLogin({ store, mode, throttle, requestLimit, ...shared, tokens })));
    route('/api/console/v1/token', ['POST'], asHandler(twakeAppTokenRenewal({ store, mode, throttle, requestLimit, ...shared, tokens })));
    route('/api/console/v1/me', ['GET'], asHandler(twakeAppMe({ store, mode, throttle, requestLimit, ...shared, tokens })));
  }

  // The public keys that verify assertions (none with a shared secret). Cached briefly: a rotation
  // publishes the next key ahead of its use, and verifiers refetch on a key id they do not know.
  if (assertions !== null) {
    route('/.well-known/jwks.json', ['GET'], (_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=60');
      res.json(assertions.keys.published());
    });
  }

  route('/healthz', ['GET'], (_req, res) => {
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
  route('/readyz', ['GET'], (_req, res) => {
    void readiness().then(([ready, redis]) => {
      const counters = redis === null ? {} : { redis };
      if (ready) res.json({ status: 'ready', ...counters });
      else res.status(503).json({ status: 'unavailable', ...counters });
    });
  });

  if (metrics !== null && options.metricsRoute !== false) route('/metrics', ['GET'], (req, res) => serveMetrics(metrics, req, res));

  const renderRefusal = twakeAuthErrorHandler();
  // Store failures are logged, then the refusals rendered as problem details; anything else (a path that
  // does not decode, a bug) gets a problem body without internals, never a stack trace. Client mistakes
  // are not logged as errors.
  const fail = (error: unknown, req: ValidatorRequest, res: ValidatorResponse): void => {
    if (error instanceof StoreUnavailableError) logger.error({ err: error.cause ?? error }, 'authentication store failed');
    else if (error instanceof InternalError) logger.error({ err: error.cause ?? error }, 'internal error in the authentication (not the store)');
    renderRefusal(error, req as unknown as Request, res as unknown as Response, ((unhandled?: unknown) => lastResort(unhandled, res)) as NextFunction);
  };
  const lastResort = (error: unknown, res: ValidatorResponse): void => {
    const status = (error as { status?: unknown } | null | undefined)?.status;
    const clientError = typeof status === 'number' && status >= 400 && status < 500;
    if (!clientError) logger.error({ err: error }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (clientError) sendPlainProblem(res, status, 'bad_request', 'Bad request');
    else sendPlainProblem(res, 500, 'internal_error', 'Internal error');
  };

  const requestLines = options.requestLines === undefined ? createRequestLines(logger) : options.requestLines;
  return (incoming, outgoing) => {
    const [req, res] = adopt(incoming, outgoing, settings);
    // With request lines off (LOG_LEVEL above info), not even a listener per request.
    if (requestLines !== null) logRequest(requestLines, res);
    // A target that does not parse has no path (req.path is undefined): no route, as Express's router found none.
    const match = matchRoute(routes, req.method ?? 'GET', req.path ?? '');
    if (match === null) {
      // A path the server does not serve: a problem body, which repeats nothing of the request.
      sendPlainProblem(res, 404, 'not_found', 'Not found');
      return;
    }
    if (match.kind === 'bad-path') {
      sendPlainProblem(res, 400, 'bad_request', 'Bad request');
      return;
    }
    req.route = { path: match.route.pattern };
    const next = (error?: unknown): void => {
      if (error === undefined || error === null || error === 'route' || error === 'router') sendPlainProblem(res, 404, 'not_found', 'Not found');
      else fail(error, req, res);
    };
    try {
      match.route.handler(req, res, next);
    } catch (error) {
      next(error);
    }
  };
}

/** The HTTP (or HTTPS) server for `app`, building the validator's request and response classes directly. */
export function createValidatorServer(app: ValidatorApp, tls: { cert: string | Buffer; key: string | Buffer } | null = null): http.Server | https.Server {
  // Node's typings want a ServerResponse for any request class; ours is built for its own.
  const classes = { IncomingMessage: ValidatorRequest, ServerResponse: ValidatorResponse as unknown as typeof ServerResponse };
  return tls === null ? http.createServer(classes, app) : https.createServer({ ...tls, ...classes }, app);
}
