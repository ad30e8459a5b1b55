// The validator's decision for one request, in the documented order, independent of Express.
import {
  ApplicationTokenRequiredError,
  bearerChallenge,
  HttpsRequiredError,
  InvalidCredentialsError,
  IpNotAllowedError,
  MissingCapabilityError,
  MethodNotAllowedError,
  MissingPrivilegeError,
  InvalidGroupIdError,
  MissingCredentialsError,
  MissingGroupIdError,
  NotInstalledError,
  InternalError,
  StoreUnavailableError,
  TooManyFailuresError,
  TooManyNotInstalledError,
  TooManyRequestsError,
  TwakeAuthError,
} from './errors';
import type { ThrottleVerdict } from '../limits/failure-throttle';
import type { GroupIdResult } from './group-id';
import type { Configuration } from './options';
import { parseAuthorization } from './parse-authorization';
import type { ApplicationRecord, CleartextKeyEvent, Decision, Grants, HeldApplication, LoadedApplication, StoreAnswer, StoredKey, TwakeIdentity } from './types';
import { ipAllowed } from './allowed-ips';
import { grantsOf } from './grants';
import { missingFrom, type Requirement } from '../twake/twake-v1';
import { matchingKeys, verifyKey } from './verify-key';
import type { TokenClaims, TokenType } from '../tokens/claims';
import { parseBearer } from '../tokens/parse-bearer';
import { USER_TOKEN } from '../tokens/verify-token';

/** What the validator needs to know about a request. */
export interface RequestFacts {
  /** Whether the request arrived over HTTPS (or needs not: development mode). */
  readonly secure: boolean;
  /** The `Authorization` header value. */
  readonly authorization: string | undefined;
  /** Client address, as Express's `trust proxy` setting resolves it. */
  readonly clientIp: string;
  /** What the route requires granted (from a route table), or null/absent for nothing beyond the installation. */
  readonly requirement?: Requirement | null;
  /** A refusal earned by the request line alone (a path too long to read), answered before anything else. */
  readonly refusal?: TwakeAuthError | null;
  /**
   * The company the request names, or a function that finds it: it may have to read the body, which is
   * left until the credentials have passed their syntax check and the throttle.
   */
  readonly company: CompanyFacts | (() => Promise<CompanyFacts>);
}

/** The company a request names, and any refusal its body earned (answered only after authentication). */
export interface CompanyFacts {
  readonly groupId: GroupIdResult;
  readonly bodyError?: TwakeAuthError | null;
}

/**
 * The store's answer, with its failures turned into 503s. An answer given synchronously (a cache hit)
 * is returned as it is, not through a promise: resolving a promise with a record costs a `then` look-up
 * that resolving with null does not, and that difference alone lets a timer tell a known public_id
 * from an unknown one (see docs/security.md, timing).
 */
function lookUp(config: Configuration, publicId: string, companyId: string | null): StoreAnswer {
  let answer: StoreAnswer;
  try {
    answer = config.store.findApplication(publicId, companyId);
  } catch (cause) {
    throw new StoreUnavailableError(cause);
  }
  if (answer instanceof Promise || isThenable(answer)) {
    return Promise.resolve(answer).catch((cause: unknown) => {
      throw new StoreUnavailableError(cause);
    });
  }
  return answer;
}

// A store may hand back another library's promise (typed as a Promise, not one at run time).
function isThenable(answer: ApplicationRecord | null): answer is ApplicationRecord & PromiseLike<ApplicationRecord | null> {
  return answer !== null && typeof (answer as { then?: unknown }).then === 'function';
}

// Throttling fails open: when its counters cannot be read (Redis down and no fallback), authentication
// still runs in full, so the worst case is an attacker trying keys at network speed against 2^256.
async function checkThrottle(config: Configuration, ip: string, publicId: string | null): Promise<ThrottleVerdict | null> {
  if (config.throttle === null) return null;
  try {
    return await config.throttle.check(ip, publicId);
  } catch {
    return null;
  }
}

// Fails open like the throttle: a limiter that cannot count does not turn valid calls away.
async function consumeRequest(config: Configuration, applicationId: string): Promise<ThrottleVerdict | null> {
  if (config.requestLimit === null) return null;
  try {
    return await config.requestLimit.consume(applicationId);
  } catch {
    return null;
  }
}

