// From an adversarial review (finding 5 of test/integration/abuse-findings.test.ts), measured here so that
// it runs alone, after every other suite: a timing test shares the machine with nothing.
import { describe, expect, it } from '@jest/globals';
import { randomBytes, randomInt } from 'node:crypto';
import { MemoryStore, createCachedStore } from '../../src';
import { decide } from '../../src/decide';
import { parseOptions } from '../../src/options';
import { basic } from '../helpers/create-server';

describe('finding 5: a known application with several live keys (rotations within the grace) is told from an unknown public id by timing', () => {
  it('dudect, warm cache: known id + wrong key vs unknown id + wrong key, |t| < 10 (the CI threshold)', async () => {
    const publicId = '5f1d2c3b-7a8e-4b9c-8d0e-000000000001';
    const key = `twk_${randomBytes(32).toString('base64url')}`;
    const memory = new MemoryStore();
    // `app rotate-key --grace`, twice: older keys stay valid next to the new one for the grace period.
    // With two keys |t| is 12 to 19; with three, about 40. The unknown id is compared against one dummy digest.
    const extra = () => ({ privateKey: `twk_${randomBytes(32).toString('base64url')}` });
    memory.add({ publicId, keys: [{ privateKey: key }, extra(), extra()], companies: ['c1'] });
    const config = parseOptions({ store: createCachedStore(memory, { ttlMs: 3_600_000 }), mode: 'production', throttle: false });
    const wrongKey = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    const classes = [basic(publicId, wrongKey), basic('5f1d2c3b-7a8e-4b9c-8d0e-000000000002', wrongKey)];
    const facts = (authorization: string) => ({ secure: true, authorization, clientIp: '127.0.0.1', company: { groupId: { status: 'ok' as const, companyId: 'c1' } } });
    for (let i = 0; i < 20_000; i += 1) await Promise.resolve(decide(config, facts(classes[i % 2] as string))).catch(() => undefined);
    const samples: Array<{ cls: number; time: number }> = [];
    for (let i = 0; i < 20_000; i += 1) {
      const cls = randomInt(2);
      const input = facts(classes[cls] as string);
      const started = process.hrtime.bigint();
      await Promise.resolve(decide(config, input)).catch(() => undefined);
      samples.push({ cls, time: Number(process.hrtime.bigint() - started) });
    }
    expect(maxAbsT(samples)).toBeLessThan(10);
  });
});

/** Welch's t over raw and cropped data, as bench/timing.js computes it. */
function maxAbsT(samples: Array<{ cls: number; time: number }>): number {
  const welch = (x: number[], y: number[]) => {
    const stats = (v: number[]) => {
      const mean = v.reduce((s, t) => s + t, 0) / v.length;
      return { mean, variance: v.reduce((s, t) => s + (t - mean) ** 2, 0) / (v.length - 1), n: v.length };
    };
    const [p, q] = [stats(x), stats(y)];
    return (p.mean - q.mean) / Math.sqrt(p.variance / p.n + q.variance / q.n);
  };
  const pooled = samples.map((s) => s.time).sort((u, v) => u - v);
  let worst = 0;
  for (const percentile of [100, 99, 95, 90, 75, 50]) {
    const limit = pooled[Math.min(pooled.length - 1, Math.floor((percentile / 100) * pooled.length))] as number;
    const kept = samples.filter((s) => s.time <= limit);
    const t = welch(kept.filter((s) => s.cls === 0).map((s) => s.time), kept.filter((s) => s.cls === 1).map((s) => s.time));
    worst = Math.max(worst, Math.abs(t));
  }
  return worst;
}
