// Gathers what the validator needs from an Express request (transport, header, client, company).
import type { Request, Response } from 'express';
import type { CompanyFacts, RequestFacts } from '../core/decide';
import { agreeOnCompany, fromForm, fromParsed, fromQueryString, needsDecoding, type CompanySource } from '../core/group-id';
import type { Configuration } from '../core/options';
import { hasBody, type BodyReader } from './read-body';
import { requestPath } from './request-path';
import { TwakeAuthError, UriTooLongError } from '../core/errors';
import { nodeRequirementOf, type NodeRouteTable } from '../twake/twake-node';
import { companyIdFromParsed, companyIdFromQuery, fromCompanyPath } from '../twake/company-path';
import { checkMethod, mergeRequirements, pathOf, requirementOf, type Requirement, type RouteTable } from '../twake/twake-v1';

// A class rather than an object literal with a getter: one shape shared by every request, built cheaply.
class ExpressRequestFacts implements RequestFacts {
  constructor(
    private readonly req: Request,
    readonly secure: boolean,
    readonly authorization: string | undefined,
    readonly company: RequestFacts['company'],
    readonly requirement: Requirement | null,
    readonly refusal: TwakeAuthError | null,
  ) {}

  get clientIp(): string {
    return this.req.ip ?? this.req.socket.remoteAddress ?? '';
  }
}

/**
 * Transport, header, client address and company: the facts every entry point reads the same way. The transport
 * is judged only outside development mode, and the client address (`trust proxy` evaluation) only when
 * the throttle asks for it: a request let through from memory needs neither.
 */
export function requestFacts(req: Request, config: Configuration, company: RequestFacts['company'], requirement: Requirement | null = null, refusal: TwakeAuthError | null = null): RequestFacts {
  const secure = config.mode === 'development' || config.isSecure(req) === true;
  return new ExpressRequestFacts(req, secure, req.headers.authorization, company, requirement, refusal);
}

// The company of a request refused by its request line is never read.
const UNREAD_COMPANY: CompanyFacts = Object.freeze({ groupId: agreeOnCompany([]) });

/**
 * {@link requestFacts} with the route's requirement, or with the refusal its reading earned (a path too
 * long to read). The company is read after the route: a path refused for its length is not read for a
 * company first (that reading is linear, but 64 KB of escapes still cost a millisecond).
 */
export function requestFactsWithRoute(
  req: Request,
  config: Configuration,
  readCompany: () => RequestFacts['company'],
  readRequirement: (req: Request, routes: RouteTable | null, nodeRoutes: NodeRouteTable | null) => Requirement | null,
): RequestFacts {
  let requirement: Requirement | null;
  try {
    requirement = readRequirement(req, config.routes, config.nodeRoutes);
  } catch (error) {
    if (!(error instanceof TwakeAuthError)) throw error;
    return requestFacts(req, config, error instanceof UriTooLongError ? UNREAD_COMPANY : readCompany(), null, error);
  }
  return requestFacts(req, config, readCompany(), requirement);
}

// Express's own query parsers ('simple': node:querystring, 'extended': qs) read a query without "%" or
// "+" exactly as the raw scan does for group_id (aliases are refused by the scan itself), so `req.query`,
// which Express 5 parses again on every read with this app's parser, need not be consulted unless that
// parser is a custom one. (Express 4 parses the query once, in the first app the request enters, with
// that app's parser: there the parsed query is an own property, at hand, and always compared.)
function parsedQueryMatchesRaw(req: Request, url: string): boolean {
  if (typeof req.app?.get('query parser') === 'function') return false;
  const question = url.indexOf('?');
  return question < 0 || !needsDecoding(url, question + 1);
}

const NO_SOURCES: readonly CompanySource[] = Object.freeze([]);

/**
 * The company of a request, from its URL and its body. Without a body, and with a query that needs no
 * parsing of the app's own, it is known at once. The body, and `req.query` when Express 5 would parse the
 * query to answer it, are read only when the validator asks (after the credentials and the throttle):
 * that parse costs what the query decides (a thrown error per malformed escape, milliseconds for 12 KB).
 */
