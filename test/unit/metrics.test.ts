// The server's metrics: decisions noted on the request path reach prom-client in batches and at every scrape.
import { describe, expect, it } from '@jest/globals';
import { createServerMetrics, type ServerMetrics } from '../../server/src/server/metrics';
import { sample } from '../helpers/metric-sample';
import type { CachedStore } from '../../src/stores/cached-store';

const cache = { stats: { hits: 0, misses: 0, evictions: 0 } } as unknown as CachedStore;

// Tells `metrics` about `times` decisions with that code and duration.
function decide(metrics: ServerMetrics, code: string, seconds: number, times = 1): void {
  for (let index = 0; index < times; index += 1) metrics.onDecision({ code, status: code === 'ok' ? 200 : 400, seconds });
}

describe('createServerMetrics', () => {
  it('counts every decision, across batches and scrapes, by code, with its latency', async () => {
    const metrics = createServerMetrics(cache);
    // More than one batch, and a partial one left for the scrape.
    decide(metrics, 'ok', 0.00002, 300);
    decide(metrics, 'store_unavailable', 0.2, 7);
    decide(metrics, 'too_many_failures', 0.00002, 3);
    decide(metrics, 'too_many_requests', 0.00002, 2);
    let text = await metrics.render();
    expect(sample(text, 'twake_app_auth_decisions_total{code="ok"}')).toBe(300);
    expect(sample(text, 'twake_app_auth_decisions_total{code="store_unavailable"}')).toBe(7);
    expect(sample(text, 'twake_app_auth_store_errors_total')).toBe(7);
    expect(sample(text, 'twake_app_auth_throttle_refusals_total{limit="failures"}')).toBe(3);
    expect(sample(text, 'twake_app_auth_throttle_refusals_total{limit="requests"}')).toBe(2);
    expect(sample(text, 'twake_app_auth_decision_seconds_count')).toBe(312);
    expect(sample(text, 'twake_app_auth_decision_seconds_bucket{le="0.00005"}')).toBe(305);
    expect(sample(text, 'twake_app_auth_decision_seconds_bucket{le="0.1"}')).toBe(305);
    expect(sample(text, 'twake_app_auth_decision_seconds_bucket{le="0.5"}')).toBe(312);
    expect(sample(text, 'twake_app_auth_decision_seconds_sum')).toBeCloseTo(305 * 0.00002 + 7 * 0.2, 9);

    // Nothing counted twice by a second scrape; what came after the first one is counted.
    decide(metrics, 'ok', 0.00002, 1);
    text = await metrics.render();
    expect(sample(text, 'twake_app_auth_decisions_total{code="ok"}')).toBe(301);
    expect(sample(text, 'twake_app_auth_decision_seconds_count')).toBe(313);
  });

  it('counts interleaved codes each on its own', async () => {
    const metrics = createServerMetrics(cache);
    const codes = ['ok', 'invalid_credentials', 'ok', 'ok', 'too_many_failures', 'invalid_credentials', 'ok'];
    for (let round = 0; round < 100; round += 1) {
      for (const code of codes) decide(metrics, code, 0.001);
    }
    const text = await metrics.render();
    expect(sample(text, 'twake_app_auth_decisions_total{code="ok"}')).toBe(400);
    expect(sample(text, 'twake_app_auth_decisions_total{code="invalid_credentials"}')).toBe(200);
    expect(sample(text, 'twake_app_auth_decisions_total{code="too_many_failures"}')).toBe(100);
    expect(sample(text, 'twake_app_auth_throttle_refusals_total{limit="failures"}')).toBe(100);
    expect(sample(text, 'twake_app_auth_decision_seconds_count')).toBe(700);
  });

  // From an adversarial review: prom-client throws on a non-finite value, which lost the whole batch.
  it('counts every decision of a batch that holds a duration that is not a number, and still answers a scrape', async () => {
    const metrics = createServerMetrics(cache);
    decide(metrics, 'invalid_credentials', Number.NaN);
    decide(metrics, 'ok', 0.00002, 127);
    decide(metrics, 'ok', Number.POSITIVE_INFINITY);
    decide(metrics, 'ok', 0.00002);
    const text = await metrics.render();
    expect(sample(text, 'twake_app_auth_decisions_total{code="ok"}')).toBe(129);
    expect(sample(text, 'twake_app_auth_decisions_total{code="invalid_credentials"}')).toBe(1);
    expect(sample(text, 'twake_app_auth_decision_seconds_count')).toBe(128);
  });
});
