// Runs PHP's built-in web server (`php -S`) on a folder, for suites that compare the validator with PHP.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Whether a `php` binary answers `php -v`. */
export function hasPhp(): boolean {
  return spawnSync('php', ['-v'], { stdio: 'ignore' }).status === 0;
}

/** A running `php -S`, its port, and how to stop it (by its process id). */
export interface PhpServer {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

// Starts `php -S` on one port: resolves once PHP says it started, null when it exits first (port taken).
function startOn(root: string, port: number): Promise<PhpServer | null> {
  // -n: no php.ini, so that the settings that decide $_REQUEST are PHP's defaults wherever this runs.
  const child: ChildProcess = spawn('php', ['-n', '-S', `127.0.0.1:${port}`, '-t', root], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve) => {
    let log = '';
    let started = false;
    child.stderr?.setEncoding('utf8');
    // PHP logs every request on stderr: it is read to the end, or a full pipe would stall the server.
    child.stderr?.on('data', (chunk: string) => {
      if (started) return;
      log += chunk;
      if (!log.includes('started')) return;
      started = true;
      resolve({
        port,
        pid: child.pid ?? 0,
        stop: () => {
          if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
          return exited;
        },
      });
    });
    void exited.then(() => resolve(null));
  });
}

/** Starts `php -S 127.0.0.1:PORT -t root` on the first free port of [from, to], from a random one on. */
export async function startPhpServer(root: string, from: number, to: number): Promise<PhpServer> {
  const count = to - from + 1;
  const offset = Math.floor(Math.random() * count);
  for (let tried = 0; tried < count; tried += 1) {
    const server = await startOn(root, from + ((offset + tried) % count));
    if (server !== null) return server;
  }
  throw new Error(`php -S found no free port in ${from}-${to}`);
}
