// Reads the standalone server's settings from the environment, refusing bad values with a clear message.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { OpenDatabaseOptions } from '../database/database';
import { DEFAULT_DATABASE_URL, providerOf } from '../database/database-url';
import { modeFromEnvironment, MAX_ASSERTION_TTL_SECONDS, MIN_SECRET_BYTES, SIGNING_ALGORITHMS, type SigningAlgorithm } from 'twake-app-auth/internal';
import type { UnreadBodies, Mode } from 'twake-app-auth';
import { parseTrustProxy, type TrustProxy } from './trust-proxy';


/** Everything `twake-app-auth serve` needs. */
export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  mode: Mode;
  trustProxy: TrustProxy;
  tls: { cert: Buffer; key: Buffer } | null;
  logLevel: string;
  /** Serve `GET /metrics` (Prometheus text format, needs prom-client). */
  metrics: boolean;
  /** METRICS_PORT: serve `/metrics` on this port (same HOST) instead of the API port; null for the API port. */
  metricsPort: number | null;
  /** Route table forward-auth enforces on original paths under /api/v1/ (`TWAKE_ROUTES=v1`, the default), or none (`off`). */
  twakeRoutes: 'v1' | 'off';
  /** Cache of lookups: most entries and lifetime of an answer in milliseconds (0 turns it off). */
  cache: { maxEntries: number; ttlMs: number };
  /** Failed-authentication throttling. */
  throttle: { failureLimit: number; publicIdFailureLimit: number; failureWindowSeconds: number };
  /** Requests per application and window (APP_REQUEST_LIMIT, APP_REQUEST_WINDOW_SECONDS); null for no limit. */
  requestLimit: { limit: number; windowSeconds: number } | null;
  /** Companies an application may be found not installed in per window (see the `notInstalledLimit` option). */
  notInstalledLimit: { limit: number; windowSeconds: number };
  /** What to do with a body the validator cannot read group_id from (UNREAD_BODIES=refuse|allow). */
  unreadBodies: UnreadBodies;
  /** Longest wait for a request body, in milliseconds (BODY_TIMEOUT_MS); past it, 408. */
  bodyTimeoutMs: number;
  /** Revoke valid keys that arrive over plain HTTP (REVOKE_CLEARTEXT_KEYS=true). */
  revokeCleartextKeys: boolean;
  /** How often the last use of keys is written, in seconds (LAST_USED_INTERVAL_SECONDS). */
  lastUsedIntervalSeconds: number;
  /** Redis shared by every instance for throttling counters; null keeps them in memory. */
  redisUrl: string | null;
  /** Counter settings shared by throttling and the request limit (REDIS_KEY_PREFIX, REDIS_TIMEOUT_MS, COUNTER_MAX_TRACKED_KEYS). */
  counters: { keyPrefix: string; redisTimeoutMs: number; maxTrackedKeys: number };
  /** PostgreSQL pool size and time bounds. */
  database: Required<OpenDatabaseOptions>;
  /** The identity assertion forward-auth signs on every pass (ASSERTION_*). */
  assertion: AssertionConfig;
  /** Longest wait for in-flight requests once a stop is asked for, in milliseconds (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  /** Processes serving the port (WORKERS): 1 serves in this process; more fork that many with node:cluster. */
  workers: number;
  /** Whether forward-auth refuses a request whose original URI it cannot see (FORWARD_AUTH_ORIGINAL_URI). */
  originalUri: 'required' | 'optional';
  /** Twake's application login and Bearer tokens (JWT_*); null when off. */
  tokens: TokenConfig | null;
}

/** How application tokens are signed: Twake's shared HS256 secret, or the assertion key pairs. */
export interface TokenConfig {
  /** JWT_SIGNING: `secret` (JWT_SECRET, HS256) or `keys` (the assertion key pairs, published at /.well-known/jwks.json). */
  signing: 'secret' | 'keys';
  /** JWT_SECRET, for `secret`. */
  secret: string | null;
  /** JWT_EXPIRATION: access token lifetime in seconds (Twake's auth.jwt.expiration). */
  accessTtlSeconds: number;
  /** JWT_REFRESH_EXPIRATION: refresh token lifetime in seconds (Twake's auth.jwt.refresh_expiration). */
  refreshTtlSeconds: number;
}

