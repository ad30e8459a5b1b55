// For a Node backend behind a proxy that asks forward-auth: verify the identity assertion it signed.
import type { Request, RequestHandler } from 'express';
import proxyAddr from 'proxy-addr';
import { attachIdentity } from '../express/attach-identity';
import { ASSERTION_HEADER } from '../assertion/claims';
import { createAssertionVerifier, type AssertionVerifierOptions } from '../assertion/verifier';
import { InvalidGroupIdError, TwakeAuthError, UntrustedIdentityError } from '../core/errors';
import { isValidCompanyId } from '../core/group-id';
import { GRANT_HEADERS, IDENTITY_HEADERS, decodeHeaderValue, decodeListHeader } from './identity-headers';
import { refuse } from '../express/problem';
import { createBodyReader } from '../express/read-body';
import { DEFAULT_BODY_TIMEOUT_MS } from '../core/options';
import { pathPrefix } from './forwarded-request';
import { companyFacts } from '../express/request-facts';
import { pathOf } from '../twake/twake-v1';
import type { TwakeIdentity, UnreadBodies } from '../core/types';

/** Settings every mode of {@link trustForwardedIdentity} shares. @public */
export interface ForwardedBodyOptions {
  /** Largest body parsed to compare its `group_id` with the asserted company. Defaults to `100kb`. */
  bodyLimit?: number | string;
  /** As the middleware's option: `refuse` (415) or `allow` a body it cannot read. Defaults to `refuse`. */
  unreadBodies?: UnreadBodies;
  /** As the middleware's option: longest wait for the body, in milliseconds (408). Defaults to 5000. */
  bodyTimeoutMs?: number;
}

/** Who may send `X-Twake-*`: `proxy-addr` syntax (`loopback`, addresses, CIDRs), or a function. @public */
export type TrustedProxies = string | readonly string[] | ((address: string) => boolean);

/**
 * Options of {@link trustForwardedIdentity}: where the keys that verify the assertion come from (`jwksUrl`,
 * `keys` or `secret`), the `issuer` and `audience` the validator signs with, and optionally `trustedProxies`
 * to also require the proxy's address. Or, as a legacy option, `addressOnly: true` with `trustedProxies`.
 * @public
 */
export type ForwardedIdentityOptions =
  | (AssertionVerifierOptions &
      ForwardedBodyOptions & {
        addressOnly?: false;
        /** Also require the request to come from one of these peers. Defaults to any. */
        trustedProxies?: TrustedProxies;
        /**
         * The path prefix a proxy removed before this backend (Traefik's StripPrefix): the assertion binds
         * the path the client asked for, this backend sees it without the prefix.
         */
        strippedPrefix?: string;
      })
  | (ForwardedBodyOptions & {
      /**
       * Legacy: believe the `X-Twake-*` headers from `trustedProxies`, with no assertion. Any proxy location
       * that forwards without asking forward-auth, or that does not clear these headers, lets a client
       * claim any identity (docs/security.md). A warning is emitted at start-up.
       */
      addressOnly: true;
      trustedProxies: TrustedProxies;
    });

type Trust = (address: string) => boolean;

function compileTrust(trusted: TrustedProxies): Trust {
  if (typeof trusted === 'function') return trusted;
  const names = typeof trusted === 'string' ? trusted.split(',').map((name) => name.trim()) : Array.isArray(trusted) ? [...trusted] : [];
  if (names.length === 0 || names.some((name) => typeof name !== 'string' || name === '')) {
    throw new TypeError('twake-app-auth: trustForwardedIdentity needs trustedProxies, e.g. { trustedProxies: "loopback" }.');
  }
  try {
    const compiled = proxyAddr.compile(names);
    return (address) => compiled(address, 0);
  } catch (cause) {
    throw new TypeError(`twake-app-auth: trustedProxies must be addresses, CIDRs or loopback/linklocal/uniquelocal (${(cause as Error).message}).`, { cause });
  }
}

// Exactly one copy of a header, decoded; null otherwise.
function header(req: Request, name: string): string | null {
  const values = req.headersDistinct[name.toLowerCase()];
  if (values === undefined || values.length !== 1 || values[0] === undefined) return null;
  return decodeHeaderValue(values[0]);
}

// A granted list: absent or empty is nothing granted (nginx drops empty headers), repeated is refused.
function listHeader(req: Request, name: string): string[] | null {
  const values = req.headersDistinct[name.toLowerCase()];
  if (values === undefined) return [];
  if (values.length !== 1 || values[0] === undefined) return null;
  return decodeListHeader(values[0]);
}

function identityFrom(req: Request): TwakeIdentity | null {
  const fields: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(IDENTITY_HEADERS)) {
    const value = header(req, name);
    if (value === null || value === '') return null;
    fields[field] = value;
  }
  for (const [field, name] of Object.entries(GRANT_HEADERS)) {
    const list = listHeader(req, name);
    if (list === null) return null;
    fields[field] = Object.freeze(list);
  }
  return isValidCompanyId(fields.companyId) ? Object.freeze(fields as unknown as TwakeIdentity) : null;
}

