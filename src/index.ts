// Public entry point: re-exports only.

// The one-line way: middleware and its error renderer.
export { twakeAppAuth } from './express/middleware';
export { twakeAuthErrorHandler, toProblem } from './express/problem';
// The typed identity of an authenticated request (also `req.twake`).
export { twakeIdentity } from './express/attach-identity';
export type { ProblemBody } from './express/problem';
// Twake's v1 capabilities and privileges: route-level checks, and the v1 route table for `routes`.
export { requireCapabilities, requirePrivileges } from './express/require-grants';
export { twakeV1Routes, TWAKE_CAPABILITIES, TWAKE_PRIVILEGES } from './twake/twake-v1';
export type { Requirement, RouteTable } from './twake/twake-v1';
export { normaliseAllowedIps, InvalidAllowedIpError } from './core/allowed-ips';
// For a Node backend behind a proxy that asks forward-auth (nginx auth_request, Traefik, Envoy).
export { trustForwardedIdentity } from './proxy/trust-forwarded-identity';
export type { ForwardedIdentityOptions } from './proxy/trust-forwarded-identity';
export { IDENTITY_HEADERS, decodeHeaderValue } from './proxy/identity-headers';
// For apps that already use passport.
export { TwakeAppStrategy } from './express/strategy';
// For apps already on passport-http: the same decision as its BasicStrategy's verify function.
export { twakeBasicVerify, createTwakeBasicStrategy } from './express/passport-http';
export type { BasicVerifyFunction } from './express/passport-http';
// Twake's current applications API: login with id and key, Bearer tokens, token renewal, "me".
export { twakeAppLogin } from './express/app-login';
export type { LoginResponse, TokenRouteOptions } from './express/app-login';
export { twakeAppTokenRenewal } from './express/token-renewal';
export type { TokenRenewalResponse } from './express/token-renewal';
export { twakeAppMe } from './express/app-me';
export type { TwakeApplicationObject } from './tokens/application-object';
export type { TokenOptions } from './tokens/token-settings';
export type { AccessToken } from './tokens/claims';
export { twakeNodeRoutes, NODE_CAPABILITIES, NODE_PRIVILEGES } from './twake/twake-node';
export type { NodeAction, NodeRoute, NodeRouteTable, NodeScope } from './twake/twake-node';
// Stores: the Prisma adapter for production, the memory store for tests and demos.
export { createPrismaStore } from './stores/prisma-store';
export type { PrismaClientLike } from './stores/prisma-store';
export { MemoryStore } from './stores/memory-store';
// The hot path: a bounded cache in front of any store, and PostgreSQL change notifications for it.
export { createCachedStore } from './stores/cached-store';
export type { CacheOptions, CachedStore, CacheStats } from './stores/cached-store';
export { listenForChanges, CHANGE_CHANNEL } from './stores/postgres-changes';
export type { ChangeListener, ChangeListenerOptions, PgClientLike, PgModuleLike } from './stores/postgres-changes';
// Throttling of failed authentication (memory or Redis), shareable between middlewares.
export { createFailureThrottle } from './limits/failure-throttle';
export type { FailureThrottle, ThrottleOptions, ThrottleVerdict } from './limits/failure-throttle';
export { createRequestLimiter } from './limits/request-limit';
export type { RequestLimiter, RequestLimitOptions } from './limits/request-limit';
export type { CounterOptions } from './limits/rate-limiters';
export type { RedisClient, RedisCounterState, RedisStateChange } from './limits/redis-health';
// Last use of each key, written in batches (pass recorder.record as onAuthenticated).
export { createKeyUsageRecorder } from './stores/key-usage';
export type { KeyUsageOptions, KeyUsagePrismaLike, KeyUsageRecorder } from './stores/key-usage';
// Managing applications, keys and installations (used by the CLI).
export { createAdmin } from './admin/admin';
export type { Admin, AdminPrismaClient, ApplicationSummary, CreatedApplication, IssuedKey, RotatedKey } from './admin/admin';
// Building blocks, exported for custom integrations and tests.
export { parseAuthorization } from './core/parse-authorization';
export type { BasicCredentials, ParsedAuthorization } from './core/parse-authorization';
export { extractGroupId } from './core/group-id';
export type { GroupIdResult } from './core/group-id';
export { generatePrivateKey, digestKey, digestsEqual } from './core/secrets';
export * from './core/errors';
export type * from './core/types';
