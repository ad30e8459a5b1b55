// Forward authentication for reverse proxies (nginx auth_request, Traefik ForwardAuth, Envoy ext_authz).
import type { Request, RequestHandler } from 'express';
import { decide, whenDecided } from '../core/decide';
import { companyIdFromQuery, fromCompanyPath } from '../twake/company-path';
import { ABSENT, AMBIGUOUS, fromQueryString, type CompanySource } from '../core/group-id';
import { identityHeaders } from './identity-headers';
import { parseOptions } from '../core/options';
import { refuse } from '../express/problem';
import { ASSERTION_HEADER, fitsInAssertion } from '../assertion/claims';
import type { AssertionSigner } from '../assertion/signer';
import { InternalError, MissingOriginalUriError, UriTooLongError } from '../core/errors';
import { forwardedMethod, forwardedPath, originalUris } from './forwarded-request';
import { headerCopies } from './header-copies';
import { createBodyReader } from '../express/read-body';
import { companyFacts, requestFactsWithRoute } from '../express/request-facts';
import { nodeRequirementOf, type NodeRouteTable } from '../twake/twake-node';
import { checkMethod, mergeRequirements, pathOf, requirementOf, type Requirement, type RouteTable } from '../twake/twake-v1';
import type { TwakeAppAuthOptions } from '../core/types';

const GROUP_HEADER = 'x-twake-group-id';
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
  const values = headerCopies(req, GROUP_HEADER);
  if (values.length === 0) return ABSENT;
  const text = values.length === 1 && values[0] !== undefined ? utf8HeaderValue(values[0]) : null;
  return text === null ? AMBIGUOUS : { found: true, value: text };
}

/** The original URI sent by the proxy (`X-Forwarded-Uri`, `X-Original-URI`); every copy must be the same. */
function fromOriginalUri(req: Request): CompanySource {
  const uris = originalUris(req);
  if (uris.length > 1 && uris.some((uri) => uri !== uris[0])) return AMBIGUOUS;
  return uris[0] === undefined ? ABSENT : fromQueryString(uris[0]);
}

/** The company in the path of the original URI (Node-era routes), from every copy the proxy sent. */
function fromOriginalPath(req: Request): CompanySource {
  const uris = [...new Set(originalUris(req))];
  if (uris.length > 1) return AMBIGUOUS;
  return uris[0] === undefined ? ABSENT : fromCompanyPath(uris[0]);
}

/** `company_id` in the query of the original URI. */
function companyIdOfOriginalUri(req: Request): CompanySource {
  const uris = [...new Set(originalUris(req))];
  if (uris.length > 1) return AMBIGUOUS;
  return uris[0] === undefined ? ABSENT : companyIdFromQuery(uris[0]);
}

/** Options of {@link forwardAuth} beyond the middleware's. */
export interface ForwardAuthOptions {
  /** Signs the identity assertion of every pass; null for none (the identity headers only). */
  signer: AssertionSigner | null;
  /**
   * `required` (default): a request whose original URI cannot be seen is refused (400
   * `missing_original_uri`), since neither the route table nor an assertion could apply to it.
   * `optional`: it is decided without them, and its pass carries no assertion.
   */
  originalUri?: 'required' | 'optional';
}

/** What forward-auth reads of the original request before deciding: its method, path and requirement. */
interface Forwarded {
  method: string;
  path: string | null;
}

/**
 * `GET|POST|… /auth/verify[/*]`: 204 with the identity headers (percent-encoded, see identity-headers.ts)
 * and the signed assertion when the forwarded request may go through, otherwise the validator's refusal.
 * The company is read from every place a proxy can send it: `X-Twake-Group-Id`, the query of the original
 * URI, the validator's own query (Envoy appends the original path and query) and a forwarded body; all
 * that name one must agree.
 */
export function forwardAuth(options: TwakeAppAuthOptions, forwardOptions: ForwardAuthOptions = { signer: null }): RequestHandler {
  const config = parseOptions(options);
  const readBody = createBodyReader(config);
  const { signer } = forwardOptions;
  const uriRequired = (forwardOptions.originalUri ?? 'required') === 'required';
  return (req, res, next) => {
    res.locals.twakeAuthRequestStatuses = req.get(STATUS_MAPPING_HEADER) === 'auth-request';
    const company = () => companyFacts(req, res, readBody, [fromGroupHeader(req), fromOriginalUri(req), fromOriginalPath(req), companyIdOfOriginalUri(req)]);
    const forwarded: Forwarded = { method: req.method, path: null };
    // Read with the route (refusals here come before the credentials, as a path too long does).
    const readForwarded = (request: Request, routes: RouteTable | null, nodeRoutes: NodeRouteTable | null): Requirement | null => {
      forwarded.path = forwardedPath(request);
      res.locals.twakeOriginalPath = forwarded.path;
      forwarded.method = forwardedMethod(request);
      if (forwarded.path === null && uriRequired) throw new MissingOriginalUriError();
      if (signer !== null && forwarded.path !== null && !fitsInAssertion(forwarded.path)) throw new UriTooLongError();
      if (routes === null && nodeRoutes === null) return null;
      // Every path a router could act on: the original one (with Traefik's prefix, and without it should a
      // client have sent the prefix itself), and the validator's own. The strictest reading wins.
      // (Copies of the original URI are all the same by now: one reading, not one per copy.)
      const paths = [forwarded.path, ...[...new Set(originalUris(request))].map(pathOf), pathOf(request.originalUrl ?? request.url ?? '')].filter((path): path is string => path !== null);
      const v1 = routes === null ? null : mergeRequirements(paths.map((path) => requirementOf(routes, path, true)));
      const requirement = nodeRoutes === null ? v1 : mergeRequirements([v1, nodeRequirementOf(nodeRoutes, forwarded.method, paths)]);
      // The original request's method (the proxy's header): nginx's own subrequest is always a GET.
      checkMethod(requirement, forwarded.method);
      return requirement;
    };
    whenDecided(
      decide(config, requestFactsWithRoute(req, config, company, readForwarded)),
      (identity) => {
        res.locals.twakeIdentity = identity;
        const assertion = signer === null || forwarded.path === null ? null : signer.sign(identity, { method: forwarded.method, path: forwarded.path });
        const answer = (token: string | null) => {
          for (const [name, value] of identityHeaders(identity)) res.setHeader(name, value);
          if (token !== null) res.setHeader(ASSERTION_HEADER, token);
          res.setHeader('Cache-Control', 'no-store');
          res.status(204).end();
        };
        if (assertion === null || typeof assertion === 'string') answer(assertion);
        // A pass without its assertion would be refused by the backend anyway: fail closed here, as a bug.
        else assertion.then(answer, (error: unknown) => refuse(res, next, new InternalError(error)));
      },
      (error) => refuse(res, next, error),
      next,
    );
  };
}
