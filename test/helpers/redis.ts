// Redis clients for the counter suites: the real Redis, and one that never answers; all closed after the file.
import { afterAll } from '@jest/globals';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const clients: Redis[] = [];

afterAll(() => {
  for (const client of clients) client.disconnect();
});

/** A client of the real Redis. */
export function liveRedis(): Redis {
  const client = new Redis(REDIS_URL, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
  clients.push(client);
  return client;
}

/** A client of a port where nothing listens: every command fails at once. */
export function deadRedis(): Redis {
  const client = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** Counter settings for `describe.each`: in memory, or in the real Redis under a prefix of their own. */
export const COUNTER_BACKENDS: Array<[string, () => { redis?: Redis; keyPrefix?: string }]> = [
  ['memory', () => ({})],
  ['redis', () => ({ redis: liveRedis(), keyPrefix: `twake-app-auth-test-${randomUUID()}` })],
];