async function recordFailure(config: Configuration, ip: string, publicId: string | null): Promise<void> {
  await config.throttle?.recordFailure(ip, publicId).catch(() => undefined);
}

/**
 * Refuses credentials that did not verify: 429 when the client (or, for a known claim, the public id) is
 * past its failure budget, otherwise 401, counting the failure. Only wrong keys spend these budgets.
 */
async function refuseCredentials(config: Configuration, ip: string, publicId: string | null, challenge?: string): Promise<never> {
  const verdict = await checkThrottle(config, ip, publicId);
  if (verdict !== null) throw new TooManyFailuresError(verdict);
  await recordFailure(config, ip, publicId);
  throw new InvalidCredentialsError(config.realm, challenge);
}

// A listener's failure must not change the decision, nor tell a valid key from a wrong one.
// The value is passed rather than captured, so that the hot path builds no closure to tell a listener.
function tell<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch {
    // ignored, as documented for every listener
  }
}

// How often, and after how long, a revocation that failed is tried again.
const REVOCATION_RETRY_DELAYS_MS = [1000, 5000, 30_000];

/**
 * Runs `task`; when it fails, reports the failure as `event`'s and runs it again after each delay in turn.
 * Resolves after the first attempt. Called inside `then`, so that a store throwing at once fails like one
 * rejecting: reported, tried again.
 */
function withRetries(config: Configuration, event: CleartextKeyEvent, task: () => Promise<void>, attempt = 0): Promise<void> {
  return Promise.resolve()
    .then(task)
    .catch((error: unknown) => {
      const delay = REVOCATION_RETRY_DELAYS_MS[attempt];
      tell((failure) => config.onCleartextRevocationFailed(event, failure, delay !== undefined), error);
      if (delay !== undefined) setTimeout(() => void withRetries(config, event, task, attempt + 1), delay).unref();
    });
}

function revokeWithRetries(config: Configuration, event: CleartextKeyEvent): Promise<void> {
  const revokeKey = config.store.revokeKey as NonNullable<typeof config.store.revokeKey>;
  return withRetries(config, event, async () => {
    // A store that says it revoked nothing (already revoked, by another request or instance) is not reported.
    if ((await revokeKey.call(config.store, event.applicationId, event.keyId)) !== false) tell(config.onCleartextKeyRevoked, event);
  });
}

// How many times the application is looked up again after its rows holding a leaked key were revoked.
const MAX_REVOCATION_PASSES = 3;

/**
 * Revokes a leaked key from `keys`, the rows of `record` that hold it, then from every other row that holds
 * it: the record at hand may come from the cache and miss a row written since, so the application is
 * looked up again after each pass (the revocation has emptied the cache entry) until no row left holds it.
 */
async function revokeLeakedKey(config: Configuration, record: ApplicationRecord, privateKey: string, keys: StoredKey[]): Promise<void> {
  const tried = new Set<string>();
  let pending = keys;
  for (let pass = 0; pass < MAX_REVOCATION_PASSES && pending.length > 0; pass += 1) {
    for (const key of pending) {
      tried.add(key.id);
      await revokeWithRetries(config, { publicId: record.publicId, applicationId: record.id, keyId: key.id });
    }
    const current = await lookUp(config, record.publicId, null);
    pending = current === null ? [] : matchingKeys(current, privateKey).filter((key) => !tried.has(key.id));
  }
}

/**
 * A valid key seen over plain HTTP must be treated as leaked (draft-ietf-httpapi-privacy): revoke it.
 * Counted as a failure of the client, so that plain-HTTP floods are throttled like any other; past the
 * budget nothing is looked up. Whatever happens here the caller answers the same 403, so that the answer
 * does not reveal validity, and without waiting for the revocation: a write held up by a lock would
 * otherwise hold the 403 back, and its delay would tell a valid key. A failed revocation is reported and
 * tried again.
 */
async function revokeIfValid(config: Configuration, ip: string, authorization: string | undefined): Promise<void> {
  const parsed = parseAuthorization(authorization);
  if (parsed.status !== 'ok') return;
  await revokeCredentialsIfValid(config, ip, parsed.credentials.publicId, parsed.credentials.privateKey);
}

