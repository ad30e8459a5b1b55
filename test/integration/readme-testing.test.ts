// Runs the README's "Testing your routes with supertest" sample as it is printed, against this checkout.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import ts from 'typescript';
import * as core from '../../src/index';
import * as testing from '../../src/testing';

function readmeSample(): string {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Testing your routes with supertest'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match?.[1] === undefined) throw new Error('README sample not found');
  return match[1];
}

const MODULES: Record<string, unknown> = { express, supertest: request, 'twake-app-auth': core, 'twake-app-auth/testing': testing };

/** The sample compiled to CommonJS, its imports served from this checkout, its `test` calls collected. */
function loadSample(): Array<[string, () => Promise<void>]> {
  const { outputText } = ts.transpileModule(readmeSample(), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
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
  const tests = loadSample();

  it('holds one test', () => {
    expect(tests.map(([name]) => name)).toEqual(['answers for the calling company only']);
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
