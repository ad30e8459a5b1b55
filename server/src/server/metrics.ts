// The server's Prometheus metrics (prom-client): decisions, their latency, the lookup cache, store errors, throttling, Redis.
import cluster from 'node:cluster';
import type * as PromClient from 'prom-client';
import { requireOptional } from '../optional-dependency';
import { renderThroughPrimary } from './cluster-metrics';
import type { RedisStateChange, CachedStore, Decision } from 'twake-app-auth';

/** What needs prom-client, in the missing-package message. */
const METRICS_FEATURE = 'The server metrics (METRICS=false to run without them)';

/** The registry and the hooks that feed it. */
export interface ServerMetrics {
  /** Pass as the middleware's `onDecision`: notes the decision, counted by the registry in batches and at each scrape. */
  readonly onDecision: (decision: Decision) => void;
  /** Pass as the counters' `onRedisStateChange` (with the logging one). */
  readonly onRedisStateChange: (change: RedisStateChange) => void;
  /** Content type and body of `GET /metrics`. */
  readonly contentType: string;
  render(): Promise<string>;
}

// From 10 µs (a warm decision) to 5 s (a store timing out).
const LATENCY_BUCKETS = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

// Decisions noted between two updates of the prom-client metrics (see onDecision).
const DECISION_BATCH = 128;

/** Metrics in a registry of their own (not prom-client's global one), reading `cache` when scraped. */
export function createServerMetrics(cache: CachedStore): ServerMetrics {
  const prom = requireOptional<typeof PromClient>('prom-client', METRICS_FEATURE);
  const registry = new prom.Registry();
  // Node's own process metrics (CPU, memory, event-loop lag, handles), as every Node service exports them.
  prom.collectDefaultMetrics({ register: registry });
  const decisions = new prom.Counter({ name: 'twake_app_auth_decisions_total', help: 'Decisions by code (ok, or the refusal code).', labelNames: ['code'], registers: [registry], collect: flushDecisions });
  const latency = new prom.Histogram({ name: 'twake_app_auth_decision_seconds', help: 'Time to decide, body reading and store look-ups included.', buckets: LATENCY_BUCKETS, registers: [registry], collect: flushDecisions });
  const storeErrors = new prom.Counter({ name: 'twake_app_auth_store_errors_total', help: 'Decisions the store could not answer (503).', registers: [registry], collect: flushDecisions });
  const throttled = new prom.Counter({ name: 'twake_app_auth_throttle_refusals_total', help: 'Requests refused by the failure throttle or the request limit.', labelNames: ['limit'], registers: [registry], collect: flushDecisions });
  // Summed over workers, a 0/1 gauge would count them: the highest says whether any is degraded.
  const redisDegraded = new prom.Gauge({ name: 'twake_app_auth_redis_degraded', help: '1 while Redis does not answer the shared counters in time.', registers: [registry], aggregator: 'max' });
  // Read from the cache when scraped: nothing is counted twice on the request path.
  const fromCache = (name: string, help: string, read: () => number) =>
    new prom.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  fromCache('twake_app_auth_cache_hits_total', 'Look-ups answered from the cache.', () => cache.stats.hits);
  fromCache('twake_app_auth_cache_misses_total', 'Look-ups sent to the database.', () => cache.stats.misses);
  fromCache('twake_app_auth_cache_evictions_total', 'Cache entries evicted by the size bound.', () => cache.stats.evictions);

  // The request path only notes each decision; prom-client's own updates (a label hash and a closure
  // per call) run in a batch, when the buffer fills or when the registry is scraped.
  const pendingSeconds = new Float64Array(DECISION_BATCH);
  const pendingCodes: string[] = new Array<string>(DECISION_BATCH);
  let pendingCount = 0;
  function flushDecisions(): void {
    const count = pendingCount;
    pendingCount = 0;
    // Counters take a run of equal codes (under load, nearly every decision is 'ok') in one update.
    let run = 0;
    for (let index = 0; index < count; index += 1) {
      // A duration that is not a number is counted as a decision but not timed: prom-client would throw,
      // and lose the rest of the batch with it.
      const seconds = pendingSeconds[index] as number;
      if (Number.isFinite(seconds)) latency.observe(seconds);
      const code = pendingCodes[index] as string;
      run += 1;
      if (index + 1 < count && pendingCodes[index + 1] === code) continue;
      decisions.inc({ code }, run);
      if (code === 'store_unavailable') storeErrors.inc(run);
      else if (code === 'too_many_failures') throttled.inc({ limit: 'failures' }, run);
      else if (code === 'too_many_requests') throttled.inc({ limit: 'requests' }, run);
      run = 0;
    }
  }

  return {
    onDecision(decision) {
      pendingSeconds[pendingCount] = decision.seconds;
      pendingCodes[pendingCount] = decision.code;
      pendingCount += 1;
      if (pendingCount === DECISION_BATCH) flushDecisions();
    },
    onRedisStateChange(change) {
      redisDegraded.set(change.state === 'degraded' ? 1 : 0);
    },
    contentType: registry.contentType,
    // A worker (WORKERS>1) shares its port with the others: a scrape reaching it shows them all.
    render: cluster.isWorker ? renderThroughPrimary(registry) : () => registry.metrics(),
  };
}
