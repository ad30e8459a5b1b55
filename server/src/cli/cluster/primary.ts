// The primary of `serve` with WORKERS>1: forks the workers, replaces one that dies, stops them all on SIGTERM/SIGINT.
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import net from 'node:net';
import type { Logger } from 'pino';
import { openDatabaseKeyRing } from 'twake-app-auth/internal';
import { openDatabase } from '../../database/database';
import { redactDatabaseUrl } from '../../database/database-url';
import { aggregateForWorkers } from '../../server/cluster-metrics';
import type { ServerConfig } from '../../server/server-config';
import type { Failure } from '../failure';
import { isStartFailed, workerConfig } from './worker';

/** A worker that dies sooner after its fork died starting, or soon after: more than WORKERS such deaths in a row stop everything. */
const MIN_UPTIME_MS = 10_000;
/** Pause before a replacement, times the quick deaths in a row: a crash loop does not spin while it lasts. */
const RESTART_DELAY_MS = 250;
/** Past SHUTDOWN_TIMEOUT_MS, how long workers get to close the database and flush before they are killed. */
const STOP_MARGIN_MS = 5000;

/**
 * Generates the first signing key here, once: workers starting together on an empty table would each
 * generate one (harmless, but several keys published for nothing).
 */
async function createFirstSigningKey(config: ServerConfig): Promise<void> {
  if (config.assertion.secret !== null) return;
  const database = openDatabase(config.databaseUrl, config.database);
  try {
    const ring = await openDatabaseKeyRing(database.prisma, { algorithm: config.assertion.algorithm });
    ring.close();
  } finally {
    await database.close();
  }
}

/**
 * Fails at once, with the line a single process prints, when a port the workers would listen on is taken:
 * otherwise the failure would come only after every worker has loaded. A port taken between this probe and
 * the workers' listen still fails, through them.
 */
