// Regression: a programming error inside the decision (here a store answering a malformed record, which makes
// the key check throw a TypeError) was reported as a store outage, 503 store_unavailable. It still fails
// closed, labelled 500 internal_error, through the middleware and passport, with the cause kept.
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { InternalError, type ApplicationRecord, type ApplicationStore, type Decision } from '../../src';
import { basic, createServer } from '../helpers/create-server';
import { expectProblem } from '../helpers/expect-problem';

// `keys` is not a list: the validator's own code throws while reading it.
const broken: ApplicationStore = {
  findApplication: () => ({ id: 'a', publicId: 'app', name: 'Broken', enabled: true, keys: null, installed: true }) as unknown as ApplicationRecord,
};
const failing: ApplicationStore = {
  findApplication: () => Promise.reject(new Error('connection refused')),
};

describe.each(['middleware', 'passport'] as const)('a programming error inside the decision (%s)', (integration) => {
  it('answers 500 internal_error (503 store_unavailable before), and tells onDecision so', async () => {
    const decisions: Decision[] = [];
    const app = createServer({ store: broken, throttle: false, onDecision: (decision) => decisions.push(decision) }, { express: 5, integration });
    const response = await request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic('app', 'key'));
    expectProblem(response, 500, 'internal_error');
    expect(decisions.map((decision) => [decision.code, decision.status])).toEqual([['internal_error', 500]]);
  });

  it('still answers a store failure 503 store_unavailable (control)', async () => {
    const app = createServer({ store: failing, throttle: false }, { express: 5, integration });
    expectProblem(await request(app).get('/api/v1/whoami?group_id=c1').set('Authorization', basic('app', 'key')), 503, 'store_unavailable');
  });
});

describe('InternalError', () => {
  it('keeps the original error as its cause and never shows it', () => {
    const cause = new TypeError('x is not iterable');
    const error = new InternalError(cause);
    expect(error.cause).toBe(cause);
    expect([error.status, error.code]).toEqual([500, 'internal_error']);
    expect(error.message).not.toContain('iterable');
  });
});
