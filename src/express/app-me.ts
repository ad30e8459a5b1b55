// `GET /api/console/v1/me`: the calling application, as Twake's applications API answers it.
import type { Request, RequestHandler } from 'express';
import { refuseOutsideAllowedIps, verifyToken } from '../core/decide';
import { HttpsRequiredError } from '../core/errors';
import type { Configuration, Tokens } from '../core/options';
import { applicationObject, type TwakeApplicationObject } from '../tokens/application-object';
import { parseBearer } from '../tokens/parse-bearer';
import { clientIpOf, isSecure, tokenConfiguration, type TokenRouteOptions } from './app-login';
import { refuse } from './problem';

async function me(config: Configuration & { tokens: Tokens }, req: Request): Promise<TwakeApplicationObject> {
  if (!isSecure(config, req)) throw new HttpsRequiredError();
  const bearer = parseBearer(req.headers.authorization);
  const ip = clientIpOf(req);
  const { record } = await verifyToken(config, ip, bearer.status === 'ok' ? bearer.token : null, 'access', null);
  refuseOutsideAllowedIps(record, ip);
  return applicationObject(record);
}

/**
 * `GET /api/console/v1/me` with `Authorization: Bearer <access token>`: 200 `{ resource: <application> }`,
 * never a key or digest. No company is involved (Twake's route has none), so no installation is checked.
 *
 * @public
 */
export function twakeAppMe(options: TokenRouteOptions): RequestHandler {
  const config = tokenConfiguration(options, 'twakeAppMe');
  return (req, res, next) => {
    me(config, req).then(
      (resource) => {
        res.setHeader('Cache-Control', 'no-store');
        res.status(200).json({ resource });
      },
      (error: unknown) => refuse(res, next, error),
    );
  };
}