async function probePorts(config: ServerConfig): Promise<void> {
  const ports: Array<[number, string]> = [[config.port, '']];
  if (config.metrics && config.metricsPort !== null) ports.push([config.metricsPort, ' (METRICS_PORT)']);
  for (const [port, setting] of ports) {
    if (port === 0) continue;
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${config.host}:${port}${setting}: ${error.code ?? error.message}`, { cause: error })));
      probe.listen(port, config.host, () => probe.close(() => resolve()));
    });
  }
}

/** One line saying how the limits are counted with several workers (see docs/security.md). */
function logCounting(config: ServerConfig, logger: Logger): void {
  const shares = workerConfig(config);
  const notInstalled = `NOT_INSTALLED_LIMIT ${shares.notInstalledLimit.limit} of ${config.notInstalledLimit.limit}`;
  if (config.redisUrl !== null) {
    logger.info({ workers: config.workers, notInstalledLimit: shares.notInstalledLimit.limit }, `counters: failures and requests counted in Redis for all ${config.workers} workers; the not-installed budget is per worker (${notInstalled})`);
    return;
  }
  const limits = [
    `AUTH_FAILURE_LIMIT ${shares.throttle.failureLimit} of ${config.throttle.failureLimit}`,
    `AUTH_PUBLIC_ID_FAILURE_LIMIT ${shares.throttle.publicIdFailureLimit} of ${config.throttle.publicIdFailureLimit}`,
    ...(config.requestLimit === null || shares.requestLimit === null ? [] : [`APP_REQUEST_LIMIT ${shares.requestLimit.limit} of ${config.requestLimit.limit}`]),
    notInstalled,
  ];
  logger.info(
    { workers: config.workers, throttle: shares.throttle, requestLimit: shares.requestLimit, notInstalledLimit: shares.notInstalledLimit },
    `counters are per worker (no REDIS_URL): each of the ${config.workers} workers allows ${limits.join(', ')}; in all at most the limit + ${config.workers - 1}`,
  );
}

/** The start failure a worker sent, as the error the command reports (same line, same causes). */
function errorOf(failure: Failure): Error {
  const cause = failure.causes.reduceRight<Error | undefined>((inner, line) => new Error(line, inner === undefined ? undefined : { cause: inner }), undefined);
  return Object.assign(new Error(failure.message, cause === undefined ? undefined : { cause }), { code: failure.code });
}

/** Sends SIGTERM to `workers`, kills those still alive after `timeoutMs`, and waits for every exit. */
async function stopWorkers(workers: Iterable<Worker>, timeoutMs: number): Promise<void> {
  const alive = [...workers].filter((worker) => !worker.isDead());
  const exited = alive.map((worker) => once(worker, 'exit'));
  for (const worker of alive) worker.process.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const worker of alive) if (!worker.isDead()) worker.process.kill('SIGKILL');
  }, timeoutMs);
  await Promise.all(exited);
  clearTimeout(timer);
}

/**
 * Runs the workers until `stopAsked` (resolves once all have stopped) or until they cannot run: a worker
 * whose start fails before all are serving rejects with its error (the command's one line, exit 1), and so
 * does a crash loop. Migrations have run before; each worker runs the server as WORKERS=1 does.
 */
export async function runPrimary(config: ServerConfig, logger: Logger, stopAsked: Promise<unknown[]>): Promise<void> {
  const log = logger.child({ role: 'primary', pid: process.pid });
  await probePorts(config);
  await createFirstSigningKey(config);
  logCounting(config, log);
  // Every worker listens on the API port, and on METRICS_PORT when set: serving once both are open.
  const serversPerWorker = config.metrics && config.metricsPort !== null ? 2 : 1;
  const workers = new Set<Worker>();
  const serving = new Set<Worker>();
  if (config.metrics) aggregateForWorkers(() => [...serving]);
  let quickDeaths = 0;
  let started = false;
  let stopping = false;
  let port = config.port;

  return new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      if (stopping) return;
      stopping = true;
      log.error({ err: error.message }, 'stopping the workers');
      void stopWorkers(workers, config.shutdownTimeoutMs + STOP_MARGIN_MS).then(() => reject(error));
    };

    const fork = () => {
      const worker = cluster.fork({ WORKERS: String(config.workers) });
      const forkedAt = Date.now();
      workers.add(worker);
      let listening = 0;
      let failure: Failure | null = null;
      worker.on('message', (message: unknown) => {
        if (isStartFailed(message)) failure = message.failure;
      });
      worker.on('listening', (address: { port: number }) => {
        listening += 1;
        if (listening === 1) port = address.port;
        if (listening !== serversPerWorker) return;
        serving.add(worker);
        log.info({ worker: worker.id, workerPid: worker.process.pid }, `worker ${worker.id} serving (pid ${worker.process.pid})`);
        if (started || serving.size < config.workers) return;
        started = true;
        const scheme = config.tls ? 'https' : 'http';
        log.info(
          {
            url: `${scheme}://${config.host}:${port}`,
            workers: config.workers,
            workerPids: [...serving].map((each) => each.process.pid),
            database: redactDatabaseUrl(config.databaseUrl),
            mode: config.mode,
          },
          `listening on ${scheme}://${config.host}:${port} with ${config.workers} workers, database ${redactDatabaseUrl(config.databaseUrl)}, ${config.mode} mode`,
        );
      });
      worker.on('exit', (code: number | null, signal: string | null) => {
        workers.delete(worker);
        const wasServing = serving.delete(worker);
        if (stopping) return;
        const how = signal === null ? `code ${code}` : signal;
        // Before every worker serves, a start that fails is the command's failure (a port taken, a bad key).
        if (!started && failure !== null) return fail(errorOf(failure));
        if (!started) return fail(new Error(`worker ${worker.id} exited with ${how} before listening`));
        quickDeaths = Date.now() - forkedAt < MIN_UPTIME_MS ? quickDeaths + 1 : 0;
        if (quickDeaths > config.workers) {
          return fail(new Error(`workers keep dying: ${quickDeaths} in a row within ${MIN_UPTIME_MS / 1000} s of their start, the last (worker ${worker.id}) with ${how}${failure === null ? '' : `: ${failure.message}`}`));
        }
        log.error({ worker: worker.id, workerPid: worker.process.pid, code, signal, failure: failure?.message, wasServing }, `worker ${worker.id} exited with ${how}; starting another`);
        setTimeout(() => {
          if (!stopping) fork();
        }, RESTART_DELAY_MS * quickDeaths);
      });
    };

    for (let count = 0; count < config.workers; count += 1) fork();

    void stopAsked.then((signal) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: String(signal[0] ?? '') }, 'shutting down the workers');
      void stopWorkers(workers, config.shutdownTimeoutMs + STOP_MARGIN_MS).then(() => {
        log.info('stopped');
        log.flush();
        resolve();
      });
    });
  });
}
