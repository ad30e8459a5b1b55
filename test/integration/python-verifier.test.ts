// The Python verification docs/deploy.md prints, run for real with PyJWT against the running server's
// published keys: only the key set and the token, nothing from this package.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { basic } from '../helpers/create-server';
import { startServerWithApp, type ServerWithApp } from '../helpers/server-with-app';

// Debian's python3-jwt is installed for the system Python, which a pyenv python3 on PATH would hide.
const PYTHON = '/usr/bin/python3';

function pyJwtAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import jwt, cryptography'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const AVAILABLE = pyJwtAvailable();
if (!AVAILABLE && process.env.CI === 'true') throw new Error('PyJWT is required when CI=true (.ci/run installs python3-jwt)');
if (!AVAILABLE) console.warn('PyJWT is not installed (apt-get install -y python3-jwt): the Python verifier suite is skipped.');
const describeWithPython = AVAILABLE ? describe : describe.skip;

/** The python block of docs/deploy.md: what users copy. */
function documentedPython(): string {
  const text = readFileSync(join(__dirname, '..', '..', 'docs', 'deploy.md'), 'utf8');
  const match = /```python\n([\s\S]*?)```/.exec(text);
  if (match?.[1] === undefined) throw new Error('docs/deploy.md has no python block');
  return match[1];
}

// A backend around the documented function: 200 with the claims, or 403.
const HARNESS = `
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Backend(BaseHTTPRequestHandler):
    def answer(self):
        claims = twake_identity(self.headers, self.command, self.path.split("?", 1)[0])
        body = json.dumps(claims if claims is not None else {"code": "untrusted_identity"}).encode()
        self.send_response(200 if claims is not None else 403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_DELETE = answer
    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Backend)
print(server.server_address[1], flush=True)
server.serve_forever()
`;

describeWithPython('a Python backend verifies assertions with PyJWT and the published key set only', () => {
  let fixture: ServerWithApp;
  let python: ChildProcess;
  let backendUrl: string;
  let folder: string;

  beforeAll(async () => {
    fixture = await startServerWithApp('sqlite', { name: 'Python test' });
    folder = mkdtempSync(join(tmpdir(), 'twake-python-'));
    const script = documentedPython().replace('http://127.0.0.1:3000/.well-known/jwks.json', `${fixture.server.url}/.well-known/jwks.json`) + HARNESS;
    writeFileSync(join(folder, 'backend.py'), script);
    python = spawn(PYTHON, [join(folder, 'backend.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((resolve, reject) => {
      python.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      python.once('exit', (code) => reject(new Error(`python exited ${code}`)));
    });
    backendUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    python?.kill();
    await fixture?.stop();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  const assertionFor = async (method: string, uri: string) => {
    const response = await request(fixture.server.url).get('/auth/verify').set({ Authorization: basic(fixture.app.publicId, fixture.app.privateKey), 'X-Original-URI': uri, 'X-Original-Method': method });
    expect(response.status).toBe(204);
    return response.headers['x-twake-assertion'] as string;
  };

  it('200 with the claims for the request the assertion was issued for', async () => {
    const token = await assertionFor('POST', '/api/v1/notes/save?group_id=acme');
    const response = await request(backendUrl).post('/api/v1/notes/save?group_id=acme').set('X-Twake-Assertion', token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ company_id: 'acme', public_id: fixture.app.publicId, method: 'POST', path: '/api/v1/notes/save' });
  });

  it('403 for forged headers, another path or method, a repeated or tampered assertion', async () => {
    const token = await assertionFor('GET', '/api/v1/notes?group_id=acme');
    expect((await request(backendUrl).get('/api/v1/notes').set('X-Twake-Assertion', token)).status).toBe(200);
    expect((await request(backendUrl).get('/api/v1/notes').set('X-Twake-Company-Id', 'victim')).status).toBe(403);
    expect((await request(backendUrl).get('/API/v1/notes').set('X-Twake-Assertion', token)).status).toBe(403);
    expect((await request(backendUrl).get('/api/v1/notes/..%2Fadmin').set('X-Twake-Assertion', token)).status).toBe(403);
    expect((await request(backendUrl).delete('/api/v1/notes').set('X-Twake-Assertion', token)).status).toBe(403);
    expect((await request(backendUrl).get('/api/v1/notes').set('X-Twake-Assertion', [token, token] as unknown as string)).status).toBe(403);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, company_id: 'victim' })).toString('base64url')}.${signature}`;
    expect((await request(backendUrl).get('/api/v1/notes').set('X-Twake-Assertion', tampered)).status).toBe(403);
  });
});
