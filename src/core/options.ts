// Checks the options once, at construction, and resolves every default.
import { hasControlCharacters } from './control-characters';
import { isSecureRequest } from './is-secure';
import { createFailureThrottle, type FailureThrottle, type ThrottleOptions } from '../limits/failure-throttle';
import type { CounterOptions } from '../limits/rate-limiters';
import { createRequestLimiter, type RequestLimiter, type RequestLimitOptions } from '../limits/request-limit';
import type { Mode, Options } from './types';
import { parseTokenOptions, type TokenSettings } from '../tokens/token-settings';
import { createTokenVerifier, type TokenVerifier } from '../tokens/verify-token';
import { createNotInstalledBudget, DEFAULT_NOT_INSTALLED_LIMIT, type NotInstalledBudget, type NotInstalledLimitOptions } from '../limits/not-installed-budget';

/** Options with every default applied, the throttle and request limiter built. */
export type Configuration = Readonly<
  Omit<Options, 'throttle' | 'requestLimit' | 'notInstalledLimit' | 'tokens'> & {
    throttle: FailureThrottle | null;
    requestLimit: RequestLimiter | null;
    notInstalled: NotInstalledBudget | null;
    tokens: Tokens | null;
  }
>;

/** Token settings and the verifier built from them. */
export interface Tokens {
  readonly settings: TokenSettings;
  readonly verifier: TokenVerifier;
}

const DEFAULT_REALM = 'Twake applications';
const DEFAULT_BODY_LIMIT = '100kb';
/** How long a body may take to arrive, in milliseconds, unless configured. */
export const DEFAULT_BODY_TIMEOUT_MS = 5000;

// Every option key: a missing or extra one here is a compile error, so unknown-key detection stays complete.
const OPTION_KEYS: { [K in keyof Options]-?: true } = {
  store: true,
  mode: true,
  isSecure: true,
  realm: true,
  bodyLimit: true,
  unreadBodies: true,
  bodyTimeoutMs: true,
  throttle: true,
  requestLimit: true,
  notInstalledLimit: true,
  revokeKeysSeenInCleartext: true,
  onCleartextKeyRevoked: true,
  onCleartextRevocationFailed: true,
  onAuthenticated: true,
  onDecision: true,
  routes: true,
  nodeRoutes: true,
  tokens: true,
  now: true,
};

// Every key of the nested option objects, checked like the top-level ones (a compile error when one is missing).
const COUNTER_KEYS: { [K in keyof CounterOptions]-?: true } = { redis: true, keyPrefix: true, maxTrackedKeys: true, redisTimeoutMs: true, onRedisStateChange: true };
const THROTTLE_KEYS: { [K in keyof ThrottleOptions]-?: true } = { ...COUNTER_KEYS, failureLimit: true, publicIdFailureLimit: true, failureWindowSeconds: true };
const NOT_INSTALLED_KEYS: { [K in keyof NotInstalledLimitOptions]-?: true } = { limit: true, windowSeconds: true };
const REQUEST_LIMIT_KEYS: { [K in keyof RequestLimitOptions]-?: true } = { ...COUNTER_KEYS, limit: true, windowSeconds: true };

function checkKeys(what: string, given: object, known: object): void {
  for (const key of Object.keys(given)) {
    if (!(key in known)) fail(`unknown ${what} option "${key}". Known ${what} options: ${Object.keys(known).join(', ')}.`);
  }
}

/** Development mode only when asked for explicitly; anything else, including no NODE_ENV, is production. */
export function modeFromEnvironment(nodeEnv: string | undefined): Mode {
  return nodeEnv === 'development' ? 'development' : 'production';
}

function isThrottle(value: unknown): value is FailureThrottle {
  return typeof (value as FailureThrottle | undefined)?.check === 'function' && typeof (value as FailureThrottle).recordFailure === 'function';
}

function isRequestLimiter(value: unknown): value is RequestLimiter {
  return typeof (value as RequestLimiter | undefined)?.consume === 'function';
}

