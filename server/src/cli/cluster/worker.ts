// One worker of `serve` with WORKERS>1: its share of the limits, its name in the logs, and a failed start told to the primary.
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { ServerConfig } from '../../server/server-config';
import { failureOf, type Failure } from '../failure';

/** What a worker whose start failed tells the primary, which says it once for all of them. */
export interface StartFailed {
  type: 'twake-app-auth:start-failed';
  failure: Failure;
}

export function isStartFailed(message: unknown): message is StartFailed {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'twake-app-auth:start-failed';
}

/** Runs one process's server until `stopAsked`, as `serve` does with WORKERS=1. */
export type Serve = (config: ServerConfig, logger: Logger, stopAsked: Promise<unknown[]>) => Promise<void>;

/**
 * A worker's share of a limit its memory counts alone: ceil(limit / workers), so that all of them together
 * let through at most limit + workers − 1 (each stops after its share; see docs/security.md).
 */
export function workerShare(limit: number, workers: number): number {
  return Math.ceil(limit / workers);
}

/**
 * The settings a worker runs with. With Redis, the failure throttle and the request limit are counted there
 * once for all workers and keep their limits; the not-installed budget is always in each process's memory.
 */
export function workerConfig(config: ServerConfig): ServerConfig {
  const share = (limit: number) => workerShare(limit, config.workers);
  const inRedis = config.redisUrl !== null;
  return {
    ...config,
    throttle: inRedis ? config.throttle : { ...config.throttle, failureLimit: share(config.throttle.failureLimit), publicIdFailureLimit: share(config.throttle.publicIdFailureLimit) },
    requestLimit: inRedis || config.requestLimit === null ? config.requestLimit : { ...config.requestLimit, limit: share(config.requestLimit.limit) },
    notInstalledLimit: { ...config.notInstalledLimit, limit: share(config.notInstalledLimit.limit) },
  };
}

/**
 * Serves as one worker: its logs name it (`worker`, `pid`), it stops on SIGTERM/SIGINT (and node:cluster
 * ends it at once if the primary is gone), and a start that fails is sent to the primary instead of
 * stderr, so that the command prints one line however many workers failed.
 */
export async function runWorker(config: ServerConfig, logger: Logger, stopAsked: Promise<unknown[]>, serve: Serve): Promise<void> {
  // Ctrl-C signals the whole process group and the primary then sends SIGTERM: a second signal must not
  // end the graceful stop the first one began.
  const ignore = () => undefined;
  process.on('SIGTERM', ignore).on('SIGINT', ignore);
  try {
    await serve(workerConfig(config), logger.child({ worker: cluster.worker?.id, pid: process.pid }), stopAsked);
  } catch (error) {
    const message: StartFailed = { type: 'twake-app-auth:start-failed', failure: failureOf(error) };
    await new Promise<void>((resolve) => {
      if (process.send === undefined || !process.connected) resolve();
      else process.send(message, () => resolve());
    });
    process.exit(1);
  }
}
