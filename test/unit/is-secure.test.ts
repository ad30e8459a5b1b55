import { describe, expect, it } from '@jest/globals';
import express4 from 'express4';
import express5 from 'express';
import request from 'supertest';
import { isSecureRequest } from '../../src/core/is-secure';

// The memo per socket must never change Express's own answer (req.secure).
describe.each([
  ['Express 4', express4 as unknown as typeof express5],
  ['Express 5', express5],
])('isSecureRequest on %s', (_name, express) => {
  it.each([false, true, 'loopback', '10.0.0.1', 1, 0])('should agree with req.secure, trust proxy %p', async (trust) => {
    const app = express();
    app.set('trust proxy', trust);
    app.get('/', (req, res) => {
      res.json({ ours: [isSecureRequest(req), isSecureRequest(req)], express: req.secure });
    });
    const agent = request.agent(app);
    for (const header of [undefined, 'https', 'http', 'https, http', 'http, https', ' https ', 'HTTPS']) {
      const call = agent.get('/');
      const response = await (header === undefined ? call : call.set('X-Forwarded-Proto', header));
      expect(response.body.ours).toEqual([response.body.express, response.body.express]);
    }
  });
});
