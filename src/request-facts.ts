// Gathers what the validator needs from an Express request (transport, header, body, query string).
import type { Request, Response } from 'express';
import type { RequestFacts } from './decide';
import { extractGroupId } from './group-id';
import type { Configuration } from './options';
import type { BodyReader } from './read-body';

/** Transport, header and client address: the facts every entry point reads the same way. */
export function connectionFacts(req: Request, config: Configuration): Pick<RequestFacts, 'secure' | 'authorization' | 'clientIp'> {
  return {
    secure: config.isSecure(req) === true,
    authorization: req.headers.authorization,
    clientIp: req.ip ?? req.socket.remoteAddress ?? '',
  };
}

/** Collects the facts of an Express request, reading its body only when it may be needed. */
export async function factsFromRequest(
  req: Request,
  res: Response,
  config: Configuration,
  readBody: BodyReader,
): Promise<RequestFacts> {
  const { secure, authorization, clientIp } = connectionFacts(req, config);
  // Nothing past the transport check and the header is needed for a refusal at those steps.
  if ((!secure && config.mode !== 'development') || authorization === undefined) {
    return { secure, authorization, clientIp, groupId: { status: 'missing' } };
  }
  const bodyError = await readBody(req, res);
  return { secure, authorization, clientIp, bodyError, groupId: extractGroupId(req.body, req.originalUrl ?? req.url) };
}
