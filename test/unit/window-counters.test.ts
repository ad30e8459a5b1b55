// The memory counters: fixed windows, and never more than their cap, whatever the number of keys.
import { describe, expect, it } from '@jest/globals';
import { BoundedWindowCounters } from '../../src/limits/window-counters';

describe('BoundedWindowCounters', () => {
  it('holds at most maxKeys counters after 1,000,000 distinct keys, in linear time', () => {
    const started = performance.now();
    const counters = new BoundedWindowCounters(60_000, 100_000);
    for (let i = 0; i < 1_000_000; i += 1) {
      counters.add(`k${i}`, 1);
      if (i % 250_000 === 0) expect(counters.size).toBeLessThanOrEqual(100_000);
    }
    expect(counters.size).toBe(100_000);
    // The newest are kept, the oldest forgotten.
    expect(counters.get('k999999')).toMatchObject({ consumed: 1 });
    expect(counters.get('k0')).toBeNull();
    expect(counters.get('k899999')).toBeNull();
    expect(counters.get('k900000')).toMatchObject({ consumed: 1 });
    // Evicting from the front of a Map took 40 s here; a linked list takes well under one.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('agrees with a simple reference under random use', () => {
    let now = 0;
    const counters = new BoundedWindowCounters(50, 8, () => now);
    // Reference: an array in recency order, newest last.
    let reference: Array<{ key: string; count: number; endsAt: number }> = [];
    let seed = 42;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let step = 0; step < 5_000; step += 1) {
      now += random(3);
      const key = `k${random(20)}`;
      const found = reference.find((entry) => entry.key === key);
      reference = reference.filter((entry) => entry.key !== key);
      const live = found !== undefined && found.endsAt > now ? found : undefined;
      if (random(2) === 0) {
        expect(counters.get(key)).toEqual(live === undefined ? null : { consumed: live.count, msBeforeNext: live.endsAt - now });
        if (live !== undefined) reference.push(live);
      } else {
        const entry = live ?? { key, count: 0, endsAt: now + 50 };
        entry.count += 1;
        reference.push(entry);
        if (reference.length > 8) reference.shift();
        expect(counters.add(key, 1)).toEqual({ consumed: entry.count, msBeforeNext: entry.endsAt - now });
      }
      expect(counters.size).toBe(reference.length);
    }
  });

  it('forgets the least recently used first: reading a counter keeps it', () => {
    const counters = new BoundedWindowCounters(60_000, 3);
    counters.add('a', 1);
    counters.add('b', 1);
    counters.add('c', 1);
    expect(counters.get('a')).toMatchObject({ consumed: 1 });
    counters.add('d', 1);
    expect(counters.get('b')).toBeNull();
    expect(counters.get('a')).toMatchObject({ consumed: 1 });
    expect(counters.size).toBe(3);
  });

  it('counts in fixed windows that start with the first point', () => {
    let now = 1_000;
    const counters = new BoundedWindowCounters(10_000, 10, () => now);
    expect(counters.get('a')).toBeNull();
    expect(counters.add('a', 1)).toEqual({ consumed: 1, msBeforeNext: 10_000 });
    now += 4_000;
    expect(counters.add('a', 2)).toEqual({ consumed: 3, msBeforeNext: 6_000 });
    expect(counters.get('a')).toEqual({ consumed: 3, msBeforeNext: 6_000 });
    now += 6_000;
    expect(counters.get('a')).toBeNull();
    expect(counters.size).toBe(0);
    expect(counters.add('a', 1)).toEqual({ consumed: 1, msBeforeNext: 10_000 });
  });
});
