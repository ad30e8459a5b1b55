// Public types: the identity attached to requests, the store interface and the options.
import type { Request } from 'express';
import type { FailureThrottle, ThrottleOptions } from '../limits/failure-throttle';
import type { NotInstalledLimitOptions } from '../limits/not-installed-budget';
import type { RequestLimiter, RequestLimitOptions } from '../limits/request-limit';
import type { RouteTable } from '../twake/twake-v1';
import type { NodeRouteTable } from '../twake/twake-node';
import type { TokenOptions } from '../tokens/token-settings';

/** What to do with a body the validator cannot read `group_id` from. @public */
export type UnreadBodies = 'refuse' | 'allow';

/**
 * Who is calling: attached to `req.twake` (and `req.user` with passport) once a request is let through.
 * Never contains the key.
 *
 * @public
 */
export interface TwakeIdentity {
  /** Internal application id. */
  readonly applicationId: string;
  /** The id the application sends as the Basic user-id. */
  readonly publicId: string;
  /** Application name. */
  readonly name: string;
  /** Id of the key that matched. */
  readonly keyId: string;
  /** The company (`group_id`) the request acts in. */
  readonly companyId: string;
  /** Capabilities (write rights) this company granted the application. */
  readonly capabilities: readonly string[];
  /** Privileges (read rights) this company granted the application. */
  readonly privileges: readonly string[];
}

/** What a company granted an application at installation. @public */
export interface Grants {
  readonly capabilities: readonly string[];
  readonly privileges: readonly string[];
}

/** One usable (not revoked) key of an application, as the store returns it. @public */
export interface StoredKey {
  readonly id: string;
  /** SHA-256 of the private key, 32 bytes. */
  readonly digest: Buffer;
  /** When the key stops working; null for never. */
  readonly expiresAt: Date | null;
}

/** An application as the validator needs it, looked up for one company. @public */
export interface ApplicationRecord {
  readonly id: string;
  readonly publicId: string;
  readonly name: string;
  readonly enabled: boolean;
  /** Keys that are not revoked (expired ones included: the validator checks expiry). */
  readonly keys: readonly StoredKey[];
  /** Whether the application is installed in the company asked about. */
  readonly installed: boolean;
  /** What that company granted (when installed). Absent: nothing granted. */
  readonly granted?: Grants;
  /** Allowed client addresses as normalised CIDR ranges (see `normaliseAllowedIps`). Absent or empty: any. */
  readonly allowedIps?: readonly string[];
}

/** An application held in a cache: its record (null: no such application) and whether it is fresh. @public */
export interface HeldApplication {
  readonly record: ApplicationRecord | null;
  readonly fresh: boolean;
}

/** An application looked up, with the company its `installed` flag is about. @public */
export interface LoadedApplication {
  readonly record: ApplicationRecord | null;
  readonly companyId: string | null;
}

/**
 * What {@link ApplicationStore.findApplication} gives: the record (or null), now or later.
 *
 * @public
 */
export type StoreAnswer = ApplicationRecord | null | Promise<ApplicationRecord | null>;

/**
 * Where applications live. Required: `findApplication`. Optional: `close`.
 *
 * @public
 */
