// Property-based: whatever the body type, parsers, their order, Express and query parser, a 2xx means the handler reads the checked company.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import { basic } from '../helpers/create-server';
import { createTenancyApp, type ParserName } from '../helpers/tenancy-app';
import { memoryApp } from '../helpers/memory-app';

const RUNS = Number(process.env.TENANCY_PROPERTY_RUNS ?? 600);
const store = memoryApp('app-a', 'twk_property', ['alpha', 'beta']);

const parsers: ParserName[] = ['json', 'json+vnd', 'urlencoded', 'urlencoded-extended', 'text', 'raw'];
const company = fc.constantFrom('alpha', 'beta');
const queryKey = fc.constantFrom('group_id', '%5Bgroup_id%5D', 'group_id%5Bx%5D', 'group_id.x', 'x%5Bgroup_id%5D', 'other');

const scenario = fc.record({
  express: fc.constantFrom(4 as const, 5 as const),
  integration: fc.constantFrom('middleware' as const, 'passport' as const),
  queryParser: fc.constantFrom('simple' as const, 'extended' as const),
  before: fc.array(fc.constantFrom(...parsers), { maxLength: 2 }),
  after: fc.array(fc.constantFrom(...parsers), { maxLength: 2 }),
  bodyType: fc.constantFrom('application/json', 'application/vnd.api+json', 'application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream', 'none'),
  bodyCompany: fc.option(company, { nil: undefined }),
  query: fc.array(fc.tuple(queryKey, company), { maxLength: 2 }),
});

function bodyText(type: string, value: string | undefined): string {
  if (type.includes('urlencoded') || type === 'text/plain') return value === undefined ? 'x=1' : `group_id=${value}`;
  return JSON.stringify(value === undefined ? { x: 1 } : { group_id: value });
}

describe('tenancy binding (property)', () => {
  it(`a 2xx only when every company the handler reads is req.twake.companyId, over ${RUNS} generated requests`, async () => {
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const app = createTenancyApp({ store, throttle: false }, s);
        const url = `/api/v1/act${s.query.length === 0 ? '' : `?${s.query.map(([key, value]) => `${key}=${value}`).join('&')}`}`;
        let call = request(app).post(url).set('Authorization', basic('app-a', 'twk_property'));
        if (s.bodyType !== 'none') call = call.set('Content-Type', s.bodyType).send(bodyText(s.bodyType, s.bodyCompany));
        const response = await call;
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        expect(response.status).toBeLessThan(500);
        if (response.status < 300) {
          const { checked, seen } = response.body as { checked: string; seen: unknown[] };
          for (const value of seen) expect(value).toBe(checked);
        }
      }),
      { numRuns: RUNS },
    );
    // The generator reaches both outcomes often enough for the property to mean something.
    expect(statuses[200] ?? 0).toBeGreaterThan(RUNS / 20);
    expect((statuses[400] ?? 0) + (statuses[415] ?? 0)).toBeGreaterThan(RUNS / 20);
  });
});