/** How assertions are signed: by the database's key pairs (default) or by a shared secret. */
export interface AssertionConfig {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Algorithm of a generated key pair (ASSERTION_ALGORITHM). */
  algorithm: SigningAlgorithm;
  /** ASSERTION_SECRET: HS256 with this secret instead of key pairs; null for key pairs. */
  secret: string | null;
  /** How often the stored keys are reread, in milliseconds (SIGNING_KEYS_REFRESH_SECONDS). */
  refreshMs: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function fail(message: string): never {
  throw new Error(message);
}

/** The database URL the CLI and server use: DATABASE_URL, or the embedded SQLite default. */
export function databaseUrlFrom(env: NodeJS.ProcessEnv): string {
  const url = env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
  providerOf(url);
  return url;
}


function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum: number): number {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) < minimum) fail(`${name} must be a whole number, ${minimum} or more.`);
  return Number(text);
}

function parseTwakeRoutes(value: string | undefined): 'v1' | 'off' {
  const text = value?.trim() || 'v1';
  if (text !== 'v1' && text !== 'off') fail('TWAKE_ROUTES must be v1 or off.');
  return text;
}

function parseBoolean(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = env[name]?.trim() ?? '';
  if (text === '' || text === 'false') return false;
  if (text === 'true') return true;
  fail(`${name} must be true or false.`);
}

function parseUnreadBodies(value: string | undefined): UnreadBodies {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'refuse') return 'refuse';
  if (text === 'allow') return 'allow';
  fail('UNREAD_BODIES must be refuse or allow.');
}

function parseChoice<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[]): T {
  const text = env[name]?.trim() || choices[0];
  if (!choices.includes(text as T)) fail(`${name} must be ${choices.join(' or ')}.`);
  return text as T;
}

function parseAssertion(env: NodeJS.ProcessEnv): AssertionConfig {
  const ttlSeconds = wholeNumber(env, 'ASSERTION_TTL_SECONDS', 30, 1);
  if (ttlSeconds > MAX_ASSERTION_TTL_SECONDS) fail(`ASSERTION_TTL_SECONDS must be ${MAX_ASSERTION_TTL_SECONDS} or less.`);
  const secret = env.ASSERTION_SECRET?.trim() || null;
  if (secret !== null && Buffer.byteLength(secret) < MIN_SECRET_BYTES) fail(`ASSERTION_SECRET must be at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -base64 32).`);
  return {
    issuer: env.ASSERTION_ISSUER?.trim() || 'twake-app-auth',
    audience: env.ASSERTION_AUDIENCE?.trim() || 'twake-backend',
    ttlSeconds,
    algorithm: parseChoice(env, 'ASSERTION_ALGORITHM', SIGNING_ALGORITHMS),
    secret,
    refreshMs: wholeNumber(env, 'SIGNING_KEYS_REFRESH_SECONDS', 15, 1) * 1000,
  };
}

