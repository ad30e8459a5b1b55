// Writes command results: one JSON object with --json, aligned text for people otherwise.
import { escapeJson, escapeText } from './escape';

/** Where a command writes; the process streams in production, buffers in tests. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** A command's result: the JSON object, and the lines a person reads instead. */
export interface Result {
  json: Record<string, unknown>;
  human: string[];
}

/** Aligns `label: value` rows. */
export function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${`${label}:`.padEnd(width + 2)}${value}`);
}

/** Writes a result. Stored values may hold anything (older versions, rows written in SQL): escaped here, once for all commands. */
export function print(io: Io, result: Result, json: boolean): void {
  if (json) io.stdout(`${escapeJson(JSON.stringify(result.json))}\n`);
  else io.stdout(`${result.human.map(escapeText).join('\n')}\n`);
}
