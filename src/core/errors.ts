// Error classes for every refusal the validator can give, each with one status and one stable code.
import type { ThrottleVerdict } from '../limits/rate-limiters';

/** Twake's legacy error codes, echoed as `twake_error` so clients written against Twake recognise failures. */
const LEGACY_BAD_CREDENTIALS = 'unknown_application_or_bad_private_key';
const LEGACY_BAD_GROUP = 'you_need_to_provide_a_valid_group_id_field_in_any_api_request';

/**
 * Base class of every refusal. `status` is the HTTP status, `code` the stable machine-readable code,
 * `headers` any header the response must carry (the Basic challenge on 401).
 *
 * @public
 */
export class TwakeAuthError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly twakeError: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Names the request lacks (capabilities or privileges), listed in the problem body; empty otherwise. */
  readonly missing: readonly string[];
  /** Safe to show to the client: always true, the messages never contain request data. */
  readonly expose = true;

  constructor(
    status: number,
    code: string,
    title: string,
    options: { twakeError?: string; headers?: Record<string, string>; cause?: unknown; missing?: readonly string[] } = {},
  ) {
    super(title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = this.constructor.name;
    this.status = status;
    this.code = code;
    this.title = title;
    this.twakeError = options.twakeError ?? code;
    this.headers = options.headers ?? {};
    this.missing = options.missing ?? [];
  }
}

/** 403: a valid token that is not an application's (a Twake user's token): Twake answers the same. @public */
export class ApplicationTokenRequiredError extends TwakeAuthError {
  constructor() {
    super(403, 'application_token_required', 'An application token is required');
  }
}

/** 403: the client address is outside the application's allowed IPs. @public */
export class IpNotAllowedError extends TwakeAuthError {
  constructor() {
    super(403, 'ip_not_allowed', 'Client address not allowed for this application');
  }
}

/** 403: the route needs capabilities the company did not grant; `missing` names them. @public */
export class MissingCapabilityError extends TwakeAuthError {
  constructor(missing: readonly string[]) {
    super(403, 'missing_capability', 'Capabilities not granted to this application', { twakeError: 'you_do_not_have_this_set_of_required_capabilities', missing });
  }
}

/** 403: the route needs privileges the company did not grant; `missing` names them. @public */
export class MissingPrivilegeError extends TwakeAuthError {
  constructor(missing: readonly string[]) {
    super(403, 'missing_privilege', 'Privileges not granted to this application', { twakeError: 'you_do_not_have_this_set_of_required_privileges', missing });
  }
}

/** 403: the request did not arrive over HTTPS (outside development mode). @public */
export class HttpsRequiredError extends TwakeAuthError {
  constructor() {
    super(403, 'https_required', 'HTTPS is required');
  }
}

/** Builds the RFC 7617 challenge sent with every 401. */
export function basicChallenge(realm: string): string {
  return `Basic realm="${realm.replace(/["\\]/g, '\\$&')}", charset="UTF-8"`;
}

/** Builds the RFC 6750 §3 challenge sent with a 401 to a Bearer token that cannot be used. */
export function bearerChallenge(realm: string): string {
  return `Bearer realm="${realm.replace(/["\\]/g, '\\$&')}", error="invalid_token"`;
}

/** 401: no Authorization header at all. @public */
export class MissingCredentialsError extends TwakeAuthError {
  constructor(realm: string) {
    super(401, 'missing_credentials', 'Authentication required', {
      twakeError: LEGACY_BAD_CREDENTIALS,
      headers: { 'WWW-Authenticate': basicChallenge(realm) },
    });
  }
}

/**
 * 401: credentials that cannot be used, whatever the reason (malformed, unknown application, wrong,
 * expired or revoked key, disabled application). One class so that the reasons cannot be told apart.
 *
 * @public
 */
