// Gathers what the validator needs from an Express request (transport, header, client, company).
import type { Request, Response } from 'express';
import type { CompanyFacts, RequestFacts } from './decide';
import { agreeOnCompany, fromParsed, fromQueryString, type CompanySource } from './group-id';
import type { Configuration } from './options';
import { hasBody, type BodyReader } from './read-body';

/**
 * Transport, header and client address: the facts every entry point reads the same way. The transport
 * is judged only outside development mode, and the client address (`trust proxy` evaluation) only when
 * the throttle asks for it: a request let through from memory needs neither.
 */
export function connectionFacts(req: Request, config: Configuration): Pick<RequestFacts, 'secure' | 'authorization' | 'clientIp'> {
  return {
    secure: config.mode === 'development' || config.isSecure(req) === true,
    authorization: req.headers.authorization,
    get clientIp() {
      return req.ip ?? req.socket.remoteAddress ?? '';
    },
  };
}

/**
 * Where the request's URL names the company: the raw query string (read independently of the app's query
 * parser) and `req.query` as the app's own parser produced it, which handlers read.
 */
export function urlSources(req: Request): CompanySource[] {
  return [fromQueryString(req.originalUrl ?? req.url ?? ''), fromParsed(req.query)];
}

/**
 * The company of a request, from its URL and its body. Without a body it is known at once; with one, the
 * body is read only when the validator asks (after the throttle).
 */
export function companyFacts(req: Request, res: Response, readBody: BodyReader, extra: readonly CompanySource[] = []): RequestFacts['company'] {
  const sources = [...extra, ...urlSources(req)];
  if (!hasBody(req)) return { groupId: agreeOnCompany([...sources, fromParsed(req.body)]) };
  return async (): Promise<CompanyFacts> => {
    const { body, error } = await readBody(req, res);
    return { groupId: agreeOnCompany([...sources, fromParsed(body)]), bodyError: error };
  };
}

/** Collects the facts of an Express request. */
export function factsFromRequest(req: Request, res: Response, config: Configuration, readBody: BodyReader): RequestFacts {
  return { ...connectionFacts(req, config), company: companyFacts(req, res, readBody) };
}
