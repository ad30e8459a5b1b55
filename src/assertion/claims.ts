// The claims of an identity assertion: what forward-auth signs and what a backend reads back.
import { isValidCompanyId } from '../core/group-id';
import type { TwakeIdentity } from '../core/types';

/** The JWS `typ` of an assertion: a verifier refuses any other token signed with the same keys. */
export const ASSERTION_TYPE = 'twake-assertion+jwt';
/** Longest lifetime an assertion may have, in seconds. */
export const MAX_ASSERTION_TTL_SECONDS = 60;
/**
 * Largest original path an assertion is signed for, in bytes as the claim encodes it (JSON-escaped,
 * UTF-8): a larger one is refused (414) rather than answered with a header a proxy's buffers cannot hold
 * (nginx reads an auth response's headers into `proxy_buffer_size`, 4 or 8 KB by default). Counting the
 * encoded size matters: a backslash or a quote takes two bytes in the claim, a Latin-1 byte two. Real API
 * paths are far smaller.
 */
export const MAX_BOUND_PATH_LENGTH = 2048;

/** Whether `path`, encoded in an assertion's claims, stays within {@link MAX_BOUND_PATH_LENGTH}. */
export function fitsInAssertion(path: string): boolean {
  // The cheap bound first: no character encodes in fewer than one byte.
  if (path.length > MAX_BOUND_PATH_LENGTH) return false;
  return Buffer.byteLength(JSON.stringify(path)) - 2 <= MAX_BOUND_PATH_LENGTH;
}

/** Header that carries the assertion from forward-auth, through the proxy, to the backend. */
export const ASSERTION_HEADER = 'X-Twake-Assertion';

/** The request an assertion was issued for: it is valid for this method and path only. */
export interface BoundRequest {
  /** The HTTP method, upper case as sent. */
  readonly method: string;
  /** The path as the backend receives it, without the query: compared byte for byte. */
  readonly path: string;
}

/**
 * The claims beyond the registered ones (`iss`, `aud`, `iat`, `exp`, `sub` = application id), flat and
 * snake_case so that any JWT library reads them. @public
 */
export interface AssertionClaims {
  readonly sub: string;
  readonly public_id: string;
  readonly company_id: string;
  readonly key_id: string;
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly privileges: readonly string[];
  readonly method: string;
  readonly path: string;
}

export function claimsOf(identity: TwakeIdentity, request: BoundRequest): AssertionClaims {
  return {
    sub: identity.applicationId,
    public_id: identity.publicId,
    company_id: identity.companyId,
    key_id: identity.keyId,
    name: identity.name,
    capabilities: identity.capabilities,
    privileges: identity.privileges,
    method: request.method,
    path: request.path,
  };
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';
const isNameList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isNonEmptyString);

/**
 * The identity and bound request a verified payload holds, or null when a claim is missing or of the wrong
 * shape: a signed payload is trusted for what it says, not for its shape.
 */
export function identityOfClaims(payload: Record<string, unknown>): { identity: TwakeIdentity; request: BoundRequest } | null {
  const { sub, public_id, company_id, key_id, name, capabilities, privileges, method, path } = payload;
  if (!isNonEmptyString(sub) || !isNonEmptyString(public_id) || !isNonEmptyString(key_id) || !isString(name)) return null;
  if (!isValidCompanyId(company_id) || !isNameList(capabilities) || !isNameList(privileges)) return null;
  if (!isNonEmptyString(method) || !isString(path) || !path.startsWith('/')) return null;
  const identity: TwakeIdentity = Object.freeze({
    applicationId: sub,
    publicId: public_id,
    name,
    keyId: key_id,
    companyId: company_id,
    capabilities: Object.freeze([...capabilities]),
    privileges: Object.freeze([...privileges]),
  });
  return { identity, request: { method, path } };
}
