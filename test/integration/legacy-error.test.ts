// Twake's legacy `error` member: every refusal carries the string Twake's PHP answered in `{"error": …}`
// (ApplicationApi::getAppFromRequest), through the middleware and forward-auth, mapped or not.
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { MemoryStore, twakeAppAuth, twakeAuthErrorHandler, twakeV1Routes } from '../../src';
import { forwardAuth } from '../../src/proxy/forward-auth';
import { basicAuthorization } from '../../src/testing';

const KEY = 'k'.repeat(40);
const AUTH = basicAuthorization('bot', KEY);
const BAD_KEY = 'unknown_application_or_bad_private_key';
const BAD_GROUP = 'you_need_to_provide_a_valid_group_id_field_in_any_api_request';
const NO_CAPABILITY = 'you_do_not_have_this_set_of_required_capabilities';
const NO_PRIVILEGE = 'you_do_not_have_this_set_of_required_privileges';

function store(): MemoryStore {
  const memory = new MemoryStore();
  memory.add({ publicId: 'bot', keys: [{ privateKey: KEY }], companies: ['acme'] });
  return memory;
}

// Route, headers, body, and the `error` Twake answered for it.
const CASES: ReadonlyArray<readonly [name: string, route: string, authorization: string | null, groupId: string | null, error: string]> = [
  ['no credentials', 'messages/save', null, 'acme', BAD_KEY],
  ['a wrong key', 'messages/save', basicAuthorization('bot', 'nope'), 'acme', BAD_KEY],
  ['an unknown application', 'messages/save', basicAuthorization('nobody', KEY), 'acme', BAD_KEY],
  ['no group_id', 'messages/save', AUTH, null, BAD_GROUP],
  ['a company it is not installed in', 'messages/save', AUTH, 'globex', BAD_GROUP],
  ['a capability not granted', 'messages/save', AUTH, 'acme', NO_CAPABILITY],
  ['a privilege not granted', 'drive/list', AUTH, 'acme', NO_PRIVILEGE],
];

describe('the legacy error member through the middleware', () => {
  const app = express();
  app.use('/api/v1', twakeAppAuth({ store: store(), mode: 'development', routes: twakeV1Routes }));
  app.post('/api/v1/*path', (_req, res) => res.send('through'));
  app.use(twakeAuthErrorHandler());

  it.each(CASES)('%s: error is %s', async (_name, route, authorization, groupId, error) => {
    let call = request(app).post(`/api/v1/${route}`);
    if (authorization !== null) call = call.set('Authorization', authorization);
    const answer = await call.send(groupId === null ? {} : { group_id: groupId });
    expect({ error: answer.body.error, twake_error: answer.body.twake_error }).toEqual({ error: expect.any(String), twake_error: error });
    // The issue's examples: the exact strings Twake's PHP answered.
    expect(answer.body.error).toBe(error);
  });

  it('is the code where Twake had no such refusal', async () => {
    const answer = await request(app).post('/api/v1/messages/save?group_id=acme').set('Authorization', AUTH).set('Content-Type', 'text/plain').send('x');
    expect(answer.body).toMatchObject({ status: 415, code: 'unsupported_media_type', error: 'unsupported_media_type' });
  });
});

describe.each([
  ['as it is', false],
  ['mapped for nginx (X-Twake-Status-Mapping)', true],
] as const)('the legacy error member through forward-auth, %s', (_name, mapped) => {
  const app = express();
  app.all(['/auth/verify', '/auth/verify/*path'], forwardAuth({ store: store(), mode: 'development', routes: twakeV1Routes }));
  app.use(twakeAuthErrorHandler());

  it.each(CASES)('%s: error is %s, in the body and in X-Twake-Problem', async (_name, route, authorization, groupId, error) => {
    let call = request(app)
      .get('/auth/verify')
      .set('X-Original-Method', 'POST')
      .set('X-Original-URI', `/api/v1/${route}${groupId === null ? '' : `?group_id=${groupId}`}`);
    if (authorization !== null) call = call.set('Authorization', authorization);
    if (mapped) call = call.set('X-Twake-Status-Mapping', 'auth-request');
    const answer = await call;
    if (mapped) {
      expect(JSON.parse(answer.headers['x-twake-problem'] as string)).toMatchObject({ error, twake_error: error });
      expect(answer.text).toBe('');
    } else {
      expect(answer.body.error).toBe(error);
      expect(answer.headers['x-twake-problem']).toBeUndefined();
    }
  });
});
