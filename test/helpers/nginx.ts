// A real nginx for the suites that run docs/deploy.md's configuration: found on the machine, configured
// around the documented locations, serving TLS on a port that is never free between choosing and serving.
import { describe } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSelfSignedCertificate, type SelfSigned } from './self-signed';

function findNginx(): string | null {
  for (const path of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) {
    try {
      execFileSync(path, ['-v'], { stdio: 'ignore' });
      return path;
    } catch {
      // not there
    }
  }
  return null;
}

const NGINX = findNginx();
if (NGINX === null && process.env.CI === 'true') throw new Error('nginx is required when CI=true (.ci/run installs it)');
if (NGINX === null) console.warn('nginx is not installed (apt-get install -y nginx): the nginx suites are skipped.');

/** `describe`, or `describe.skip` where nginx is not installed (never under CI=true: that fails above). */
export const describeWithNginx: typeof describe.skip = NGINX === null ? describe.skip : describe;

const DEPLOY_DOC = join(__dirname, '..', '..', 'docs', 'deploy.md');

/** docs/deploy.md's first nginx block split into its two levels, as users place them. */
export interface DocumentedNginx {
  /** The `upstream` blocks (http level), aimed at the validator's port. */
  readonly upstreams: string;
  /** The rest: the `location`s (inside `server`). */
  readonly locations: string;
}

/** The first nginx block of docs/deploy.md (the configuration users copy), aimed at the validator on `port`. */
export function documentedNginxBlock(validatorPort?: number): DocumentedNginx {
  const match = /```nginx\n([\s\S]*?)```/.exec(readFileSync(DEPLOY_DOC, 'utf8'));
  if (match?.[1] === undefined) throw new Error('docs/deploy.md has no nginx block');
  // An upstream starts at the beginning of a line and ends at the first `}` alone on its line.
  const upstream = /^upstream \S+ \{[\s\S]*?^\}\n/gm;
  const upstreams = (match[1].match(upstream) ?? []).join('\n');
  if (!upstreams.includes('upstream twake_auth {') || !upstreams.includes('server 127.0.0.1:3000;')) throw new Error('docs/deploy.md has no upstream twake_auth at 127.0.0.1:3000');
  return {
    upstreams: validatorPort === undefined ? upstreams : upstreams.replace('server 127.0.0.1:3000;', `server 127.0.0.1:${validatorPort};`),
    locations: match[1].replace(upstream, ''),
  };
}

/** The nginx block of docs/deploy.md for Twake's current API: the locations of the token routes. */
export function documentedTokenRoutes(): string {
  const text = readFileSync(DEPLOY_DOC, 'utf8');
  const section = text.slice(text.indexOf('## Bearer tokens on company paths'));
  const match = /```nginx\n([\s\S]*?)```/.exec(section);
  const routes = match?.[1] === undefined ? null : /location ~ \^\/api\/console[\s\S]*?\n\}/.exec(match[1]);
  if (routes === null || routes === undefined) throw new Error('docs/deploy.md has no nginx block for the token routes');
  // Aimed at the upstream of documentedNginxBlock(), which holds the port.
  if (!routes[0].includes('proxy_pass http://twake_auth;')) throw new Error('docs/deploy.md\'s token routes do not go to upstream twake_auth');
  return routes[0];
}

/**
 * A listening socket on an ephemeral port, for nginx to inherit (as in its binary upgrade: the NGINX
 * environment variable names the descriptors). The port is never free between choosing it and nginx
 * serving on it, so nothing else can take it meanwhile.
 */
function listeningSocket(): Promise<NetServer> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** An answer read whole. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request to nginx, trusting its self-signed certificate. */
export function sendTls(port: number, ca: Buffer, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path, ca, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A running nginx: its TLS port and certificate, and how to stop it (and remove its folder). */
export interface RunningNginx {
  readonly port: number;
  /** The master's process id. */
  readonly pid: number;
  readonly tls: SelfSigned;
  stop(): void;
}

/**
 * Starts nginx with `locations` inside one TLS server, `upstreams` beside it at the http level, and
 * `upstream backend` at `backendPort`. Resolves once it answers.
 */
export async function startNginx(locations: string, backendPort: number, upstreams = ''): Promise<RunningNginx> {
  const folder = mkdtempSync(join(tmpdir(), 'twake-nginx-'));
  const tls = makeSelfSignedCertificate();
  const socket = await listeningSocket();
  const port = (socket.address() as AddressInfo).port;
  const config = `
${process.getuid?.() === 0 ? 'user root;' : ''}
daemon off;
worker_processes 1;
pid ${join(folder, 'nginx.pid')};
error_log ${join(folder, 'error.log')} warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${join(folder, 'body')};
  proxy_temp_path ${join(folder, 'proxy')};
  fastcgi_temp_path ${join(folder, 'fastcgi')};
  uwsgi_temp_path ${join(folder, 'uwsgi')};
  scgi_temp_path ${join(folder, 'scgi')};
  upstream backend { server 127.0.0.1:${backendPort}; }
${upstreams}
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${tls.certFile};
    ssl_certificate_key ${tls.keyFile};
${locations}
  }
}
`;
  const configFile = join(folder, 'nginx.conf');
  writeFileSync(configFile, config);
  execFileSync(NGINX as string, ['-t', '-p', folder, '-c', configFile], { stdio: 'pipe' });
  // The socket is nginx's descriptor 3; it matches `listen 127.0.0.1:<port>`, so nginx binds nothing
  // ("using inherited sockets" in its log). Closed here once nginx holds it: nginx alone accepts.
  const descriptor = (socket as unknown as { _handle: { fd: number } })._handle.fd;
  const nginx = spawn(NGINX as string, ['-p', folder, '-c', configFile], { stdio: ['ignore', 'ignore', 'ignore', descriptor], env: { ...process.env, NGINX: '3;' } });
  await new Promise((resolve) => socket.close(resolve));
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const up = await sendTls(port, tls.cert, 'GET', '/', {}).then(
      () => true,
      () => false,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    pid: nginx.pid as number,
    tls,
    stop() {
      if (nginx.pid !== undefined && nginx.exitCode === null) process.kill(nginx.pid, 'SIGQUIT');
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/**
 * The TCP connections nginx's workers hold open to `port` on 127.0.0.1, by socket inode (Linux /proc):
 * the same inode before and after some requests is the same connection, kept alive between them.
 */
export function upstreamConnections(nginx: RunningNginx, port: number): string[] {
  const workers = readFileSync(`/proc/${nginx.pid}/task/${nginx.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  const held = new Set<string>();
  for (const worker of workers) {
    for (const fd of readdirSync(`/proc/${worker}/fd`)) {
      const link = (() => {
        try {
          return readlinkSync(`/proc/${worker}/fd/${fd}`);
        } catch {
          return ''; // closed meanwhile
        }
      })();
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode !== undefined) held.add(inode);
    }
  }
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // Columns: sl, local, remote, state (01: established), …, inode (the tenth).
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((columns) => columns[2] === remote && columns[3] === '01' && held.has(columns[9] ?? ''))
    .map((columns) => columns[9] as string)
    .sort();
}
