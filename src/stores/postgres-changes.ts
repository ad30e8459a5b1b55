// Listens to PostgreSQL change notifications and empties the matching cache entries, reconnecting forever.
import { requireOptional } from '../core/optional-dependency';
import type { CachedStore } from './cached-store';

/** Channel the triggers of migration 20261129000000_change_notifications notify. */
export const CHANGE_CHANNEL = 'twake_app_auth';

/** `application_name` of the listener's connection. */
const LISTENER_NAME = 'twake-app-auth change listener';

/** The triggers of that migration, which the listener checks for when it connects. */
export const CHANGE_TRIGGERS: readonly string[] = ['applications_notify', 'application_keys_notify_insert_delete', 'application_keys_notify_update', 'installations_notify'];

/** A running subscription. @public */
export interface ChangeListener {
  /** Resolves once the first LISTEN is in place and the triggers have been checked. */
  readonly ready: Promise<void>;
  /** Triggers found missing at the last connection: with any, changes are not notified (the TTL still bounds staleness). */
  readonly missingTriggers: readonly string[];
  /** Whether LISTEN is in place now. */
  readonly connected: boolean;
  close(): Promise<void>;
}

/**
 * The connection of node-postgres's `Client` the listener uses, typed by those members so that compiling
 * against this package needs no `pg` types. @public
 */
export interface PgClientLike {
  connect(): Promise<unknown>;
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  end(): Promise<unknown>;
}

/** The `pg` module, or anything with its `Client` class: `import * as pg from 'pg'`. @public */
export interface PgModuleLike {
  Client: new (config: { connectionString: string; keepAlive: boolean; connectionTimeoutMillis: number; application_name: string }) => PgClientLike;
}

/** Options of {@link listenForChanges}. @public */
export interface ChangeListenerOptions {
  /**
   * The application's `pg` module (`import * as pg from 'pg'`), which opens the listening connection.
   * Defaults to `require('pg')` resolved from this package: `pg` is its optional peer dependency, so npm,
   * pnpm and Yarn give it the application's `pg` when the application depends on it.
   */
  pg?: PgModuleLike;
  /**
   * Told about connection losses (the cache falls back to its TTL meanwhile), and about missing change
   * triggers. Without it, missing triggers are reported as a process warning.
   */
  onError?: (error: unknown) => void;
  /** First reconnection delay in milliseconds; doubles up to 5 s. Defaults to 100. */
  retryMs?: number;
}

/**
 * Subscribes `cache` to changes made by any process (CLI, other instances, SQL) through one dedicated
 * PostgreSQL connection. Every notification forgets that application's cached answers. After a lost
 * connection the whole cache is emptied on reconnection, since notifications may have been missed;
 * in between, the cache's TTL still bounds staleness.
 *
 * @public
 */
// Tables created from copied models, without our migration, have no triggers: say so, with the fix.
async function checkTriggers(client: PgClientLike): Promise<string[]> {
  const { rows } = await client.query('SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname = ANY($1)', [CHANGE_TRIGGERS]);
  const present = new Set((rows as { tgname: string }[]).map((row) => row.tgname));
  return CHANGE_TRIGGERS.filter((name) => !present.has(name));
}

function missingTriggersError(missing: readonly string[]): Error {
  return new Error(
    `twake-app-auth: change triggers missing (${missing.join(', ')}): changes will not be notified, only the cache TTL bounds staleness. ` +
      'Run `twake-app-auth migrate`, or add prisma/postgresql/migrations/20261129000000_change_notifications/migration.sql to your own migration.',
  );
}

export function listenForChanges(connectionString: string, cache: CachedStore, options: ChangeListenerOptions = {}): ChangeListener {
  // Thrown at once when pg is missing, not retried forever.
  const { Client: PgClient } = options.pg ?? requireOptional<PgModuleLike>('pg', 'listenForChanges');
  const baseRetry = options.retryMs ?? 100;
  let closed = false;
  let connected = false;
  let client: PgClientLike | null = null;
  let retry = baseRetry;
  let missingTriggers: readonly string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  function scheduleReconnect(error: unknown): void {
    connected = false;
    if (closed || timer !== null) return;
    options.onError?.(error);
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, retry);
    timer.unref();
    retry = Math.min(retry * 2, 5000);
  }

  async function connect(): Promise<void> {
    // Named, so that an operator can tell it in pg_stat_activity.
    const current = new PgClient({ connectionString, keepAlive: true, connectionTimeoutMillis: 5000, application_name: LISTENER_NAME });
    client = current;
    current.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL && message.payload) cache.invalidate(message.payload);
    });
    current.on('error', (error) => {
      current.end().catch(() => undefined);
      scheduleReconnect(error);
    });
    current.on('end', () => scheduleReconnect(new Error('change listener connection ended')));
    try {
      await current.connect();
      await current.query(`LISTEN ${CHANGE_CHANNEL}`);
      missingTriggers = await checkTriggers(current);
      if (closed) return;
      if (missingTriggers.length > 0) {
        const error = missingTriggersError(missingTriggers);
        if (options.onError === undefined) process.emitWarning(error.message, 'TwakeAppAuthWarning');
        else options.onError(error);
      }
      // Anything may have changed while we were not listening.
      cache.clear();
      connected = true;
      retry = baseRetry;
      markReady();
    } catch (error) {
      current.end().catch(() => undefined);
      scheduleReconnect(error);
    }
  }

  void connect();
  return {
    ready,
    get connected() {
      return connected;
    },
    get missingTriggers() {
      return missingTriggers;
    },
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
