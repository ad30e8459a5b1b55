// Runs the real CLI and the real server as child processes, from the built package.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'server', 'dist', 'cli', 'main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `twake-app-auth …args` with `env` added to a minimal environment. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, cwd, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a CLI command with --json that must succeed, and returns its JSON. */
export async function cliJson<T = Record<string, unknown>>(args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  const result = await runCli([...args, '--json'], env);
  if (result.code !== 0) throw new Error(`CLI ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export interface ServerProcess {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** Every line the server wrote to stdout and stderr so far. */
  readonly logs: string[];
  /** Sends SIGTERM and resolves the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Asks a server that did not start for a Node diagnostic report (SIGUSR2), and answers what it was
 * waiting on: its JavaScript stack and its pending libuv handles. A start that stalls once in CI is then
 * explained by the failure itself.
 */
async function stallReport(child: ChildProcess, folder: string): Promise<string> {
  child.kill('SIGUSR2');
  for (let attempt = 0; attempt < 20; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [file] = readdirSync(folder);
    if (file === undefined) continue;
    try {
      const report = JSON.parse(readFileSync(join(folder, file), 'utf8')) as { javascriptStack?: { stack?: string[] }; libuv?: { type: string; is_active: boolean; is_referenced?: boolean }[] };
      const handles = (report.libuv ?? []).filter((handle) => handle.is_active).map((handle) => handle.type);
      return `javascript stack: ${(report.javascriptStack?.stack ?? []).join(' | ')}\nactive libuv handles: ${handles.join(', ')}`;
    } catch {
      // The report is still being written.
    }
  }
  return 'no diagnostic report';
}

/** How long one start may take (they take 0.5 to 2 s on this machine, loaded or not). */
const START_TIMEOUT_MS = 15_000;

class StartStalled extends Error {}

/**
 * Starts `twake-app-auth serve` on a free port and waits for its "listening" line. A start that stalls is
 * reported with what the process was waiting on and tried once more, so that one stall on a shared CI
 * machine does not fail every test of a file; a second stall fails.
 */
export async function startServer(env: NodeJS.ProcessEnv, options: StartOptions = {}): Promise<ServerProcess> {
  try {
    return await startServerOnce(env, options);
  } catch (error) {
    if (!(error instanceof StartStalled)) throw error;
    process.stderr.write(`startServer: first start stalled, trying once more.\n${error.message}\n`);
    return startServerOnce(env, options);
  }
}

/** How {@link startServer} knows the server is up. */
export interface StartOptions {
  /** The line to wait for, among those with the URL (e.g. the primary's with WORKERS). Defaults to the first. */
  ready?: RegExp;
  /** How long one start may take. Defaults to 15 s; several processes loading on a busy machine take longer. */
  timeoutMs?: number;
}

/** One process unless `env` says otherwise (WORKERS defaults to the cores): the suites spawn many servers on 2 cores. */
function startServerOnce(env: NodeJS.ProcessEnv, { ready = /./, timeoutMs = START_TIMEOUT_MS }: StartOptions): Promise<ServerProcess> {
  const reports = mkdtempSync(join(tmpdir(), 'twake-app-auth-report-'));
  const child = spawn(process.execPath, ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${reports}`, CLI, 'serve'], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then(() => rmSync(reports, { recursive: true, force: true }));
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setTimeout(() => {
      void stallReport(child, reports).then((report) => {
        child.kill('SIGKILL');
        reject(new StartStalled(`server did not start within ${Date.now() - started} ms:\n${logs.join('\n')}\n${report}`));
      });
    }, timeoutMs);
    const onLine = (line: string) => {
      logs.push(line);
      const match = /"url":"https?:\/\/[^"]*:(\d+)"/.exec(line);
      if (match && ready.test(line)) {
        clearTimeout(timer);
        const port = Number(match[1]);
        const scheme = line.includes('"url":"https') ? 'https' : 'http';
        resolve({
          port,
          url: `${scheme}://127.0.0.1:${port}`,
          child,
          logs,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffer = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${logs.join('\n')}`));
    });
  });
}