async function revokeCredentialsIfValid(config: Configuration, ip: string, publicId: string, privateKey: string): Promise<void> {
  if (config.store.revokeKey === undefined) return;
  if ((await checkThrottle(config, ip, null)) !== null) return;
  await recordFailure(config, ip, null);
  // A lookup that fails (the first, or one after revoking) is reported and the whole revocation tried
  // again; until the application is found, the event names only the public id.
  const unresolved: CleartextKeyEvent = Object.freeze({ publicId, applicationId: '', keyId: '' });
  void withRetries(config, unresolved, () => revokeLeakedKeyOf(config, publicId, privateKey));
}

async function revokeLeakedKeyOf(config: Configuration, publicId: string, privateKey: string): Promise<void> {
  const held = config.store.peekApplication?.(publicId);
  const record = held?.fresh === true ? held.record : await lookUp(config, publicId, null);
  // A leaked key is revoked even if expired or its application disabled: either may change back.
  if (record === null) return;
  const keys = matchingKeys(record, privateKey);
  if (keys.length > 0) await revokeLeakedKey(config, record, privateKey, keys);
}

const readCompany = (facts: RequestFacts): CompanyFacts | Promise<CompanyFacts> => (typeof facts.company === 'function' ? facts.company() : facts.company);
const companyIdOf = (company: CompanyFacts): string | null => (company.groupId.status === 'ok' ? company.groupId.companyId : null);

/** The application and the key it accepts, with the company its lookup answered for (if any). */
interface Verified {
  record: ApplicationRecord | null;
  key: StoredKey | null;
  /** Set when the lookup was made for the request's company (then `record.installed` answers for it). */
  company: CompanyFacts | null;
}

/** The application from the store, for a public id the cache does not hold fresh (`held`: what it holds, expired). */
async function verifyCredentials(config: Configuration, facts: RequestFacts, publicId: string, privateKey: string, held: HeldApplication | undefined): Promise<Verified> {
  const now = config.now();
  // The store will be queried. A client past its failure budget gets there only with a key that an
  // application held (if expired) accepts: floods stop here, correct keys do not.
  const vouched = held !== undefined && verifyKey(held.record, privateKey, now) !== null;
  if (!vouched) {
    const verdict = await checkThrottle(config, facts.clientIp, null);
    if (verdict !== null) throw new TooManyFailuresError(verdict);
  }
  // One lookup brings the application, its keys and the installation together, when the company is
  // known without reading the body; a body is read only once the key has been verified.
  const known = typeof facts.company === 'function' ? null : facts.company;
  const companyId = known === null ? null : companyIdOf(known);
  if (config.store.loadApplication !== undefined) {
    let loaded: LoadedApplication;
    try {
      loaded = await config.store.loadApplication(publicId, companyId);
    } catch (cause) {
      throw new StoreUnavailableError(cause);
    }
    // A shared lookup may have been made for another company: then the installation is asked later.
    const company = loaded.companyId === companyId && companyId !== null ? known : null;
    return { record: loaded.record, key: verifyKey(loaded.record, privateKey, now), company };
  }
  const answer = lookUp(config, publicId, companyId);
  const record = answer instanceof Promise ? await answer : answer;
  return { record, key: verifyKey(record, privateKey, now), company: known };
}

/** The store's installation answer (null: not installed), from memory when it holds one; store failures as 503s. */
function findInstallation(config: Configuration, publicId: string, companyId: string): Grants | null | Promise<Grants | null> {
  const { findInstallation: find } = config.store;
  if (find === undefined) {
    const answer = lookUp(config, publicId, companyId);
    return answer instanceof Promise ? answer.then(grantsOf) : grantsOf(answer);
  }
  let answer: Grants | null | Promise<Grants | null>;
  try {
    answer = find.call(config.store, publicId, companyId);
  } catch (cause) {
    throw new StoreUnavailableError(cause);
  }
  return !(answer instanceof Promise)
    ? answer
    : answer.catch((cause: unknown) => {
        throw new StoreUnavailableError(cause);
      });
}

/**
 * The installation in `companyId` of a verified application. A lookup that finds it not installed is
 * counted against the application's budget; past the budget, only companies held in memory are answered.
 */
