// Forward authentication for reverse proxies (nginx auth_request, Traefik ForwardAuth, Envoy ext_authz).
import type { Request, RequestHandler } from 'express';
import { decide, whenDecided } from './decide';
import { ABSENT, AMBIGUOUS, fromQueryString, type CompanySource } from './group-id';
import { identityHeaders } from './identity-headers';
import { parseOptions } from './options';
import { refuse } from './problem';
import { InvalidGroupIdError } from './errors';
import { createBodyReader } from './read-body';
import { companyFacts, requestFactsWithRoute } from './request-facts';
import { mergeRequirements, pathOf, requirementOf, type Requirement, type RouteTable } from './twake-v1';
import type { Options } from './types';

const GROUP_HEADER = 'x-twake-group-id';
const URI_HEADERS = ['x-forwarded-uri', 'x-original-uri'];
// Sent by nginx: `auth-request` asks for 400/413/415/429/503 as 403 with the real status in X-Twake-Status.
const STATUS_MAPPING_HEADER = 'x-twake-status-mapping';

// Node reads header bytes as Latin-1; a client sends UTF-8. Anything that is not valid UTF-8 is refused.
function utf8HeaderValue(value: string): string | null {
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : null;
}

/** The `X-Twake-Group-Id` header: absent, one value, or refused when repeated or not UTF-8. */
function fromGroupHeader(req: Request): CompanySource {
  const values = req.headersDistinct[GROUP_HEADER];
  if (values === undefined) return ABSENT;
  const text = values.length === 1 && values[0] !== undefined ? utf8HeaderValue(values[0]) : null;
  return text === null ? AMBIGUOUS : { found: true, value: text };
}

const originalUris = (req: Request): string[] => URI_HEADERS.flatMap((name) => req.headersDistinct[name] ?? []);

/** The original URI sent by the proxy (`X-Forwarded-Uri`, `X-Original-URI`); every copy must be the same. */
function fromOriginalUri(req: Request): CompanySource {
  const uris = originalUris(req);
  if (uris.length > 1 && uris.some((uri) => uri !== uris[0])) return AMBIGUOUS;
  return uris[0] === undefined ? ABSENT : fromQueryString(uris[0]);
}

/**
 * What the forwarded route requires: from the path of every original URI sent and of the validator's own
 * path (Envoy appends the original path to it), for paths under `/api/v1/` only.
 */
function forwardedRequirement(req: Request, routes: RouteTable | null): Requirement | null {
  if (routes === null) return null;
  // Copies of the original URI that differ are refused whatever else the request holds (see
  // fromOriginalUri): refused here, before any is read, a request repeating the header hundreds of times
  // costs one reading, not hundreds.
  const uris = new Set(originalUris(req));
  if (uris.size > 1) throw new InvalidGroupIdError();
  const paths = [...uris, req.originalUrl ?? req.url ?? ''].map(pathOf);
  return mergeRequirements(paths.map((path) => requirementOf(routes, path, true)));
}

/**
 * `GET|POST|… /auth/verify[/*]`: 204 with the identity headers (percent-encoded, see identity-headers.ts)
 * when the forwarded request may go through, otherwise the validator's refusal. The company is read from
 * every place a proxy can send it: `X-Twake-Group-Id`, the query of the original URI, the validator's own
 * query (Envoy appends the original path and query) and a forwarded body; all that name one must agree.
 */
export function forwardAuth(options: Partial<Options>): RequestHandler {
  const config = parseOptions(options);
  const readBody = createBodyReader(config);
  return (req, res, next) => {
    res.locals.twakeAuthRequestStatuses = req.get(STATUS_MAPPING_HEADER) === 'auth-request';
    const company = companyFacts(req, res, readBody, [fromGroupHeader(req), fromOriginalUri(req)]);
    whenDecided(
      decide(config, requestFactsWithRoute(req, config, company, forwardedRequirement)),
      (identity) => {
        res.locals.twakeIdentity = identity;
        for (const [name, value] of identityHeaders(identity)) res.setHeader(name, value);
        res.setHeader('Cache-Control', 'no-store');
        res.status(204).end();
      },
      (error) => refuse(res, next, error),
      next,
    );
  };
}