export class InvalidCredentialsError extends TwakeAuthError {
  /** @param challenge - the `WWW-Authenticate` value; defaults to the Basic challenge of `realm`. */
  constructor(realm: string, challenge?: string) {
    super(401, 'invalid_credentials', 'Invalid credentials', {
      twakeError: LEGACY_BAD_CREDENTIALS,
      headers: { 'WWW-Authenticate': challenge ?? basicChallenge(realm) },
    });
  }
}

/** 400: no `group_id` in the body or the query string. @public */
export class MissingGroupIdError extends TwakeAuthError {
  constructor() {
    super(400, 'missing_group_id', 'group_id is required', { twakeError: LEGACY_BAD_GROUP });
  }
}

/** 400: `group_id` is not one non-empty string, or the body and the query string disagree. @public */
export class InvalidGroupIdError extends TwakeAuthError {
  constructor() {
    super(400, 'invalid_group_id', 'group_id must be one valid company id, the same everywhere the request names it', { twakeError: LEGACY_BAD_GROUP });
  }
}

/** 403: the application is not installed in that company (or the company does not exist). @public */
export class NotInstalledError extends TwakeAuthError {
  constructor() {
    super(403, 'not_installed', 'Application not installed in this company', { twakeError: LEGACY_BAD_GROUP });
  }
}

// Retry-After, and the IETF RateLimit-Policy / RateLimit fields in structured-field form.
function rateLimitHeaders(verdict: ThrottleVerdict): Record<string, string> {
  return {
    'Retry-After': String(verdict.retryAfterSeconds),
    'RateLimit-Policy': `"${verdict.policy}";q=${verdict.limit};w=${verdict.windowSeconds}`,
    RateLimit: `"${verdict.policy}";r=0;t=${verdict.retryAfterSeconds}`,
  };
}

/**
 * 429: too many failed authentications from this client or for this application. Carries `Retry-After`
 * and the IETF `RateLimit-Policy` / `RateLimit` fields (structured-field form).
 *
 * @public
 */
export class TooManyFailuresError extends TwakeAuthError {
  constructor(verdict: ThrottleVerdict) {
    super(429, 'too_many_failures', 'Too many failed authentications', { twakeError: LEGACY_BAD_CREDENTIALS, headers: rateLimitHeaders(verdict) });
  }
}

/** 429: the application has used its request budget for this window (`requestLimit`). Same headers. @public */
export class TooManyRequestsError extends TwakeAuthError {
  constructor(verdict: ThrottleVerdict) {
    super(429, 'too_many_requests', 'Too many requests for this application', { headers: rateLimitHeaders(verdict) });
  }
}

/** 405: the route table lists the methods of this route and the request's is not one of them; `Allow` names them. @public */
export class MethodNotAllowedError extends TwakeAuthError {
  constructor(allowed: readonly string[]) {
    super(405, 'method_not_allowed', 'Method not allowed on this route', { headers: { Allow: allowed.join(', ') } });
  }
}

/** 414: a path too long for the route table to read (`routes`, forward-auth's original URI). @public */
export class UriTooLongError extends TwakeAuthError {
  constructor() {
    super(414, 'uri_too_long', 'Request path too long');
  }
}

/**
 * 429: the application's key has had too many companies looked up and found not installed in this window
 * (`notInstalledLimit`); companies the cache holds still answer. Same headers as the other 429s. @public
 */
export class TooManyNotInstalledError extends TwakeAuthError {
  constructor(verdict: ThrottleVerdict) {
    super(429, 'too_many_not_installed', 'Too many companies this application is not installed in', { twakeError: LEGACY_BAD_GROUP, headers: rateLimitHeaders(verdict) });
  }
}

/**
 * 400: forward-auth was asked about a request it cannot see: no original URI (`X-Original-URI`,
 * `X-Forwarded-Uri`, or a path after `/auth/verify`), so neither the route table nor the assertion can
 * apply. Fix the proxy's configuration. @public
 */
export class MissingOriginalUriError extends TwakeAuthError {
  constructor() {
    super(400, 'missing_original_uri', 'The proxy did not send the original URI');
  }
}

