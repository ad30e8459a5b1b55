// Writes command results: one JSON object with --json, aligned text for people otherwise.

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

export function print(io: Io, result: Result, json: boolean): void {
  if (json) io.stdout(`${JSON.stringify(result.json)}\n`);
  else io.stdout(`${result.human.join('\n')}\n`);
}