function installationIn(config: Configuration, record: ApplicationRecord, companyId: string): Grants | null | Promise<Grants | null> {
  const budget = config.notInstalled;
  if (budget === null) return findInstallation(config, record.publicId, companyId);
  const verdict = budget.check(record.id, companyId, config.now);
  if (verdict !== null) {
    const held = config.store.peekInstallation?.(record.publicId, companyId);
    if (held === undefined) throw new TooManyNotInstalledError(verdict);
    return held;
  }
  const answer = findInstallation(config, record.publicId, companyId);
  if (!(answer instanceof Promise)) return answer;
  return answer.then((grants) => {
    if (grants === null) budget.record(record.id, companyId, config.now());
    return grants;
  });
}

/** The installation in `companyId` of the verified application, from the lookup when it already says. */
async function installationOf(config: Configuration, verified: Verified, record: ApplicationRecord, companyId: string): Promise<Grants | null> {
  if (verified.company === null) return installationIn(config, record, companyId);
  const grants = grantsOf(record);
  if (grants === null) config.notInstalled?.record(record.id, companyId, config.now());
  return grants;
}

/**
 * Refuses (403 `ip_not_allowed`) a client outside the application's allowed IPs; the address (a `trust
 * proxy` evaluation, behind a getter) is read only for applications that restrict it. Every route that
 * has checked a key or a token applies it: the API calls, and the login, renewal and `me` routes.
 */
export function refuseOutsideAllowedIps(record: ApplicationRecord, clientIp: string | (() => string)): void {
  const allowedIps = record.allowedIps;
  if (allowedIps === undefined || allowedIps.length === 0) return;
  if (!ipAllowed(allowedIps, typeof clientIp === 'string' ? clientIp : clientIp())) throw new IpNotAllowedError();
}

/**
 * The identity of a request let through, once the company has been checked: installed, from an allowed
 * address, and granted what the route requires. The client address (a `trust proxy` evaluation) is
 * read only for applications that restrict it.
 */
function identityOf(config: Configuration, facts: RequestFacts, record: ApplicationRecord, key: StoredKey, companyId: string, grants: Grants | null): TwakeIdentity {
  if (grants === null) throw new NotInstalledError();
  // Checked here before the address is read: `facts.clientIp` may be a getter that evaluates `trust proxy`.
  if (record.allowedIps !== undefined && record.allowedIps.length > 0) refuseOutsideAllowedIps(record, facts.clientIp);
  const requirement = facts.requirement;
  if (requirement != null) {
    const capabilities = missingFrom(requirement.capabilities, grants.capabilities);
    if (capabilities.length > 0) throw new MissingCapabilityError(capabilities);
    const privileges = missingFrom(requirement.privileges, grants.privileges);
    if (privileges.length > 0) throw new MissingPrivilegeError(privileges);
  }
  const identity: TwakeIdentity = Object.freeze({
    applicationId: record.id,
    publicId: record.publicId,
    name: record.name,
    keyId: key.id,
    companyId,
    capabilities: grants.capabilities,
    privileges: grants.privileges,
  });
  tell(config.onAuthenticated, identity);
  return identity;
}

/** The company, once the key is verified: refused when the body was bad or the company missing or invalid. */
function checkedCompany(company: CompanyFacts): string {
  if (company.bodyError) throw company.bodyError;
  if (company.groupId.status === 'missing') throw new MissingGroupIdError();
  if (company.groupId.status === 'invalid') throw new InvalidGroupIdError();
  return company.groupId.companyId;
}

/** Everything after a verified key that may have to wait: request budget, body, installation. */
async function afterKey(config: Configuration, facts: RequestFacts, verified: Verified, record: ApplicationRecord, key: StoredKey): Promise<TwakeIdentity> {
  const overBudget = await consumeRequest(config, record.id);
  if (overBudget !== null) throw new TooManyRequestsError(overBudget);
  const companyId = checkedCompany(verified.company ?? (await readCompany(facts)));
  return identityOf(config, facts, record, key, companyId, await installationOf(config, verified, record, companyId));
}

async function decideFromStore(config: Configuration, facts: RequestFacts, publicId: string, privateKey: string, held: HeldApplication | undefined): Promise<TwakeIdentity> {
  const verified = await verifyCredentials(config, facts, publicId, privateKey, held);
  const { record, key } = verified;
  if (key === null || record === null) return refuseCredentials(config, facts.clientIp, publicId);
  config.store.holdVerified?.(record);
  return afterKey(config, facts, verified, record, key);
}

