// Gathers what the validator needs from an Express request (transport, header, body, query string).
import type { Request, Response } from 'express';
import type { RequestFacts } from './decide';
import { extractGroupId } from './group-id';
import type { Configuration } from './options';
import type { BodyReader } from './read-body';

/** Collects the facts of an Express request, reading its body only when it may be needed. */
export async function factsFromRequest(
  req: Request,
  res: Response,
  config: Configuration,
  readBody: BodyReader,
): Promise<RequestFacts> {
  const secure = config.isSecure(req) === true;
  const authorization = req.headers.authorization;
  const clientIp = req.ip ?? req.socket.remoteAddress ?? '';
  // Nothing past the transport check and the header is needed for a refusal at those steps.
  if ((!secure && config.mode !== 'development') || authorization === undefined) {
    return { secure, authorization, clientIp, groupId: { status: 'missing' } };
  }
  const bodyError = await readBody(req, res);
  return { secure, authorization, clientIp, bodyError, groupId: extractGroupId(req.body, req.originalUrl ?? req.url) };
}
