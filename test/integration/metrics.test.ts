// GET /metrics of the real server process, and the middleware's onDecision hook it is built on.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { MemoryStore, twakeAppAuth, type Decision } from '../../src/index';
import { createTestApplication } from '../../src/testing';
import { createEmptyDatabaseUrl } from '../helpers/databases';
import { sample } from '../helpers/metric-sample';
import { runCli, startServer, type ServerProcess } from '../helpers/processes';
import { startServerWithApp, type ServerWithApp } from '../helpers/server-with-app';

describe('GET /metrics (server process, SQLite)', () => {
  let started: ServerWithApp;
  let server: ServerProcess;
  let app: { publicId: string; privateKey: string };

  beforeAll(async () => {
    started = await startServerWithApp('sqlite', { name: 'Metrics' });
    ({ server, app } = started);
  });
  afterAll(async () => started?.stop());

  it('counts decisions by code, their latency, cache hits and misses, with bounded labels only', async () => {
    for (let i = 0; i < 3; i += 1) expect((await request(server.url).get('/api/v1/auth/test?group_id=acme').auth(app.publicId, app.privateKey)).status).toBe(200);
    expect((await request(server.url).get('/api/v1/auth/test?group_id=acme').auth(app.publicId, 'wrong')).status).toBe(401);
    expect((await request(server.url).get('/api/v1/auth/test?group_id=globex').auth(app.publicId, app.privateKey)).status).toBe(403);

    const scraped = await request(server.url).get('/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(scraped.headers['cache-control']).toBe('no-store');
    const text = scraped.text;
    expect(sample(text, 'twake_app_auth_decisions_total{code="ok"}')).toBe(3);
    expect(sample(text, 'twake_app_auth_decisions_total{code="invalid_credentials"}')).toBe(1);
    expect(sample(text, 'twake_app_auth_decisions_total{code="not_installed"}')).toBe(1);
    expect(sample(text, 'twake_app_auth_decision_seconds_count')).toBe(5);
    expect(sample(text, 'twake_app_auth_cache_misses_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'twake_app_auth_cache_hits_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'twake_app_auth_store_errors_total')).toBe(0);
    expect(sample(text, 'twake_app_auth_redis_degraded')).toBe(0);
    // Node's own process metrics, as prom-client's defaults name them.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    // Neither the public id nor any key ever becomes a label or a value.
    expect(text).not.toContain(app.publicId);
    expect(text).not.toContain(app.privateKey);
  });

  it('with METRICS_PORT, is served on that port only', async () => {
    const database = await createEmptyDatabaseUrl('sqlite');
    try {
      const apart = await startServer({ DATABASE_URL: database.url, NODE_ENV: 'development', METRICS_PORT: '0' });
      try {
        const line = apart.logs.find((entry) => entry.includes('"metricsUrl"')) ?? '';
        const metricsUrl = (JSON.parse(line) as { metricsUrl: string }).metricsUrl;
        expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
        const scraped = await fetch(metricsUrl);
        expect(scraped.status).toBe(200);
        expect(await scraped.text()).toContain('twake_app_auth_decisions_total');
        expect((await fetch(metricsUrl.replace('/metrics', '/healthz'))).status).toBe(404);
        expect((await request(apart.url).get('/metrics')).status).toBe(404);
      } finally {
        await apart.stop();
      }
    } finally {
      await database.drop();
    }
  });

  it('is off with METRICS=false, and refuses a METRICS value it does not know with one line', async () => {
    const database = await createEmptyDatabaseUrl('sqlite');
    try {
      const off = await startServer({ DATABASE_URL: database.url, NODE_ENV: 'development', METRICS: 'false' });
      expect((await request(off.url).get('/metrics')).status).toBe(404);
      await off.stop();
      const wrong = await runCli(['serve'], { DATABASE_URL: database.url, METRICS: 'yes' });
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
      expect(wrong.stderr).toMatch(/METRICS must be true or false/);
    } finally {
      await database.drop();
    }
  });
});

describe('onDecision (middleware)', () => {
  it('is told about every decision with its code, status and duration, and what it throws is ignored', async () => {
    const store = new MemoryStore();
    const bot = await createTestApplication(store, { companies: ['acme'] });
    const decisions: Decision[] = [];
    const app = express();
    app.use(twakeAppAuth({ store, mode: 'development', onDecision: (decision) => {
      decisions.push(decision);
      throw new Error('a broken metrics hook');
    } }));
    app.get('/', (_req, res) => res.send('through'));
    expect((await request(app).get('/?group_id=acme').set('Authorization', bot.authorization)).status).toBe(200);
    expect((await request(app).get('/?group_id=acme')).status).toBe(401);
    expect((await request(app).get('/?group_id=acme&group_id=acme').set('Authorization', bot.authorization)).status).toBe(400);
    expect(decisions.map(({ code, status }) => ({ code, status }))).toEqual([
      { code: 'ok', status: 200 },
      { code: 'missing_credentials', status: 401 },
      { code: 'invalid_group_id', status: 400 },
    ]);
    for (const decision of decisions) expect(decision.seconds).toBeGreaterThanOrEqual(0);
  });

  it('refuses a hook that is not a function at construction', () => {
    expect(() => twakeAppAuth({ store: new MemoryStore(), onDecision: 'log' as unknown as () => void })).toThrow(/option "onDecision" must be a function/);
  });
});