/**
 * The key a verified token stands for: the key it names, while that key is neither revoked (the store
 * lists only unrevoked keys) nor expired and the application enabled; for a token that names none (issued
 * by Twake's own backend), the application's first live key. A token therefore dies with its key, within
 * the same bounds as the key itself (the cache and its change notifications).
 */
function keyOfToken(record: ApplicationRecord | null, claims: TokenClaims, now: number): StoredKey | null {
  if (record === null || !record.enabled) return null;
  const live = (key: StoredKey) => key.expiresAt === null || key.expiresAt.getTime() > now;
  return record.keys.find((key) => (claims.keyId === null || key.id === claims.keyId) && live(key)) ?? null;
}

/** A token verified, with its application and key, looked up for `companyId` (null: for no company). */
interface VerifiedToken {
  readonly claims: TokenClaims;
  readonly record: ApplicationRecord;
  readonly key: StoredKey;
}

/**
 * Verifies a Bearer token of `type` and finds the application and key it stands for; refuses with a 401
 * (counted by the failure throttle like a wrong key, 429 past the budget) otherwise.
 */
export async function verifyToken(config: Configuration, clientIp: string, token: string | null, type: TokenType, companyId: string | null): Promise<VerifiedToken> {
  // Without tokens configured, Bearer is not offered: the refusal challenges for Basic, as before.
  const challenge = config.tokens === null ? undefined : bearerChallenge(config.realm);
  const claims = token === null || config.tokens === null ? null : await config.tokens.verifier.verify(token, type);
  if (claims === null) return refuseCredentials(config, clientIp, null, challenge);
  // A valid user token: Twake's applications API answers 403, "log in as an application".
  if (claims === USER_TOKEN) throw new ApplicationTokenRequiredError();
  const answer = lookUp(config, claims.publicId, companyId);
  const record = answer instanceof Promise ? await answer : answer;
  const key = keyOfToken(record, claims, config.now());
  if (record === null || key === null) return refuseCredentials(config, clientIp, claims.publicId, challenge);
  return { claims, record, key };
}

/** The decision for a Bearer request: the token instead of the key, then every check Basic makes. */
async function decideBearer(config: Configuration, facts: RequestFacts, token: string | null): Promise<TwakeIdentity> {
  const known = typeof facts.company === 'function' ? null : facts.company;
  const companyId = known === null ? null : companyIdOf(known);
  const { record, key } = await verifyToken(config, facts.clientIp, token, 'access', companyId);
  return afterKey(config, facts, { record, key, company: companyId === null ? null : known }, record, key);
}

/**
 * Checks an application's id and key as Basic does (same digest, constant-time comparison, failure
 * throttle, store faults as 503) for the token login, without a company. Gives the record and the key,
 * or rejects with the refusal Basic would give (401, 429, 503).
 */
export async function authenticateKey(config: Configuration, clientIp: string, publicId: string, privateKey: string): Promise<{ record: ApplicationRecord; key: StoredKey }> {
  const held = config.store.peekApplication?.(publicId);
  const facts: RequestFacts = { secure: true, authorization: undefined, clientIp, company: NO_COMPANY };
  const verified =
    held?.fresh === true ? { record: held.record, key: verifyKey(held.record, privateKey, config.now()) } : await verifyCredentials(config, facts, publicId, privateKey, held);
  const { record, key } = verified;
  if (key === null || record === null) return refuseCredentials(config, clientIp, publicId);
  config.store.holdVerified?.(record);
  refuseOutsideAllowedIps(record, clientIp);
  const overBudget = await consumeRequest(config, record.id);
  if (overBudget !== null) throw new TooManyRequestsError(overBudget);
  return { record, key };
}

/** Refuses credentials that cannot be read (counted as a failure, as a malformed Basic header is). */
export function refuseUnreadableCredentials(config: Configuration, clientIp: string): Promise<never> {
  return refuseCredentials(config, clientIp, null);
}