export interface ApplicationStore {
  /**
   * Looks up an application by public id together with its keys and whether it is installed in
   * `companyId` (false when `companyId` is null). Gives null for an unknown public id; rejects (or
   * throws) when the store cannot answer. May answer synchronously, as the cache does on a hit.
   */
  findApplication(publicId: string, companyId: string | null): StoreAnswer;
  /**
   * Optional, for caches (`createCachedStore` has it): the application as held in memory, without any
   * query; `fresh` while within its TTL, undefined when not held. With it, the validator checks a key
   * before it asks about a company, and sends a client over its failure budget to the database only when
   * an application it holds accepts the key.
   */
  peekApplication?(publicId: string): HeldApplication | undefined;
  /**
   * Optional, with `peekApplication`: looks the application up, sharing a lookup already under way for
   * the same public id (whatever its company). Says which company the record's `installed` is about.
   */
  loadApplication?(publicId: string, companyId: string | null): Promise<LoadedApplication>;
  /**
   * Optional, for caches: told about an application whose key was just verified against a lookup, to hold
   * it where other lookups cannot evict it (see `peekApplication`).
   */
  holdVerified?(record: ApplicationRecord): void;
  /**
   * Optional, with `findInstallation`: what `companyId` granted the application as held in memory while
   * fresh (null: not installed), without any query; undefined when not held.
   */
  peekInstallation?(publicId: string, companyId: string): Grants | null | undefined;
  /** Optional, with `peekApplication`: what `companyId` granted the application; null when not installed there. */
  findInstallation?(publicId: string, companyId: string): Grants | null | Promise<Grants | null>;
  /**
   * Revokes one key (needed by `revokeKeysSeenInCleartext`). Resolves `false` when it revoked nothing (the
   * key was revoked already): then no `onCleartextKeyRevoked` event is reported; any other value counts as
   * revoked.
   */
  revokeKey?(applicationId: string, keyId: string): Promise<unknown>;
  /** Releases connections and timers. */
  close?(): Promise<void>;
}

/** A key revoked because it arrived over plain HTTP. @public */
export interface CleartextKeyEvent {
  readonly publicId: string;
  readonly applicationId: string;
  readonly keyId: string;
}

/** `development` relaxes the HTTPS requirement; `production` enforces it. @public */
export type Mode = 'development' | 'production';

/**
 * Options of {@link twakeAppAuth} and {@link TwakeAppStrategy}.
 *
 * @public
 */
