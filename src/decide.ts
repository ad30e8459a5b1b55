// The validator's decision for one request, in the documented order, independent of Express.
import {
  HttpsRequiredError,
  InvalidCredentialsError,
  InvalidGroupIdError,
  MissingCredentialsError,
  MissingGroupIdError,
  NotInstalledError,
  StoreUnavailableError,
  TooManyFailuresError,
  TooManyRequestsError,
  type TwakeAuthError,
} from './errors';
import type { ThrottleVerdict } from './failure-throttle';
import type { GroupIdResult } from './group-id';
import type { Configuration } from './options';
import { parseAuthorization } from './parse-authorization';
import type { ApplicationRecord, StoreAnswer, TwakeIdentity } from './types';
import { verifyKey } from './verify-key';

/** What the validator needs to know about a request. */
export interface RequestFacts {
  /** Whether the request arrived over HTTPS. */
  readonly secure: boolean;
  /** The `Authorization` header value. */
  readonly authorization: string | undefined;
  /** Client address, as Express's `trust proxy` setting resolves it. */
  readonly clientIp: string;
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
 * A valid key seen over plain HTTP must be treated as leaked (draft-ietf-httpapi-privacy): revoke it.
 * Whatever happens here, the caller answers the same 403, so that the answer does not reveal validity.
 */
async function revokeIfValid(config: Configuration, authorization: string | undefined): Promise<void> {
  const parsed = parseAuthorization(authorization);
  if (parsed.status !== 'ok' || config.store.revokeKey === undefined) return;
  let record: ApplicationRecord | null;
  try {
    record = await lookUp(config, parsed.credentials.publicId, null);
  } catch {
    return;
  }
  const key = verifyKey(record, parsed.credentials.privateKey, config.now());
  if (record === null || key === null) return;
  await config.store.revokeKey(record.id, key.id);
  config.onCleartextKeyRevoked({ publicId: record.publicId, applicationId: record.id, keyId: key.id });
}

/**
 * Decides a request: transport, credentials, key, company. Resolves the identity when the request may go
 * through; rejects with a {@link TwakeAuthError} otherwise (503 `store_unavailable` when the store fails).
 */
export async function decide(config: Configuration, facts: RequestFacts): Promise<TwakeIdentity> {
  if (!facts.secure && config.mode !== 'development') {
    if (config.revokeKeysSeenInCleartext) await revokeIfValid(config, facts.authorization);
    throw new HttpsRequiredError();
  }

  const parsed = parseAuthorization(facts.authorization);
  if (parsed.status === 'missing') throw new MissingCredentialsError(config.realm);
  const claimedPublicId = parsed.status === 'ok' ? parsed.credentials.publicId : null;
  // Before the store is queried: a client or application past its failure budget costs nothing more.
  const verdict = await checkThrottle(config, facts.clientIp, claimedPublicId);
  if (verdict !== null) throw new TooManyFailuresError(verdict);
  if (parsed.status === 'invalid') {
    await recordFailure(config, facts.clientIp, null);
    throw new InvalidCredentialsError(config.realm);
  }

  const { publicId, privateKey } = parsed.credentials;
  const company = typeof facts.company === 'function' ? await facts.company() : facts.company;
  const companyId = company.groupId.status === 'ok' ? company.groupId.companyId : null;
  // One lookup brings the application, its keys and the installation together.
  const answer = lookUp(config, publicId, companyId);
  const record = answer instanceof Promise ? await answer : answer;
  const key = verifyKey(record, privateKey, config.now());
  if (key === null || record === null) {
    await recordFailure(config, facts.clientIp, publicId);
    throw new InvalidCredentialsError(config.realm);
  }

  const overBudget = await consumeRequest(config, record.id);
  if (overBudget !== null) throw new TooManyRequestsError(overBudget);

  if (company.bodyError) throw company.bodyError;
  if (company.groupId.status === 'missing') throw new MissingGroupIdError();
  if (company.groupId.status === 'invalid' || companyId === null) throw new InvalidGroupIdError();
  if (!record.installed) throw new NotInstalledError();

  const identity: TwakeIdentity = Object.freeze({
    applicationId: record.id,
    publicId: record.publicId,
    name: record.name,
    keyId: key.id,
    companyId,
  });
  try {
    config.onAuthenticated(identity);
  } catch {
    // A listener's failure must not change the decision.
  }
  return identity;
}
