// Forward authentication for reverse proxies (nginx auth_request, Traefik ForwardAuth, Envoy ext_authz).
import type { Request, RequestHandler } from 'express';
import { decide } from './decide';
import { extractGroupId, type GroupIdResult } from './group-id';
import { parseOptions } from './options';
import { refuse } from './problem';
import { connectionFacts } from './request-facts';
import type { Options } from './types';

const GROUP_HEADER = 'x-twake-group-id';
const URI_HEADERS = ['x-forwarded-uri', 'x-original-uri'];
// Sent by nginx: `auth-request` asks for 400/413/429/503 as 403 with the real status in X-Twake-Status.
const STATUS_MAPPING_HEADER = 'x-twake-status-mapping';

/**
 * The company of a forwarded request: the `X-Twake-Group-Id` header and the `group_id` query parameter
 * of the original URI, which must agree when both are present.
 */
function groupIdOf(req: Request): GroupIdResult {
  const headerValues = req.headersDistinct[GROUP_HEADER];
  const body = headerValues === undefined ? undefined : { group_id: headerValues.length === 1 ? headerValues[0] : headerValues };
  const uris = URI_HEADERS.flatMap((name) => req.headersDistinct[name] ?? []);
  if (uris.length > 1 && uris.some((uri) => uri !== uris[0])) return { status: 'invalid' };
  return extractGroupId(body, uris[0] ?? '');
}

/**
 * `GET|POST|… /auth/verify[/*]`: 204 with `X-Twake-Application-Id`, `X-Twake-Public-Id` and
 * `X-Twake-Company-Id` when the forwarded request may go through, otherwise the validator's refusal.
 */
export function forwardAuth(options: Partial<Options>): RequestHandler {
  const config = parseOptions(options);
  return (req, res, next) => {
    res.locals.twakeAuthRequestStatuses = req.get(STATUS_MAPPING_HEADER) === 'auth-request';
    decide(config, { ...connectionFacts(req, config), groupId: groupIdOf(req) }).then(
      (identity) => {
        res.locals.twakeIdentity = identity;
        res.setHeader('X-Twake-Application-Id', identity.applicationId);
        res.setHeader('X-Twake-Public-Id', identity.publicId);
        res.setHeader('X-Twake-Company-Id', identity.companyId);
        res.setHeader('Cache-Control', 'no-store');
        res.status(204).end();
      },
      (error: unknown) => refuse(res, next, error),
    );
  };
}
