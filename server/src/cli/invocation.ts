// How the person at the terminal started this CLI, so that the commands it suggests work as printed.
import { relative } from 'node:path';

/**
 * The command prefix that runs the CLI the way it was run: through the package script from a clone
 * (`npm run --silent cli --`), through npx, an installed bin (`twake-app-auth`), or node and a path.
 */
export function invocation(env: NodeJS.ProcessEnv, script: string | undefined = process.argv[1], cwd = process.cwd()): string {
  if (env.npm_lifecycle_event === 'cli') return 'npm run --silent cli --';
  if (env.npm_command === 'exec') return 'npx twake-app-auth';
  if (script === undefined || /(?:^|[\\/])twake-app-auth$/.test(script)) return 'twake-app-auth';
  return `node ${relative(cwd, script) || script}`;
}