function checkNotInstalledLimit(value: unknown): void {
  if (value === null || typeof value !== 'object') fail('option "notInstalledLimit" must be false or an object such as { limit: 30, windowSeconds: 60 }.');
  checkKeys('notInstalledLimit', value, NOT_INSTALLED_KEYS);
  for (const key of ['limit', 'windowSeconds'] as const) {
    const number = (value as Partial<NotInstalledLimitOptions>)[key];
    if (number !== undefined && (!Number.isInteger(number) || number < 1)) fail(`option "notInstalledLimit.${key}" must be a whole number, 1 or more.`);
  }
}

const omitUndefined = <T extends object>(value: T): Partial<T> => Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;

function fail(message: string): never {
  throw new TypeError(`twake-app-auth: ${message}`);
}

/**
 * Validates user options and merges the defaults. The caller's object is never modified.
 *
 * @throws TypeError with a message that says how to fix the problem.
 */
export function parseOptions(options: Partial<Options> | undefined): Configuration {
  if (typeof options === 'function') {
    fail('options must be an object. Did you write app.use(twakeAppAuth) instead of app.use(twakeAppAuth({ store }))?');
  }
  // app.use(twakeAppAuth) makes Express call the factory with (req, res, next): say so, not "unknown option".
  if (options !== null && typeof options === 'object' && 'headers' in options && 'method' in options && 'socket' in options) {
    fail('the factory was called as a middleware. Write app.use(twakeAppAuth({ store })), not app.use(twakeAppAuth).');
  }
  if (options === undefined || options === null || typeof options !== 'object') {
    fail('options are required: twakeAppAuth({ store: createPrismaStore(prisma) }).');
  }
  for (const key of Object.keys(options)) {
    if (!(key in OPTION_KEYS)) fail(`unknown option "${key}". Known options: ${Object.keys(OPTION_KEYS).join(', ')}.`);
  }
  const { store, mode, isSecure, realm, bodyLimit, unreadBodies, bodyTimeoutMs, throttle, requestLimit, notInstalledLimit, revokeKeysSeenInCleartext, onCleartextKeyRevoked, onCleartextRevocationFailed, onAuthenticated, onDecision, routes, nodeRoutes, tokens, now } = options;
  if (store === undefined || store === null || typeof store.findApplication !== 'function') {
    fail('option "store" must be an ApplicationStore with a findApplication(publicId, companyId) method, for example createPrismaStore(prisma).');
  }
  if (mode !== undefined && mode !== 'development' && mode !== 'production') {
    fail(`option "mode" must be 'development' or 'production', not ${JSON.stringify(mode)}.`);
  }
  if (isSecure !== undefined && typeof isSecure !== 'function') fail('option "isSecure" must be a function (req) => boolean.');
  if (realm !== undefined && (typeof realm !== 'string' || realm.length === 0 || /["\\]/.test(realm) || hasControlCharacters(realm))) {
    fail('option "realm" must be a non-empty string without quotes, backslashes or control characters.');
  }
  if (bodyLimit !== undefined && typeof bodyLimit !== 'number' && typeof bodyLimit !== 'string') {
    fail('option "bodyLimit" must be a number of bytes or a string such as "100kb".');
  }
  if (bodyTimeoutMs !== undefined && (!Number.isInteger(bodyTimeoutMs) || bodyTimeoutMs < 1)) {
    fail('option "bodyTimeoutMs" must be a whole number of milliseconds, 1 or more.');
  }
  if (unreadBodies !== undefined && unreadBodies !== 'refuse' && unreadBodies !== 'allow') {
    fail(`option "unreadBodies" must be 'refuse' or 'allow', not ${JSON.stringify(unreadBodies)}.`);
  }
  if (throttle !== undefined && throttle !== false && (throttle === null || typeof throttle !== 'object')) {
    fail('option "throttle" must be false or an object such as { failureLimit: 100, failureWindowSeconds: 60 }.');
  }
  if (throttle !== undefined && throttle !== false && !isThrottle(throttle)) checkKeys('throttle', throttle, THROTTLE_KEYS);
  if (requestLimit !== undefined && requestLimit !== false && (requestLimit === null || typeof requestLimit !== 'object')) {
    fail('option "requestLimit" must be false or an object such as { limit: 6000, windowSeconds: 60 }.');
  }
  if (requestLimit !== undefined && requestLimit !== false && !isRequestLimiter(requestLimit)) checkKeys('requestLimit', requestLimit, REQUEST_LIMIT_KEYS);
  if (notInstalledLimit !== undefined && notInstalledLimit !== false) checkNotInstalledLimit(notInstalledLimit);
  if (revokeKeysSeenInCleartext !== undefined && typeof revokeKeysSeenInCleartext !== 'boolean') fail('option "revokeKeysSeenInCleartext" must be a boolean.');
  if (revokeKeysSeenInCleartext === true && typeof store.revokeKey !== 'function') {
    fail('option "revokeKeysSeenInCleartext" needs a store with a revokeKey(applicationId, keyId) method, such as createPrismaStore(prisma).');
  }
  if (onCleartextKeyRevoked !== undefined && typeof onCleartextKeyRevoked !== 'function') fail('option "onCleartextKeyRevoked" must be a function.');
  if (onCleartextRevocationFailed !== undefined && typeof onCleartextRevocationFailed !== 'function') fail('option "onCleartextRevocationFailed" must be a function.');
  if (onAuthenticated !== undefined && typeof onAuthenticated !== 'function') fail('option "onAuthenticated" must be a function (identity) => void.');
  if (routes !== undefined && routes !== null && (typeof routes !== 'object' || Object.values(routes).some((requirement) => !Array.isArray(requirement?.capabilities) || !Array.isArray(requirement?.privileges)))) {
    fail('option "routes" must map paths to { capabilities: [], privileges: [] }, e.g. twakeV1Routes.');
  }
  if (routes !== undefined && routes !== null && Object.values(routes).some((requirement) => requirement.methods !== undefined && !isMethodList(requirement.methods))) {
    fail('option "routes": a route\'s "methods" must be a non-empty array of upper-case methods such as ["POST"], or absent for any method.');
  }
  if (onDecision !== undefined && onDecision !== null && typeof onDecision !== 'function') fail('option "onDecision" must be a function (decision) => void.');
  if (now !== undefined && typeof now !== 'function') fail('option "now" must be a function returning milliseconds.');
  if (nodeRoutes !== undefined && nodeRoutes !== null && (!Array.isArray(nodeRoutes) || nodeRoutes.some((route: unknown) => typeof (route as { path?: unknown })?.path !== 'string'))) {
    fail('option "nodeRoutes" must be a list of routes such as twakeNodeRoutes.');
  }
  const clock = now ?? Date.now;
  const tokenSettings = tokens === undefined || tokens === null ? null : parseTokenOptions(tokens);

  return Object.freeze({
    store,
    mode: mode ?? modeFromEnvironment(process.env.NODE_ENV),
    isSecure: isSecure ?? isSecureRequest,
    realm: realm ?? DEFAULT_REALM,
    bodyLimit: bodyLimit ?? DEFAULT_BODY_LIMIT,
    unreadBodies: unreadBodies ?? 'refuse',
    bodyTimeoutMs: bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    throttle: throttle === false ? null : isThrottle(throttle) ? throttle : createFailureThrottle(throttle ?? {}),
    requestLimit: requestLimit === undefined || requestLimit === false ? null : isRequestLimiter(requestLimit) ? requestLimit : createRequestLimiter(requestLimit),
    notInstalled: notInstalledLimit === false ? null : createNotInstalledBudget({ ...DEFAULT_NOT_INSTALLED_LIMIT, ...omitUndefined(notInstalledLimit ?? {}) }),
    revokeKeysSeenInCleartext: revokeKeysSeenInCleartext ?? false,
    onCleartextKeyRevoked: onCleartextKeyRevoked ?? (() => undefined),
    onCleartextRevocationFailed: onCleartextRevocationFailed ?? (() => undefined),
    onAuthenticated: onAuthenticated ?? (() => undefined),
    onDecision: onDecision ?? null,
    routes: routes ?? null,
    nodeRoutes: nodeRoutes ?? null,
    tokens: tokenSettings === null ? null : Object.freeze({ settings: tokenSettings, verifier: createTokenVerifier(tokenSettings, clock) }),
    now: clock,
  });
}

// A route's methods: upper case, as they are compared with the request's (RFC 9110 §9.1: case-sensitive).
function isMethodList(methods: unknown): boolean {
  return Array.isArray(methods) && methods.length > 0 && methods.every((method) => typeof method === 'string' && /^[A-Z]+$/.test(method));
}
