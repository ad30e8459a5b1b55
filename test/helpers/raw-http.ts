// Raw HTTP/1.1 over a socket, for request lines and headers that Node's HTTP client refuses to send.
import net from 'node:net';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';

/**
 * Sends one request (`Connection: close`) and resolves the status code of its answer: 0 if none came (a
 * server may reset a connection whose request it refused before reading it all).
 */
export function rawRequest(port: number, target: string, headers: Record<string, string> | ReadonlyArray<readonly [string, string]> = {}, method = 'GET'): Promise<number> {
  const fields = Array.isArray(headers) ? headers : Object.entries(headers);
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...fields.map(([name, value]) => `${name}: ${value}`)];
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(`${lines.join('\r\n')}\r\n\r\n`));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
  });
}

/**
 * CPU time the main thread of a process (where JavaScript runs) has used so far, in milliseconds, from
 * the scheduler's own nanosecond count (Linux): /proc/PID/stat counts in 10 ms ticks only.
 */
export function mainThreadCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/** A JSON answer read whole (`{}` when empty). */
export interface JsonAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** A POST with exactly the headers given: no Content-Type unless listed (supertest would add one). */
export function postExactly(port: number, path: string, body: string, headers: Record<string, string>): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