function parseTokens(env: NodeJS.ProcessEnv, assertion: AssertionConfig): TokenConfig | null {
  const secret = env.JWT_SECRET?.trim() || null;
  const signing = env.JWT_SIGNING?.trim() || (secret === null ? 'off' : 'secret');
  if (signing !== 'off' && signing !== 'secret' && signing !== 'keys') fail('JWT_SIGNING must be secret, keys or off.');
  if (signing === 'off') return null;
  if (signing === 'secret' && secret === null) fail('JWT_SIGNING=secret needs JWT_SECRET (Twake\'s auth.jwt.secret).');
  if (secret !== null && Buffer.byteLength(secret) < MIN_SECRET_BYTES) fail(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -base64 48).`);
  if (signing === 'keys' && assertion.secret !== null) fail('JWT_SIGNING=keys signs with the assertion key pairs: unset ASSERTION_SECRET, or use JWT_SIGNING=secret.');
  return {
    signing,
    secret: signing === 'secret' ? secret : null,
    accessTtlSeconds: wholeNumber(env, 'JWT_EXPIRATION', 3600, 1),
    refreshTtlSeconds: wholeNumber(env, 'JWT_REFRESH_EXPIRATION', 2_592_000, 1),
  };
}

function portNumber(text: string, name: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65535) fail(`${name} must be a port number, not ${JSON.stringify(text)}.`);
  return port;
}

/** Reads the settings from `env`. */
export function readServerConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const port = portNumber(env.PORT ?? '3000', 'PORT');
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) fail(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}.`);
  const certFile = env.TLS_CERT_FILE?.trim();
  const keyFile = env.TLS_KEY_FILE?.trim();
  if (Boolean(certFile) !== Boolean(keyFile)) fail('Set both TLS_CERT_FILE and TLS_KEY_FILE, or neither.');
  const revokeCleartextKeys = parseBoolean(env, 'REVOKE_CLEARTEXT_KEYS');
  const assertion = parseAssertion(env);
  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  // Behind a TLS-terminating proxy that the server does not trust, every HTTPS call looks like plain HTTP.
  if (revokeCleartextKeys && !(certFile && keyFile) && (trustProxy === false || trustProxy === 0)) {
    fail('REVOKE_CLEARTEXT_KEYS=true needs TLS_CERT_FILE and TLS_KEY_FILE, or TRUST_PROXY naming the proxy that terminates TLS: otherwise valid HTTPS calls would be judged plain HTTP and their keys revoked.');
  }
  return {
    port,
    host: env.HOST?.trim() || '0.0.0.0',
    databaseUrl: databaseUrlFrom(env),
    mode: modeFromEnvironment(env.NODE_ENV),
    trustProxy,
    tls: certFile && keyFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile) } : null,
    logLevel,
    twakeRoutes: parseTwakeRoutes(env.TWAKE_ROUTES),
    metrics: env.METRICS === undefined || env.METRICS.trim() === '' ? true : parseBoolean(env, 'METRICS'),
    metricsPort: env.METRICS_PORT?.trim() ? portNumber(env.METRICS_PORT, 'METRICS_PORT') : null,
    throttle: {
      failureLimit: wholeNumber(env, 'AUTH_FAILURE_LIMIT', 100, 1),
      publicIdFailureLimit: wholeNumber(env, 'AUTH_PUBLIC_ID_FAILURE_LIMIT', 300, 1),
      failureWindowSeconds: wholeNumber(env, 'AUTH_FAILURE_WINDOW_SECONDS', 60, 1),
    },
    requestLimit: env.APP_REQUEST_LIMIT?.trim()
      ? { limit: wholeNumber(env, 'APP_REQUEST_LIMIT', 0, 1), windowSeconds: wholeNumber(env, 'APP_REQUEST_WINDOW_SECONDS', 60, 1) }
      : null,
    notInstalledLimit: { limit: wholeNumber(env, 'NOT_INSTALLED_LIMIT', 30, 1), windowSeconds: wholeNumber(env, 'NOT_INSTALLED_WINDOW_SECONDS', 60, 1) },
    lastUsedIntervalSeconds: wholeNumber(env, 'LAST_USED_INTERVAL_SECONDS', 60, 1),
    redisUrl: env.REDIS_URL?.trim() || null,
    counters: {
      keyPrefix: env.REDIS_KEY_PREFIX?.trim() || 'twake-app-auth',
      redisTimeoutMs: wholeNumber(env, 'REDIS_TIMEOUT_MS', 50, 1),
      maxTrackedKeys: wholeNumber(env, 'COUNTER_MAX_TRACKED_KEYS', 100_000, 1),
    },
    revokeCleartextKeys,
    unreadBodies: parseUnreadBodies(env.UNREAD_BODIES),
    bodyTimeoutMs: wholeNumber(env, 'BODY_TIMEOUT_MS', 5000, 1),
    cache: { maxEntries: wholeNumber(env, 'CACHE_MAX_ENTRIES', 10_000, 1), ttlMs: wholeNumber(env, 'CACHE_TTL_MS', 1000, 0) },
    database: {
      poolSize: wholeNumber(env, 'DATABASE_POOL_SIZE', 10, 1),
      statementTimeoutMs: wholeNumber(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5000, 1),
      connectTimeoutMs: wholeNumber(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5000, 1),
    },
    assertion,
    tokens: parseTokens(env, assertion),
    shutdownTimeoutMs: wholeNumber(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0),
    // What the scheduler lets this process use (a container's CPU limit included), not the host's cores.
    workers: wholeNumber(env, 'WORKERS', availableParallelism(), 1),
    originalUri: parseChoice(env, 'FORWARD_AUTH_ORIGINAL_URI', ['required', 'optional'] as const),
  };
}
