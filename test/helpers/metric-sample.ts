// Reads one sample from Prometheus text output.

/** The value of one sample line, e.g. `twake_app_auth_decisions_total{code="ok"}`; NaN when absent. */
export function sample(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}
