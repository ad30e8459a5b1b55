// `POST /api/console/v1/token`: a refresh token, sent as `Authorization: Bearer`, traded for a new pair.
import type { Request, RequestHandler } from 'express';
import { refuseOutsideAllowedIps, verifyToken } from '../core/decide';
import { HttpsRequiredError } from '../core/errors';
import type { Configuration, Tokens } from '../core/options';
import type { AccessToken } from '../tokens/claims';
import { issueTokens } from '../tokens/issue-tokens';
import { parseBearer } from '../tokens/parse-bearer';
import { clientIpOf, isSecure, tokenConfiguration, type TokenRouteOptions } from './app-login';
import { refuse } from './problem';

/** Twake's token renewal answer (console `tokenRenewal`, read by its client as `response.access_token`). @public */
export interface TokenRenewalResponse {
  access_token: AccessToken;
}

async function renew(config: Configuration & { tokens: Tokens }, req: Request): Promise<AccessToken> {
  if (!isSecure(config, req)) throw new HttpsRequiredError();
  const bearer = parseBearer(req.headers.authorization);
  const ip = clientIpOf(req);
  const { record, key } = await verifyToken(config, ip, bearer.status === 'ok' ? bearer.token : null, 'refresh', null);
  refuseOutsideAllowedIps(record, ip);
  return issueTokens(config.tokens.settings, record.publicId, key.id, config.now());
}

/**
 * Token renewal as Twake's client does it (its JWT storage sends the refresh token as the Bearer once the
 * access token has expired, to the console's `/token` route): `Authorization: Bearer <refresh>` gives a
 * new pair bound to the same key. Only a refresh token is accepted here, and a refresh token nowhere else.
 * The key, the application and its enabled flag are checked again: a refresh dies with its key.
 *
 * @public
 */
export function twakeAppTokenRenewal(options: TokenRouteOptions): RequestHandler {
  const config = tokenConfiguration(options, 'twakeAppTokenRenewal');
  return (req, res, next) => {
    renew(config, req).then(
      (token) => {
        res.setHeader('Cache-Control', 'no-store');
        const answer: TokenRenewalResponse = { access_token: token };
        res.status(200).json(answer);
      },
      (error: unknown) => refuse(res, next, error),
    );
  };
}
