// `twake-app-auth serve`: migrates, then runs the standalone server until SIGTERM or SIGINT.
import cluster from 'node:cluster';
import { once } from 'node:events';
import type Redis from 'ioredis';
import { requireOptional } from '../../optional-dependency';
import { createAssertionSigner, openDatabaseKeyRing, secretKeyRing } from 'twake-app-auth/internal';
import type { Logger } from 'pino';
import { createFailureThrottle, createKeyUsageRecorder, createRequestLimiter, twakeV1Routes, twakeNodeRoutes, createCachedStore, listenForChanges, createPrismaStore, type RedisStateChange, type CachedStore } from 'twake-app-auth';
import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { checkDatabasePeers, openDatabase } from '../../database/database';
import { providerOf, redactDatabaseUrl } from '../../database/database-url';
import { bufferedStandardOutput, createLogger } from '../../server/logger';
import { createRequestLines } from '../../server/request-log';
import { migrate } from '../../database/migrate';
import { createServerMetrics } from '../../server/metrics';
import { createApp, createValidatorServer, serveMetrics } from '../../server/server';
import { readServerConfig, type ServerConfig } from '../../server/server-config';
import { listensPublicly } from '../../server/trust-proxy';
import { createDriverStore } from '../../database/driver-store';
import { runPrimary } from '../cluster/primary';
import { runWorker } from '../cluster/worker';

/** How long the start waits for a first connection to Redis. */
const REDIS_START_WAIT_MS = 2000;

/**
 * A Redis client that fails fast: no offline queue, and commands dropped after twice the counters' own
 * deadline (which already gave up on them). Waits a little for the first connection so that the first
 * requests do not count in memory for nothing; a Redis that is down at start is not an error.
 */
async function connectRedis(url: string, timeoutMs: number, logger: Logger): Promise<Redis> {
  const RedisClient = requireOptional<typeof Redis>('ioredis', 'REDIS_URL');
  const redis = new RedisClient(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2 * timeoutMs });
  // Every reconnection attempt fails while Redis is down: the counters log the outage once instead.
  redis.on('error', (error: Error) => logger.debug({ err: error.message }, 'redis connection failed'));
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done).off('error', done);
      resolve();
    };
    const timer = setTimeout(done, REDIS_START_WAIT_MS);
    redis.once('ready', done);
    redis.once('error', done);
  });
  return redis;
}

/** What the warm-up asks Prisma, typed once for both generated clients. */
interface EnabledApplications {
  application: {
    findMany(args: { select: { publicId: true }; where: { enabled: true }; orderBy: { updatedAt: 'desc' }; take: number }): PromiseLike<Array<{ publicId: string }>>;
  };
}

async function warmCache(store: CachedStore, prisma: EnabledApplications, maxEntries: number, logger: Logger): Promise<void> {
  try {
    const applications = await prisma.application.findMany({ select: { publicId: true }, where: { enabled: true }, orderBy: { updatedAt: 'desc' }, take: maxEntries });
    const held = await store.warm(applications.map((application) => application.publicId));
    logger.debug({ held }, 'applications held at start');
  } catch (error) {
    logger.warn({ err: error }, 'could not hold the applications at start; the cache fills as requests come');
  }
}

/**
 * Listens, or rejects with one line naming the address and the error (EADDRINUSE, EADDRNOTAVAIL,
 * EACCES…): a process that cannot listen must not stay alive, and the caller exits non-zero with it.
 */
function listen(server: http.Server | https.Server, port: number, host: string, setting = ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${host}:${port}${setting}: ${error.code ?? error.message}`, { cause: error }));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

/**
 * Stops accepting, closes idle keep-alive connections at once and each one as soon as its last request is
 * answered, lets in-flight requests finish, and after `timeoutMs` closes whatever is left.
 */
async function closeServer(server: http.Server | https.Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A connection that finishes its request after close() would otherwise wait out its keep-alive timeout.
  // Before the app's own listener, which may answer at once (a decision from memory).
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.setHeader('Connection', 'close'));
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  await closed;
  clearInterval(idle);
  clearTimeout(timer);
}

export async function serveCommand(env: NodeJS.ProcessEnv): Promise<void> {
  // Listened for from the start: a stop asked for right after the "listening" line (a supervisor, a test)
  // could otherwise arrive before the listener and kill the process without its shutdown.
  const stopAsked: Promise<unknown[]> = Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  const config = readServerConfig(env);
  // One line naming every missing package the server needs (prom-client unless METRICS=false).
  checkDatabasePeers(providerOf(config.databaseUrl), config.metrics ? ['pino', 'prom-client'] : ['pino'], !env.DATABASE_URL?.trim());
  const logger = createLogger(config.logLevel);
  // A worker of WORKERS>1: the primary has warned and migrated.
  if (cluster.isWorker) return runWorker(config, logger, stopAsked, serve);
  if (typeof config.trustProxy === 'number' && config.trustProxy > 0 && listensPublicly(config.host)) {
    logger.warn(
      { trustProxy: config.trustProxy, host: config.host },
      `TRUST_PROXY=${config.trustProxy} trusts that many hops from any peer, and HOST=${config.host} lets clients reach this server directly: they could then claim HTTPS and any address. Listen on the proxy's network only, or name the proxy in TRUST_PROXY.`,
    );
  }
  const applied = await migrate(config.databaseUrl);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  if (config.workers > 1) return runPrimary(config, logger, stopAsked);
  await serve(config, logger, stopAsked);
}

