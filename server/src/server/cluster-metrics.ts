// With WORKERS>1: every worker's `/metrics` answers the sum over all workers, which the primary gathers.
import cluster, { type Worker } from 'node:cluster';
import type * as PromClient from 'prom-client';
import { requireOptional } from '../optional-dependency';

/** A worker asks the primary for the metrics of all workers (its `/metrics` was scraped). */
interface RenderAsk {
  type: 'twake-app-auth:metrics-render';
  id: number;
}
/** The primary's answer to a {@link RenderAsk}. */
interface RenderAnswer {
  type: 'twake-app-auth:metrics-rendered';
  id: number;
  body?: string;
  error?: string;
}
/** The primary asks one worker for its own registry, as prom-client's JSON. */
interface CollectAsk {
  type: 'twake-app-auth:metrics-collect';
  id: number;
}
interface CollectAnswer {
  type: 'twake-app-auth:metrics-collected';
  id: number;
  metrics?: PromClient.MetricObjectWithValues<PromClient.MetricValue<string>>[];
}

/** Longest wait for the workers' numbers; a worker dying mid-scrape is left out rather than failing it. */
const COLLECT_TIMEOUT_MS = 2000;
/** Longest wait of a worker for the primary's answer. */
const RENDER_TIMEOUT_MS = 5000;

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/**
 * In a worker: answers the primary's collections from `registry`, and returns the `render` that asks the
 * primary for every worker's sum (what one scrape of a port shared by the workers should show).
 */
export function renderThroughPrimary(registry: PromClient.Registry): () => Promise<string> {
  const pending = new Map<number, (answer: RenderAnswer | null) => void>();
  let next = 0;
  process.on('message', (message: unknown) => {
    if (isMessage<CollectAsk>(message, 'twake-app-auth:metrics-collect')) {
      registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: 'twake-app-auth:metrics-collected', id: message.id, metrics } satisfies CollectAnswer),
        () => process.send?.({ type: 'twake-app-auth:metrics-collected', id: message.id } satisfies CollectAnswer),
      );
    } else if (isMessage<RenderAnswer>(message, 'twake-app-auth:metrics-rendered')) {
      pending.get(message.id)?.(message);
    }
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => settle(null), RENDER_TIMEOUT_MS);
      function settle(answer: RenderAnswer | null): void {
        clearTimeout(timer);
        pending.delete(id);
        if (answer?.body !== undefined) resolve(answer.body);
        else reject(new Error(`metrics: ${answer?.error ?? 'no answer from the primary process'}`));
      }
      pending.set(id, settle);
      process.send?.({ type: 'twake-app-auth:metrics-render', id } satisfies RenderAsk);
    });
}

/**
 * In the primary: answers the workers' render asks by collecting from `workers()` (those serving) and
 * summing with prom-client's AggregatorRegistry (counters and histograms add up; the Redis gauge takes the
 * highest; Node's own metrics follow prom-client's aggregators).
 */
export function aggregateForWorkers(workers: () => Worker[]): void {
  const prom = requireOptional<typeof PromClient>('prom-client', 'The server metrics (METRICS=false to run without them)');
  const collecting = new Map<number, (worker: Worker, answer: CollectAnswer) => void>();
  let next = 0;
  const collect = (from: Worker[]) =>
    new Promise<NonNullable<CollectAnswer['metrics']>[]>((resolve) => {
      const id = next++;
      const answers: NonNullable<CollectAnswer['metrics']>[] = [];
      const waiting = new Set(from);
      const done = () => {
        clearTimeout(timer);
        collecting.delete(id);
        resolve(answers);
      };
      const timer = setTimeout(done, COLLECT_TIMEOUT_MS);
      collecting.set(id, (worker, answer) => {
        if (!waiting.delete(worker)) return;
        if (answer.metrics !== undefined) answers.push(answer.metrics);
        if (waiting.size === 0) done();
      });
      for (const worker of from) worker.send({ type: 'twake-app-auth:metrics-collect', id } satisfies CollectAsk);
      if (waiting.size === 0) done();
    });
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (isMessage<CollectAnswer>(message, 'twake-app-auth:metrics-collected')) {
      collecting.get(message.id)?.(worker, message);
    } else if (isMessage<RenderAsk>(message, 'twake-app-auth:metrics-render')) {
      const reply = (answer: Omit<RenderAnswer, 'type' | 'id'>) => {
        if (worker.isConnected()) worker.send({ type: 'twake-app-auth:metrics-rendered', id: message.id, ...answer } satisfies RenderAnswer);
      };
      collect(workers().filter((candidate) => candidate.isConnected()))
        .then((answers) => prom.AggregatorRegistry.aggregate(answers).metrics())
        .then(
          (body) => reply({ body }),
          (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
        );
    }
  });
}
