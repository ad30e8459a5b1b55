// Asserts that a response is the problem document a refusal must be.
import { expect } from '@jest/globals';
import type { Response } from 'supertest';

export function expectProblem(response: Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.body).toEqual({
    type: `urn:twake-app-auth:error:${code}`,
    title: expect.any(String),
    status,
    code,
    twake_error: expect.any(String),
    error: expect.any(String),
    // Only grant refusals list what is missing, and never an empty list.
    ...(code === 'missing_capability' || code === 'missing_privilege' ? { missing: expect.arrayContaining([expect.any(String)]) } : {}),
  });
  // Twake's legacy member, for clients that test body.error: the same string as twake_error.
  expect(response.body.error).toBe(response.body.twake_error);
  if (status === 401) expect(response.headers['www-authenticate']).toBe('Basic realm="Twake applications", charset="UTF-8"');
  else expect(response.headers['www-authenticate']).toBeUndefined();
}