export interface Options {
  /** Where applications are looked up. Required. */
  store: ApplicationStore;
  /**
   * `development` lets plain HTTP through. Defaults to `development` only when `NODE_ENV` is exactly
   * `development`, otherwise `production`.
   */
  mode: Mode;
  /**
   * Decides whether a request arrived over HTTPS. Defaults to `req.secure`, which looks at the socket
   * and trusts `X-Forwarded-Proto` only from peers that Express's `trust proxy` setting trusts.
   */
  isSecure: (req: Request) => boolean;
  /** Realm of the Basic challenge. Defaults to `Twake applications`. */
  realm: string;
  /** Largest request body parsed to find `group_id`, in bytes. Defaults to `100kb`. */
  bodyLimit: number | string;
  /**
   * What to do with a request body the validator cannot read `group_id` from: anything but JSON
   * (`application/json`, `application/*+json`) and urlencoded, or a body your app already turned into a
   * string or a Buffer. `refuse` answers 415 `unsupported_media_type`. `allow` lets it through for routes
   * such as file uploads: the company then comes from the query string only, so handlers must use
   * `req.twake.companyId` and never a `group_id` of their own reading. Defaults to `refuse`.
   */
  unreadBodies: UnreadBodies;
  /**
   * Longest time a request body may take to arrive, in milliseconds; past it, 408 `body_timeout` and the
   * connection is closed. The body is read only after the credentials' syntax and the throttle.
   * Defaults to 5000.
   */
  bodyTimeoutMs: number;
  /**
   * Throttling of failed authentication per client IP and per public id (429 `too_many_failures`),
   * or `false` to turn it off. Defaults to in-memory counters: 100 failures per IP and 300 per public
   * id per 60 s window. Pass `redis` (an ioredis client) to share counters between instances, or one
   * `createFailureThrottle()` to share it between several middlewares.
   */
  throttle: Partial<ThrottleOptions> | FailureThrottle | false;
  /**
   * Most requests each application may make per window, counted once its key is verified: past it,
   * 429 `too_many_requests`. For example `{ limit: 6000, windowSeconds: 60 }`, with `redis` to share
   * counters between instances, or one `createRequestLimiter()` shared by several middlewares.
   * Defaults to false (no limit).
   */
  requestLimit: RequestLimitOptions | RequestLimiter | false;
  /**
   * Most companies per window that one application may be looked up in and found not installed (429
   * `too_many_not_installed` past it, for companies the cache does not hold), so that one key holder
   * naming a new `group_id` on every request cannot send each to the database. Counted per instance.
   * Defaults to `{ limit: 30, windowSeconds: 60 }`; `false` turns it off.
   */
  notInstalledLimit: NotInstalledLimitOptions | false;
  /**
   * Revoke a valid key that arrives over plain HTTP outside development mode (the answer stays the same
   * 403 `https_required`). Needs a store with `revokeKey`. Defaults to false.
   */
  revokeKeysSeenInCleartext: boolean;
  /** Told about each key revoked for arriving in clear text (log it). Defaults to doing nothing. */
  onCleartextKeyRevoked: (event: CleartextKeyEvent) => void;
  /**
   * Told when such a revocation failed (the answer is still 403 `https_required`); `willRetry` says
   * whether it will be tried again (after 1 s, 5 s and 30 s). Log it. Defaults to doing nothing.
   */
  onCleartextRevocationFailed: (event: CleartextKeyEvent, error: unknown, willRetry: boolean) => void;
  /**
   * Told about each request let through, synchronously, before `next()`: for metrics or last-used
   * tracking (see `createKeyUsageRecorder`). Keep it quick; what it throws is ignored. Defaults to
   * doing nothing.
   */
  onAuthenticated: (identity: TwakeIdentity) => void;
  /**
   * Told about every decision, after it is made: its `code` (`ok` when the request goes through, the
   * refusal's code otherwise, such as `invalid_credentials` or `store_unavailable`), its HTTP `status`
   * and how long it took in seconds. For metrics (the server's `GET /metrics` is built on it); the code
   * set is bounded, so it is safe as a metric label. What it throws is ignored. Defaults to nothing (and
   * then no clock is read).
   */
  onDecision: ((decision: Decision) => void) | null;
  /**
   * Route table enforced on every request: a route listed needs its capabilities and privileges granted
   * by the company (403 `missing_capability` / `missing_privilege`), and is refused any method its
   * `methods` does not list (405 `method_not_allowed`), e.g. `twakeV1Routes`. Paths are
   * matched from `/api/v1/` when the request path holds it, otherwise relative to where the middleware
   * is mounted. Defaults to null (no route requirement; see `requireCapabilities`).
   */
  routes: RouteTable | null;
  /**
   * Route table of Twake's Node-era scopes enforced on company paths (`/api/:service/:version/companies/:company_id/…`),
   * by method: e.g. `twakeNodeRoutes` (GET on messages needs the privilege `read:messages`, POST the
   * capability `write:messages`). Defaults to null (no scope requirement).
   */
  nodeRoutes: NodeRouteTable | null;
  /**
   * Accept `Authorization: Bearer <token>` as Twake's Node backend issues it (`POST /api/console/v1/login`):
   * HS256 with a shared `secret` (Twake's `auth.jwt.secret`), or our asymmetric `keys`. The company then
   * comes from the path (`/:service/:version/companies/:company_id/…`) or `group_id`. Defaults to null
   * (Bearer tokens refused with 401).
   */
  tokens: TokenOptions | null;
  /** Clock used for key expiry. Defaults to `Date.now`. */
  now: () => number;
}

/**
 * What {@link twakeAppAuth} and {@link TwakeAppStrategy} accept: {@link Options} with `store` required and
 * every other option optional (its default applies).
 *
 * @public
 */
export type TwakeAppAuthOptions = Pick<Options, 'store'> & Partial<Omit<Options, 'store'>>;

/** One decision, as {@link Options.onDecision} is told about it. @public */
export interface Decision {
  /** `ok`, or the refusal's code. */
  readonly code: string;
  /** 200 when through, the refusal's status otherwise. */
  readonly status: number;
  /** Time from the request's facts to the decision, in seconds (body reading and store look-ups included). */
  readonly seconds: number;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by twake-app-auth once the request is authenticated. */
    twake?: TwakeIdentity;
  }
}