// The one assertion a request carries; null when absent or repeated.
function assertionOf(req: Request): string | null {
  const values = req.headersDistinct[ASSERTION_HEADER.toLowerCase()];
  return values !== undefined && values.length === 1 && values[0] !== undefined ? values[0] : null;
}

function checkedPrefix(value: string | undefined): string {
  const prefix = pathPrefix(value);
  if (prefix === null) throw new TypeError('twake-app-auth: strippedPrefix must be a path such as "/api/v1".');
  return prefix;
}

const ADDRESS_ONLY_WARNING =
  'trustForwardedIdentity({ addressOnly: true }) believes X-Twake-* headers from the proxy address alone: one proxy location that forwards to this backend without forward-auth lets a client claim any company. Verify the signed assertion instead (docs/deploy.md).';

/** How an identity is established for one request: a promise of it, or the refusal. */
type IdentitySource = (req: Request) => Promise<TwakeIdentity>;

// Once per process, however many middlewares are built in the legacy mode.
let addressOnlyWarned = false;

function addressOnlySource(trusted: Trust): IdentitySource {
  if (!addressOnlyWarned) {
    addressOnlyWarned = true;
    process.emitWarning(ADDRESS_ONLY_WARNING, { code: 'TWAKE_APP_AUTH_ADDRESS_ONLY' });
  }
  return async (req) => {
    const address = req.socket.remoteAddress;
    const identity = address !== undefined && trusted(address) ? identityFrom(req) : null;
    if (identity === null) throw new UntrustedIdentityError();
    return identity;
  };
}

function assertionSource(options: Extract<ForwardedIdentityOptions, { addressOnly?: false }>): IdentitySource {
  const verify = createAssertionVerifier(options);
  const trusted = options.trustedProxies === undefined ? null : compileTrust(options.trustedProxies);
  const prefix = checkedPrefix(options.strippedPrefix);
  return async (req) => {
    const address = req.socket.remoteAddress;
    const token = assertionOf(req);
    if (token === null || (trusted !== null && (address === undefined || !trusted(address)))) throw new UntrustedIdentityError();
    return verify(token, { method: req.method, path: prefix + pathOf(req.originalUrl ?? req.url ?? '') });
  };
}

/**
 * Middleware for a backend behind nginx, Traefik or Envoy configured as in docs/deploy.md. It verifies the
 * identity assertion forward-auth signed (`X-Twake-Assertion`: signature, issuer, audience, lifetime, and
 * the method and path it was issued for), puts its identity in `req.twake`, then refuses (400
 * `invalid_group_id`) a request whose body or query names another company: with nginx `auth_request` the
 * validator never saw the body. Without exactly one valid assertion for this request it answers 403
 * `untrusted_identity`, whatever the other headers and the peer's address; 503
 * `identity_keys_unavailable` when the key set cannot be fetched.
 *
 * @public
 */
export function trustForwardedIdentity(options: ForwardedIdentityOptions): RequestHandler {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('twake-app-auth: trustForwardedIdentity needs options, e.g. { jwksUrl, issuer, audience }.');
  }
  let identityOf: IdentitySource;
  if (options.addressOnly === true) {
    identityOf = addressOnlySource(compileTrust(options.trustedProxies));
  } else {
    const keyed = 'jwksUrl' in options || 'keys' in options || 'secret' in options;
    if (!keyed && (options as { trustedProxies?: unknown }).trustedProxies !== undefined) {
      throw new TypeError('twake-app-auth: trustForwardedIdentity now verifies a signed assertion: pass { jwksUrl, issuer, audience } (docs/deploy.md), or { addressOnly: true, trustedProxies } for the legacy mode.');
    }
    identityOf = assertionSource(options);
  }
  const readBody = createBodyReader({
    bodyLimit: options.bodyLimit ?? '100kb',
    unreadBodies: options.unreadBodies ?? 'refuse',
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
  });

  return (req, res, next) => {
    identityOf(req)
      .then(
        async (identity) => {
          const company = companyFacts(req, res, readBody, [{ found: true, value: identity.companyId }]);
          const { groupId, bodyError } = await (typeof company === 'function' ? company() : company);
          const refusal: TwakeAuthError | null | undefined = bodyError ?? (groupId.status === 'ok' ? null : new InvalidGroupIdError());
          if (refusal) {
            refuse(res, next, refusal);
            return;
          }
          attachIdentity(req, identity);
          next();
        },
        (error: unknown) => {
          if (error instanceof TwakeAuthError) refuse(res, next, error);
          else next(error);
        },
      )
      .catch(next);
  };
}
