// For a Node backend behind a proxy that asks forward-auth: believe the identity headers, and only those.
import type { Request, RequestHandler } from 'express';
import proxyAddr from 'proxy-addr';
import { attachIdentity } from './attach-identity';
import { InvalidGroupIdError, UntrustedIdentityError, type TwakeAuthError } from './errors';
import { isValidCompanyId } from './group-id';
import { GRANT_HEADERS, IDENTITY_HEADERS, decodeHeaderValue, decodeListHeader } from './identity-headers';
import { refuse } from './problem';
import { DEFAULT_BODY_TIMEOUT_MS, createBodyReader, type UnreadBodies } from './read-body';
import { companyFacts } from './request-facts';
import type { TwakeIdentity } from './types';

/** Options of {@link trustForwardedIdentity}. @public */
export interface ForwardedIdentityOptions {
  /**
   * The proxies whose `X-Twake-*` headers are believed: `proxy-addr` syntax (`loopback`, addresses, CIDRs,
   * as for Express's `trust proxy`), or a function `(address) => boolean`. Required.
   */
  trustedProxies: string | readonly string[] | ((address: string) => boolean);
  /** Largest body parsed to compare its `group_id` with the proxy's company. Defaults to `100kb`. */
  bodyLimit?: number | string;
  /** As the middleware's option: `refuse` (415) or `allow` a body it cannot read. Defaults to `refuse`. */
  unreadBodies?: UnreadBodies;
  /** As the middleware's option: longest wait for the body, in milliseconds (408). Defaults to 5000. */
  bodyTimeoutMs?: number;
}

type Trust = (address: string) => boolean;

function compileTrust(trusted: ForwardedIdentityOptions['trustedProxies']): Trust {
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

/**
 * Middleware for a backend behind nginx, Traefik or Envoy configured as in docs/deploy.md. From a trusted
 * proxy it reads the identity forward-auth answered with into `req.twake`, then refuses (400
 * `invalid_group_id`) a request whose body or query names another company than `X-Twake-Company-Id`:
 * with nginx `auth_request` the validator never saw the body. From anyone else, or without the identity
 * headers, it answers 403 `untrusted_identity`.
 *
 * @public
 */
export function trustForwardedIdentity(options: ForwardedIdentityOptions): RequestHandler {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('twake-app-auth: trustForwardedIdentity needs options, e.g. { trustedProxies: "loopback" }.');
  }
  const trusted = compileTrust(options.trustedProxies);
  const readBody = createBodyReader({
    bodyLimit: options.bodyLimit ?? '100kb',
    unreadBodies: options.unreadBodies ?? 'refuse',
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
  });

  return (req, res, next) => {
    const address = req.socket.remoteAddress;
    const identity = address !== undefined && trusted(address) ? identityFrom(req) : null;
    if (identity === null) {
      refuse(res, next, new UntrustedIdentityError());
      return;
    }
    const company = companyFacts(req, res, readBody, [{ found: true, value: identity.companyId }]);
    Promise.resolve(typeof company === 'function' ? company() : company)
      .then(({ groupId, bodyError }) => {
        const refusal: TwakeAuthError | null | undefined = bodyError ?? (groupId.status === 'ok' ? null : new InvalidGroupIdError());
        if (refusal) {
          refuse(res, next, refusal);
          return;
        }
        attachIdentity(req, identity);
        next();
      })
      .catch(next);
  };
}