/** Revokes a valid key seen in clear text (the login's body), as a Basic header seen so would be. */
export function revokeIfSeenInCleartext(config: Configuration, clientIp: string, publicId: string, privateKey: string): Promise<void> {
  if (!config.revokeKeysSeenInCleartext) return Promise.resolve();
  return revokeCredentialsIfValid(config, clientIp, publicId, privateKey);
}

const NO_COMPANY: CompanyFacts = Object.freeze({ groupId: Object.freeze({ status: 'missing' as const }) });

async function refuseCleartext(config: Configuration, facts: RequestFacts): Promise<never> {
  if (config.revokeKeysSeenInCleartext) await revokeIfValid(config, facts.clientIp, facts.authorization);
  throw new HttpsRequiredError();
}

/**
 * Decides a request: transport, credentials, key, then body and company, then installation. Gives the
 * identity when the request may go through; rejects with a {@link TwakeAuthError} otherwise (503
 * `store_unavailable` when the store fails, 500 `internal_error` for an error of our own). Never throws. When every step is answered from memory (a
 * cached application and installation, no body to read, no request limit), the identity is given at
 * once rather than through a promise: the warm path costs no promise and no microtask.
 */
export function decide(config: Configuration, facts: RequestFacts): TwakeIdentity | Promise<TwakeIdentity> {
  const onDecision = config.onDecision;
  if (onDecision === null) return decideNow(config, facts);
  const started = performance.now();
  const outcome = decideNow(config, facts);
  if (!(outcome instanceof Promise)) {
    tell(onDecision, decisionOf('ok', 200, started));
    return outcome;
  }
  return outcome.then(
    (identity) => {
      tell(onDecision, decisionOf('ok', 200, started));
      return identity;
    },
    (error: unknown) => {
      const failure = error instanceof TwakeAuthError ? error : new InternalError(error);
      tell(onDecision, decisionOf(failure.code, failure.status, started));
      throw failure;
    },
  );
}

const decisionOf = (code: string, status: number, started: number): Decision => ({ code, status, seconds: (performance.now() - started) / 1000 });

function decideNow(config: Configuration, facts: RequestFacts): TwakeIdentity | Promise<TwakeIdentity> {
  try {
    const refusal = facts.refusal;
    if (refusal && !(refusal instanceof MethodNotAllowedError)) throw refusal;
    if (!facts.secure && config.mode !== 'development') return refuseCleartext(config, facts);
    // A method the route does not take: after the transport, so that a key sent in clear is still revoked.
    if (refusal) throw refusal;
    const bearer = parseBearer(facts.authorization);
    if (bearer.status !== 'other') return decideBearer(config, facts, bearer.status === 'ok' ? bearer.token : null);
    const parsed = parseAuthorization(facts.authorization);
    if (parsed.status === 'missing') throw new MissingCredentialsError(config.realm);
    if (parsed.status === 'invalid') return refuseCredentials(config, facts.clientIp, null);
    const { publicId, privateKey } = parsed.credentials;

    const held = config.store.peekApplication?.(publicId);
    if (held?.fresh !== true) return decideFromStore(config, facts, publicId, privateKey, held);
    // Key first, from memory.
    const record = held.record;
    const key = verifyKey(record, privateKey, config.now());
    if (key === null || record === null) return refuseCredentials(config, facts.clientIp, publicId);
    if (config.requestLimit !== null || typeof facts.company === 'function') return afterKey(config, facts, { record, key, company: null }, record, key);

    const companyId = checkedCompany(facts.company);
    const installed = installationIn(config, record, companyId);
    if (!(installed instanceof Promise)) return identityOf(config, facts, record, key, companyId, installed);
    return installed.then((answer) => identityOf(config, facts, record, key, companyId, answer));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Runs `onIdentity` at once for an identity given at once, later for one given through a promise, and
 * `onRefusal` for a refusal. Whatever those throw goes to `onFault` (Express's `next`), never to an
 * unhandled rejection.
 */
export function whenDecided(
  outcome: TwakeIdentity | Promise<TwakeIdentity>,
  onIdentity: (identity: TwakeIdentity) => void,
  onRefusal: (error: unknown) => void,
  onFault: (error: unknown) => void,
): void {
  if (outcome instanceof Promise) {
    outcome.then(onIdentity, onRefusal).catch(onFault);
    return;
  }
  try {
    onIdentity(outcome);
  } catch (error) {
    onFault(error);
  }
}