/** 400: the proxy's headers name the original request inconsistently (two methods, a malformed prefix). @public */
export class InvalidForwardedRequestError extends TwakeAuthError {
  constructor() {
    super(400, 'invalid_forwarded_request', 'The original method or path sent by the proxy is ambiguous');
  }
}

/** 400: the request body could not be parsed. @public */
export class InvalidBodyError extends TwakeAuthError {
  constructor() {
    super(400, 'invalid_body', 'Request body could not be parsed');
  }
}

/**
 * 415: the request has a body the validator cannot read `group_id` from (not JSON, `application/*+json` or
 * urlencoded; an unsupported charset or encoding; or already consumed into a string, a Buffer or nothing).
 * Refused because the backend might read a company there. See the `unreadBodies` option.
 *
 * @public
 */
export class UnsupportedMediaTypeError extends TwakeAuthError {
  constructor() {
    super(415, 'unsupported_media_type', 'Request body must be JSON or urlencoded');
  }
}

/** 408: the request body did not arrive within `bodyTimeoutMs`; the connection is closed. @public */
export class BodyTimeoutError extends TwakeAuthError {
  constructor() {
    super(408, 'body_timeout', 'Request body took too long', { headers: { Connection: 'close' } });
  }
}

/** 413: the request body is over the size limit. @public */
export class BodyTooLargeError extends TwakeAuthError {
  constructor() {
    super(413, 'body_too_large', 'Request body too large');
  }
}

/**
 * 403: a request reached `trustForwardedIdentity()` without exactly one valid identity assertion issued for
 * it (or, in the legacy address-only mode, from a peer that is not a trusted proxy or without exactly one
 * well-formed copy of each identity header). @public
 */
export class UntrustedIdentityError extends TwakeAuthError {
  constructor() {
    super(403, 'untrusted_identity', 'Identity assertion missing, invalid, or issued for another request');
  }
}

/**
 * 503: `trustForwardedIdentity()` could not fetch the key set that verifies assertions (the validator's
 * `/.well-known/jwks.json` is down or too slow). Never a pass: retried on the next request.
 *
 * @public
 */
export class IdentityKeysUnavailableError extends TwakeAuthError {
  constructor(cause?: unknown) {
    super(503, 'identity_keys_unavailable', 'Keys that verify the identity assertion unavailable', { cause, headers: { 'Retry-After': '1' } });
  }
}

/**
 * 503: the application store (database) failed or did not answer. The request is refused (fail closed).
 * The original error is kept as `cause` for logs; it is never sent to the client.
 *
 * @public
 */
export class StoreUnavailableError extends TwakeAuthError {
  constructor(cause?: unknown) {
    super(503, 'store_unavailable', 'Authentication store unavailable', { cause, headers: { 'Retry-After': '1' } });
  }
}

/**
 * 500: an error inside the validator itself (a bug, or a store answering something that is not a record),
 * not a store outage. The request is refused (fail closed); the original error is kept as `cause` for
 * logs and never sent to the client.
 *
 * @public
 */
export class InternalError extends TwakeAuthError {
  constructor(cause?: unknown) {
    super(500, 'internal_error', 'Internal error in the authentication', { cause });
  }
}

/** Thrown by the admin API when no application has that public id. @public */
export class ApplicationNotFoundError extends Error {
  readonly code = 'application_not_found';
  constructor(publicId: string) {
    super(`No application with public id ${JSON.stringify(publicId)}`);
    this.name = this.constructor.name;
  }
}

/**
 * Thrown by the admin API for an application name or company id it refuses (empty, too long, or with
 * control, bidi or other invisible characters). A `TypeError`, as before; the message names the field,
 * never the value.
 *
 * @public
 */
export class InvalidAdminInputError extends TypeError {
  readonly code = 'invalid_input';
  readonly field: 'name' | 'companyId' | 'capabilities' | 'privileges' | 'allowedIps' | 'grant' | 'import';
  constructor(field: InvalidAdminInputError['field'], message: string) {
    super(message);
    this.name = this.constructor.name;
    this.field = field;
  }
}
