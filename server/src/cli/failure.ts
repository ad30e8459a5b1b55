// What the CLI says about a command that failed: one line, or the causes too with --verbose; JSON with --json.
import { redactDatabaseUrl } from '../database/database-url';
import { escapeJson, escapeText } from './escape';
import type { Io } from './output';

/**
 * Error codes that mean the database could not be reached or would not let us in: Node's network errors,
 * and PostgreSQL's SQLSTATE classes 08 (connection exception) and 28 (invalid authorization), and 3D000
 * (no such database). Classified by code, never by the wording of a message.
 */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', '3D000']);
const UNREACHABLE_CLASSES = ['08', '28'];

/** The error and its causes, outermost first (at most 10: a cause may point back). */
function chainOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null && chain.length < 10 && !chain.includes(current); current = (current as { cause?: unknown }).cause) {
    chain.push(current);
  }
  return chain;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether the error, or any of its causes, says the database could not be reached. */
export function isUnreachable(error: unknown): boolean {
  return chainOf(error).some((link) => {
    const code = codeOf(link);
    return code !== undefined && (UNREACHABLE_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && UNREACHABLE_CLASSES.includes(code.slice(0, 2))));
  });
}

/** The first non-empty line of an error's message, without any secret of a connection string. */
function lineOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = (message.split('\n').find((line) => line.trim() !== '') ?? 'unknown error').trim().replace(/^twake-app-auth: /, '');
  return first.replace(/postgres(ql)?:\/\/[^\s"'<>]*/g, (url) => redactDatabaseUrl(url));
}

/** A failure as the CLI reports it: a stable code, one line, and the causes' lines (each with its code). */
export interface Failure {
  code: string;
  message: string;
  causes: string[];
}

export function failureOf(error: unknown, code?: string): Failure {
  const unreachable = code === undefined && isUnreachable(error);
  const line = lineOf(error);
  const causes = chainOf(error)
    .slice(1)
    .map((cause) => (codeOf(cause) === undefined ? lineOf(cause) : `${lineOf(cause)} [${codeOf(cause)}]`));
  // Our own errors carry a stable snake_case code (application_not_found); anything else is "failed".
  const own = codeOf(error);
  const fallback = own !== undefined && /^[a-z]+(?:_[a-z]+)+$/.test(own) ? own : 'failed';
  return { code: code ?? (unreachable ? 'database_unreachable' : fallback), message: unreachable ? `cannot reach the database (${line})` : line, causes };
}

/** Writes a failure on stderr: JSON with --json (every cause included), else one line and, with --verbose, the causes. */
export function reportFailure(io: Io, failure: Failure, options: { json: boolean; verbose: boolean; hint?: string }): void {
  if (options.json) {
    io.stderr(`${escapeJson(JSON.stringify({ error: failure }))}\n`);
    return;
  }
  const lines = [`twake-app-auth: ${failure.message}${options.hint ?? ''}`, ...(options.verbose ? failure.causes.map((cause) => `  caused by: ${cause}`) : [])];
  io.stderr(`${lines.map(escapeText).join('\n')}\n`);
}
