// Runs the README's "Testing your routes with supertest" samples as they are printed, against this checkout.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import ts from 'typescript';
import * as core from '../../src/index';
import * as testing from '../../src/testing';

function readmeSamples(): string[] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('### Testing your routes with supertest');
  const end = readme.indexOf('\n## ', start);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const samples = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  if (start === -1 || samples.length === 0) throw new Error('README samples not found');
  return samples;
}

const MODULES: Record<string, unknown> = { express, supertest: request, 'twake-app-auth': core, 'twake-app-auth/testing': testing };

/** A sample compiled to CommonJS, its imports served from this checkout, its `test` calls collected. */
function loadSample(sample: string): Array<[string, () => Promise<void>]> {
  const { outputText } = ts.transpileModule(sample, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  const tests: Array<[string, () => Promise<void>]> = [];
  const load = (name: string) => {
    if (!(name in MODULES)) throw new Error(`the sample imports ${name}`);
    const value = MODULES[name];
    return typeof value === 'function' ? Object.assign(value, { default: value }) : value;
  };
  new Function('require', 'exports', 'test', 'expect', outputText)(load, {}, (name: string, run: () => Promise<void>) => tests.push([name, run]), expect);
  return tests;
}

describe('README: testing your routes with supertest', () => {
  const tests = readmeSamples().flatMap(loadSample);

  it('holds one test per sample', () => {
    expect(tests.map(([name]) => name)).toEqual(['answers for the calling company only', 'saves messages only for a company that granted messages_save']);
  });

  it.each(tests)('%s (the sample itself, run under NODE_ENV=test)', async (_name, run) => {
    expect(process.env.NODE_ENV).toBe('test');
    await run();
  });

  it('needs its explicit mode: without it, NODE_ENV=test is production and plain HTTP is refused', async () => {
    const store = new core.MemoryStore();
    const bot = await testing.createTestApplication(store, { companies: ['acme'] });
    const app = express();
    app.use('/api/v1', core.twakeAppAuth({ store }));
    app.get('/api/v1/notes', (_req, res) => res.json({}));
    const answer = await request(app).get('/api/v1/notes?group_id=acme').set('Authorization', bot.authorization);
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('https_required');
  });
});