/** Serves until `stopAsked`, then closes everything: the life of one process that listens (the only one with WORKERS=1). */
async function serve(config: ServerConfig, logger: Logger, stopAsked: Promise<unknown[]>): Promise<void> {
  const database = openDatabase(config.databaseUrl, config.database);
  // Lookups go straight to the driver with a prepared statement; Prisma serves readiness (and the CLI).
  const lookups = createDriverStore(config.databaseUrl, { ...config.database, revokeKey: createPrismaStore(database.prisma).revokeKey });
  const store = createCachedStore(lookups, config.cache);
  // PostgreSQL tells every instance about changes at once; the TTL bounds staleness when it cannot.
  const changes =
    database.provider === 'postgresql'
      ? listenForChanges(config.databaseUrl, store, { onError: (error) => logger.warn({ err: error }, 'change notifications interrupted or not set up') })
      : null;
  // Held from the start, a correct key is never throttled for a stranger's failures on its address (see
  // docs/security.md); a database too slow for it now only leaves the cache to fill as requests come.
  await warmCache(store, database.prisma, config.cache.maxEntries, logger);
  const redis = config.redisUrl === null ? undefined : await connectRedis(config.redisUrl, config.counters.redisTimeoutMs, logger);
  // One listener for both counter sets: an outage is logged once when it starts and once when it ends.
  const metrics = config.metrics ? createServerMetrics(store) : null;
  const onRedisStateChange = (change: RedisStateChange) => {
    metrics?.onRedisStateChange(change);
    if (change.state === 'degraded') logger.warn({ err: change.error.message }, 'redis not answering: throttling and request-limit counters are per instance until it does');
    else logger.info({ outageMs: change.outageMs }, 'redis answering again: counters are shared again');
  };
  const counters = { ...config.counters, redis, onRedisStateChange };
  const keyUsage = createKeyUsageRecorder(database.prisma, {
    intervalMs: config.lastUsedIntervalSeconds * 1000,
    onError: (error) => logger.warn({ err: error }, 'could not record when keys were last used'),
  });
  const signingKeys = config.assertion.secret !== null
    ? secretKeyRing(config.assertion.secret)
    : await openDatabaseKeyRing(database.prisma, {
        algorithm: config.assertion.algorithm,
        refreshMs: config.assertion.refreshMs,
        onError: (error) => logger.warn({ err: error }, 'signing keys: a key is unusable or could not be reread; the usable ones read last stay in use'),
      });
  const signer = createAssertionSigner({ keys: signingKeys, issuer: config.assertion.issuer, audience: config.assertion.audience, ttlSeconds: config.assertion.ttlSeconds });
  const app = createApp({
    store,
    assertions: { signer, keys: signingKeys },
    originalUri: config.originalUri,
    throttle: createFailureThrottle({ ...config.throttle, ...counters }),
    notInstalledLimit: config.notInstalledLimit,
    requestLimit: config.requestLimit === null ? null : createRequestLimiter({ ...config.requestLimit, ...counters }),
    onAuthenticated: keyUsage.record,
    revokeKeysSeenInCleartext: config.revokeCleartextKeys,
    unreadBodies: config.unreadBodies,
    bodyTimeoutMs: config.bodyTimeoutMs,
    mode: config.mode,
    trustProxy: config.trustProxy,
    logger,
    requestLines: logger.isLevelEnabled('info') ? createRequestLines(logger, bufferedStandardOutput()) : null,
    metrics,
    metricsRoute: config.metricsPort === null,
    routes: config.twakeRoutes === 'v1' ? twakeV1Routes : null,
    nodeRoutes: config.twakeRoutes === 'v1' ? twakeNodeRoutes : null,
    tokens:
      config.tokens === null
        ? null
        : {
            ...(config.tokens.signing === 'secret' ? { secret: config.tokens.secret ?? '' } : { keys: signingKeys }),
            accessTtlSeconds: config.tokens.accessTtlSeconds,
            refreshTtlSeconds: config.tokens.refreshTtlSeconds,
          },
    checkReady: async () => {
      await database.prisma.$queryRaw`SELECT 1`;
    },
  });

  const server = createValidatorServer(app, config.tls);
  await listen(server, config.port, config.host);
  // Metrics on a port of their own, so that the API port need not expose them (plain HTTP: scrapers are
  // inside the network; bind HOST accordingly).
  const metricsServer = metrics !== null && config.metricsPort !== null ? http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) serveMetrics(metrics, req, res);
    else {
      res.statusCode = 404;
      res.end();
    }
  }) : null;
  if (metricsServer !== null && config.metricsPort !== null) {
    await listen(metricsServer, config.metricsPort, config.host, ' (METRICS_PORT)');
  }
  const { port } = server.address() as AddressInfo;
  const scheme = config.tls ? 'https' : 'http';
  logger.info(
    {
      url: `${scheme}://${config.host}:${port}`,
      ...(metricsServer === null ? {} : { metricsUrl: `http://${config.host}:${(metricsServer.address() as AddressInfo).port}/metrics` }),
      database: redactDatabaseUrl(config.databaseUrl),
      mode: config.mode,
      trustProxy: config.trustProxy,
      cache: config.cache,
    },
    `listening on ${scheme}://${config.host}:${port}, database ${redactDatabaseUrl(config.databaseUrl)}, ${config.mode} mode`,
  );

  const signal = await stopAsked;
  logger.info({ signal: String(signal[0] ?? '') }, 'shutting down');
  await Promise.all([closeServer(server, config.shutdownTimeoutMs), metricsServer === null ? undefined : closeServer(metricsServer, config.shutdownTimeoutMs)]);
  signingKeys.close();
  await keyUsage.close();
  await changes?.close();
  await lookups.close();
  redis?.disconnect();
  await database.close();
  logger.info('stopped');
  logger.flush();
}
