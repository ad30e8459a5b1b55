// Listens to PostgreSQL change notifications and empties the matching cache entries, reconnecting forever.
import { Client } from 'pg';
import type { CachedStore } from './cached-store';

/** Channel the triggers of migration 20261129000000_change_notifications notify. */
export const CHANGE_CHANNEL = 'twake_app_auth';

/** A running subscription. @public */
export interface ChangeListener {
  /** Resolves once the first LISTEN is in place. */
  readonly ready: Promise<void>;
  /** Whether LISTEN is in place now. */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** Options of {@link listenForChanges}. @public */
export interface ChangeListenerOptions {
  /** Told about connection losses (the cache falls back to its TTL meanwhile). */
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
export function listenForChanges(connectionString: string, cache: CachedStore, options: ChangeListenerOptions = {}): ChangeListener {
  const baseRetry = options.retryMs ?? 100;
  let closed = false;
  let connected = false;
  let client: Client | null = null;
  let retry = baseRetry;
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
    const current = new Client({ connectionString, keepAlive: true, connectionTimeoutMillis: 5000 });
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
      if (closed) return;
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
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
