// The per-client Redis state: deadlines, one report per outage however often Redis flaps, shared listeners.
import { describe, expect, it } from '@jest/globals';
import type Redis from 'ioredis';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { RedisDeadlineError, RedisHealth, redisHealthOf, withDeadline, type RedisStateChange } from '../../src/limits/redis-health';

function fakeRedis(answer: () => Promise<string>): { redis: Redis; state: { status: string } } {
  const state = { status: 'ready' };
  const redis = { get status() { return state.status; }, ping: answer } as unknown as Redis;
  return { redis, state };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('withDeadline', () => {
  it('passes an answer given in time, and rejects a late one after the deadline', async () => {
    await expect(withDeadline(Promise.resolve('PONG'), 20)).resolves.toBe('PONG');
    const started = performance.now();
    await expect(withDeadline(new Promise(() => undefined), 20)).rejects.toBeInstanceOf(RedisDeadlineError);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('lets a reply that arrived while the process was busy win over the deadline', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [peer] = (await once(server, 'connection')) as [net.Socket];
    try {
      const reply = once(client, 'data').then(([chunk]) => String(chunk));
      const raced = withDeadline(reply, 10);
      peer.write('PONG');
      // Busy past the deadline: the reply waits in the socket while the deadline's timer is due.
      const busyUntil = Date.now() + 40;
      while (Date.now() < busyUntil);
      await expect(raced).resolves.toBe('PONG');
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });
});

describe('RedisHealth', () => {
  it('tells an outage once, however many calls fail, and its end once Redis kept answering', async () => {
    const { redis } = fakeRedis(async () => 'PONG');
    const health = new RedisHealth(redis, { recheckMs: 10, quietMs: 50 });
    const changes: RedisStateChange['state'][] = [];
    health.listen((change) => changes.push(change.state));
    for (let i = 0; i < 100; i += 1) health.failed(new Error('down'));
    expect(health.state).toBe('degraded');
    expect(health.usable(20)).toBe(false);
    await sleep(20);
    health.usable(20); // starts the background probe
    await sleep(10);
    expect(health.state).toBe('ok');
    expect(changes).toEqual(['degraded']);
    await sleep(80);
    expect(changes).toEqual(['degraded', 'ok']);
  });

  it('does not tell a Redis that answers PING but fails every write as up and down every second', async () => {
    const { redis } = fakeRedis(async () => 'PONG');
    const health = new RedisHealth(redis, { recheckMs: 5, quietMs: 100 });
    const changes: string[] = [];
    health.listen((change) => changes.push(change.state));
    health.failed(new Error('OOM command not allowed'));
    for (let i = 0; i < 10; i += 1) {
      await sleep(10);
      await health.probe(20);
      expect(health.usable(20)).toBe(true);
      health.failed(new Error('OOM command not allowed'));
    }
    await sleep(150);
    expect(changes).toEqual(['degraded']);
  });

  it('finds a silent or disconnected Redis degraded within the deadline', async () => {
    const silent = new RedisHealth(fakeRedis(() => new Promise(() => undefined)).redis);
    const started = performance.now();
    await expect(silent.probe(30)).resolves.toBe('degraded');
    expect(performance.now() - started).toBeLessThan(300);
    const { redis, state } = fakeRedis(async () => 'PONG');
    state.status = 'reconnecting';
    await expect(new RedisHealth(redis).probe(30)).resolves.toBe('degraded');
  });

  it('is one object per client, and a listener given twice hears each change once', () => {
    const { redis } = fakeRedis(async () => 'PONG');
    const health = redisHealthOf(redis);
    expect(redisHealthOf(redis)).toBe(health);
    expect(redisHealthOf(fakeRedis(async () => 'PONG').redis)).not.toBe(health);
    const changes: string[] = [];
    const listener = (change: RedisStateChange) => changes.push(change.state);
    health.listen(listener);
    health.listen(listener);
    health.failed(new Error('down'));
    expect(changes).toEqual(['degraded']);
  });
});
