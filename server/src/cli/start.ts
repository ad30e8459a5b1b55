// Runs the `twake-app-auth` command in this process and exits with its code.
import { existsSync } from 'node:fs';
import { escapeText } from './escape';
import { run } from './index';

/** Runs the command `argv` (without node and the script), then exits the process. */
export function startCli(argv: readonly string[]): void {
  // Settings from ./.env when present; variables already set in the environment win.
  if (existsSync('.env')) process.loadEnvFile('.env');

  run([...argv], {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  }).then(
    // Exits once the output is flushed (a large --json report to a slow pipe is written asynchronously),
    // but without waiting for anything else: a client, pool or timer still open (after a failed start, or
    // once serve has stopped) must not keep a process alive that serves nothing.
    (code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code))),
    (error: unknown) => {
      process.stderr.write(`twake-app-auth: ${escapeText(error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error))}\n`);
      process.exit(1);
    },
  );
}
