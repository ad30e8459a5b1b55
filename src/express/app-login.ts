// `POST /api/console/v1/login`: an application trades its id and key for Twake's Bearer token pair.
import type { Request, RequestHandler, Response } from 'express';
import { authenticateKey, refuseUnreadableCredentials, revokeIfSeenInCleartext } from '../core/decide';
import { hasControlCharacters } from '../core/control-characters';
import { HttpsRequiredError, MissingCredentialsError } from '../core/errors';
import { parseOptions, type Configuration, type Tokens } from '../core/options';
import { MAX_PRIVATE_KEY_LENGTH, MAX_PUBLIC_ID_LENGTH } from '../core/parse-authorization';
import type { TwakeAppAuthOptions } from '../core/types';
import { issueTokens } from '../tokens/issue-tokens';
import type { AccessToken } from '../tokens/claims';
import type { TokenOptions } from '../tokens/token-settings';
import { asFailure, refuse } from './problem';
import { createBodyReader, type BodyReader } from './read-body';

/** Twake's login answer (applications-api controller `token`). @public */
export interface LoginResponse {
  resource: { access_token: AccessToken };
}

/** Options of the token routes: the middleware's, with `tokens` required. @public */
export type TokenRouteOptions = TwakeAppAuthOptions & { tokens: TokenOptions };

/** The configuration of a token route, refused at construction without `tokens` (for JavaScript callers). */
export function tokenConfiguration(options: TokenRouteOptions, name: string): Configuration & { tokens: Tokens } {
  const config = parseOptions(options);
  if (config.tokens === null) throw new TypeError(`twake-app-auth: ${name} needs the "tokens" option, e.g. { store, tokens: { secret: process.env.JWT_SECRET } }.`);
  return config as Configuration & { tokens: Tokens };
}

/** Whether `value` can be a public id or key: the lengths and characters Basic credentials allow. */
// Well-formed Unicode too: a lone surrogate (JSON allows "\ud800") has no UTF-8 form, and a database
// driver refuses it (a 503 no failure budget would count) where a Basic header can never carry one.
const usable = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max && !hasControlCharacters(value) && (value as string & { isWellFormed(): boolean }).isWellFormed();

/** `{ id, secret }` from a parsed body, as Twake's `ApplicationLoginRequest`. */
function credentialsOf(body: unknown): { id: unknown; secret: unknown } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { id: undefined, secret: undefined };
  const record = body as Record<string, unknown>;
  const own = (key: string) => (Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined);
  return { id: own('id'), secret: own('secret') };
}

export const clientIpOf = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? '';
export const isSecure = (config: Configuration, req: Request): boolean => config.mode === 'development' || config.isSecure(req) === true;

/** Tells `onDecision` about a login (the server's metrics count logins with the other decisions); what it throws is ignored. */
function report(config: Configuration, code: string, status: number, started: number): void {
  if (config.onDecision === null) return;
  try {
    config.onDecision({ code, status, seconds: (performance.now() - started) / 1000 });
  } catch {
    // ignored, as documented for every listener
  }
}

async function login(config: Configuration & { tokens: Tokens }, readBody: BodyReader, req: Request, res: Response): Promise<AccessToken> {
  const { body, error } = await readBody(req, res);
  if (error !== null) throw error;
  const { id, secret } = credentialsOf(body);
  const ip = clientIpOf(req);
  const readable = usable(id, MAX_PUBLIC_ID_LENGTH) && usable(secret, MAX_PRIVATE_KEY_LENGTH);
  // A key in clear text is leaked whatever the route: refused, and revoked when so configured, as with Basic.
  if (!isSecure(config, req)) {
    if (readable) await revokeIfSeenInCleartext(config, ip, id, secret);
    throw new HttpsRequiredError();
  }
  if (id === undefined && secret === undefined) throw new MissingCredentialsError(config.realm);
  if (!readable) return refuseUnreadableCredentials(config, ip);
  const { record, key } = await authenticateKey(config, ip, id, secret);
  return issueTokens(config.tokens.settings, record.publicId, key.id, config.now());
}

/**
 * Twake's application login, `POST /api/console/v1/login` with JSON `{ "id": public id, "secret": private key }`:
 * 200 `{ resource: { access_token: { time, expiration, refresh_expiration, value, refresh, type: "Bearer" } } }`.
 * The key is checked exactly as a Basic key is (digest, constant-time comparison, failure throttle):
 * 401 `missing_credentials` / `invalid_credentials`, 429 `too_many_failures`, 403 `https_required`,
 * 400/413/415 for a body it cannot read, 503 through `next(err)` when the store fails.
 *
 * @param options - the middleware's options; `tokens` is required.
 * @public
 */
export function twakeAppLogin(options: TokenRouteOptions): RequestHandler {
  const config = tokenConfiguration(options, 'twakeAppLogin');
  const readBody = createBodyReader({ ...config, unreadBodies: 'refuse' });
  return (req, res, next) => {
    const started = config.onDecision === null ? 0 : performance.now();
    login(config, readBody, req, res).then(
      (token) => {
        report(config, 'ok', 200, started);
        res.setHeader('Cache-Control', 'no-store');
        const answer: LoginResponse = { resource: { access_token: token } };
        res.status(200).json(answer);
      },
      (error: unknown) => {
        const failure = asFailure(error);
        report(config, failure.code, failure.status, started);
        refuse(res, next, failure);
      },
    );
  };
}