export function companyFacts(req: Request, res: Response, readBody: BodyReader, extra: readonly CompanySource[] = NO_SOURCES): RequestFacts['company'] {
  const url = req.originalUrl ?? req.url ?? '';
  // The company of a Node-era path (`/:service/:version/companies/:company_id/…`, read from the full URL and
  // from where the middleware is mounted) and any company_id beside it must agree with group_id.
  const sources = [...extra, fromQueryString(url), fromCompanyPath(url), companyIdFromQuery(url)];
  const path = requestPath(req);
  if (path !== undefined && path !== url) sources.push(fromCompanyPath(path));
  const ownQuery = Object.prototype.hasOwnProperty.call(req, 'query');
  // Express 4 parsed the query already, on entering the app: comparing with it costs nothing more.
  if (ownQuery) sources.push(fromParsed(req.query), companyIdFromParsed(req.query));
  const parseQueryLater = !ownQuery && !parsedQueryMatchesRaw(req, url);
  if (!hasBody(req) && !parseQueryLater) {
    sources.push(fromParsed(req.body), companyIdFromParsed(req.body));
    return { groupId: agreeOnCompany(sources) };
  }
  return async (): Promise<CompanyFacts> => {
    const fromUrl = parseQueryLater ? [...sources, fromParsed(req.query), companyIdFromParsed(req.query)] : sources;
    if (!hasBody(req)) return { groupId: agreeOnCompany([...fromUrl, fromParsed(req.body), companyIdFromParsed(req.body)]) };
    const { body, error, form } = await readBody(req, res);
    const fromBody = form === undefined ? [fromParsed(body), companyIdFromParsed(body)] : [fromParsed(body), companyIdFromParsed(body), fromForm(form)];
    return { groupId: agreeOnCompany([...fromUrl, ...fromBody]), bodyError: error };
  };
}

/**
 * What the route of a request requires in `config.routes`: looked up from `/api/v1/` when the full path
 * holds it, otherwise from the path relative to where the middleware is mounted. A method the route
 * does not answer is refused (405).
 */
export function routeRequirement(req: Request, routes: RouteTable | null, nodeRoutes: NodeRouteTable | null = null): Requirement | null {
  const v1 = v1Requirement(req, routes);
  if (nodeRoutes === null) return v1;
  const node = nodeRequirementOf(nodeRoutes, req.method ?? 'GET', [pathOf(req.originalUrl ?? req.url ?? ''), requestPath(req) ?? '']);
  return mergeRequirements([v1, node]);
}

function v1Requirement(req: Request, routes: RouteTable | null): Requirement | null {
  if (routes === null) return null;
  const full = pathOf(req.originalUrl ?? req.url ?? '');
  const path = requestPath(req) ?? '';
  // Mounted at the root, both readings are the same path, and the relative reading of a path holding
  // /api/v1/ is the same as the reading from /api/v1/: one look-up answers both.
  const requirement = path === full ? requirementOf(routes, path) : bothReadings(routes, full, path);
  checkMethod(requirement, req.method);
  return requirement;
}

function bothReadings(routes: RouteTable, full: string, path: string): Requirement | null {
  const fromFull = requirementOf(routes, full, true);
  const fromMount = requirementOf(routes, path);
  return fromFull === null || fromMount === fromFull ? fromMount : mergeRequirements([fromFull, fromMount]);
}

/** Collects the facts of an Express request. */
export function factsFromRequest(req: Request, res: Response, config: Configuration, readBody: BodyReader): RequestFacts {
  // Without a route table nothing refuses the request line first: the company is read at once, with no closure to build.
  if (config.routes === null && config.nodeRoutes === null) return requestFacts(req, config, companyFacts(req, res, readBody));
  return requestFactsWithRoute(req, config, () => companyFacts(req, res, readBody), routeRequirement);
}
