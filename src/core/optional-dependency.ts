// Loads a peer dependency only when a feature needs it, with an install hint when it is missing.
/** The optional peers, and what each one is for (shown in the hint). */
export const OPTIONAL_PEERS = {
  pg: 'PostgreSQL',
  'better-sqlite3': 'SQLite',
  '@prisma/client': 'the CLI and server',
  '@prisma/adapter-pg': 'the CLI and server on PostgreSQL',
  '@prisma/adapter-better-sqlite3': 'the CLI and server on SQLite',
  pino: 'the server',
  ioredis: 'REDIS_URL',
  'prom-client': 'the server metrics',
  'passport-http': 'createTwakeBasicStrategy',
} as const;

export type OptionalPeer = keyof typeof OPTIONAL_PEERS;

/** Optional peer dependencies that are not installed. */
export class MissingPeerError extends Error {
  readonly code = 'TWAKE_MISSING_PEER';
  constructor(
    readonly packageNames: readonly OptionalPeer[],
    feature: string,
    alternative = '',
  ) {
    const list = packageNames.map((name) => `"${name}"`).join(', ');
    super(`twake-app-auth: ${feature} needs ${list}, not installed here: npm install ${packageNames.join(' ')}${alternative}`);
    this.name = 'MissingPeerError';
  }
}

/**
 * `load(name)`, or a {@link MissingPeerError} naming the package and the feature that needs it. `load` is the
 * caller's `require` when the package is the caller's dependency, not this library's (pnpm, Yarn PnP).
 */
export function requireOptional<T>(name: OptionalPeer, feature: string, load: NodeJS.Require = require): T {
  try {
    return load(name) as T;
  } catch (error) {
    if (isMissing(error, name)) throw new MissingPeerError([name], feature);
    throw error;
  }
}

/** Throws one {@link MissingPeerError} naming every package of `names` that cannot be found. */
export function requireAllOptional(names: readonly OptionalPeer[], feature: string, alternative = '', load: NodeJS.Require = require): void {
  const missing = names.filter((name) => {
    try {
      load.resolve(name);
      return false;
    } catch (error) {
      if (isMissing(error, name)) return true;
      throw error;
    }
  });
  if (missing.length > 0) throw new MissingPeerError(missing, feature, alternative);
}

/** Whether `error` says that `name` itself (not something it needs) cannot be found. */
export function isMissing(error: unknown, name: string): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.startsWith(`Cannot find module '${name}'`);
}
