// A worker's share of each limit: what it enforces alone, and what stays whole when Redis counts for all.
import { describe, expect, it } from '@jest/globals';
import { availableParallelism } from 'node:os';
import { workerConfig, workerShare } from '../../server/src/cli/cluster/worker';
import { readServerConfig } from '../../server/src/server/server-config';

describe('workerShare', () => {
  it('should keep the total of all shares within limit + workers − 1', () => {
    for (const workers of [1, 2, 3, 4, 7, 16]) {
      for (const limit of [1, 2, 3, 5, 30, 99, 100, 300]) {
        const share = workerShare(limit, workers);
        expect(share).toBeGreaterThanOrEqual(1);
        expect(share * workers).toBeGreaterThanOrEqual(limit);
        expect(share * workers).toBeLessThanOrEqual(limit + workers - 1);
      }
    }
  });
});

describe('workerConfig', () => {
  const env = { WORKERS: '3', AUTH_FAILURE_LIMIT: '100', AUTH_PUBLIC_ID_FAILURE_LIMIT: '300', APP_REQUEST_LIMIT: '10', NOT_INSTALLED_LIMIT: '30' };

  it('should split every limit counted in memory when there is no Redis', () => {
    const config = workerConfig(readServerConfig(env));
    expect(config.throttle).toMatchObject({ failureLimit: 34, publicIdFailureLimit: 100 });
    expect(config.requestLimit).toMatchObject({ limit: 4 });
    expect(config.notInstalledLimit).toMatchObject({ limit: 10 });
  });

  it('should keep the limits Redis counts for all workers, and split the not-installed budget, which it does not', () => {
    const config = workerConfig(readServerConfig({ ...env, REDIS_URL: 'redis://127.0.0.1:6379' }));
    expect(config.throttle).toMatchObject({ failureLimit: 100, publicIdFailureLimit: 300 });
    expect(config.requestLimit).toMatchObject({ limit: 10 });
    expect(config.notInstalledLimit).toMatchObject({ limit: 10 });
  });

  it('should not modify the configuration passed', () => {
    const original = readServerConfig(env);
    const copy = structuredClone(original);
    workerConfig(original);
    expect(original).toEqual(copy);
  });

  it('should read WORKERS as a whole number, 1 or more, defaulting to the available cores', () => {
    expect(readServerConfig({}).workers).toBe(availableParallelism());
    expect(() => readServerConfig({ WORKERS: '0' })).toThrow(/^WORKERS must be a whole number, 1 or more\.$/);
    expect(() => readServerConfig({ WORKERS: 'two' })).toThrow(/^WORKERS must be a whole number/);
  });
});
