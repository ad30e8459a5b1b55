// Public entry point: re-exports only.

// The one-line way: middleware and its error renderer.
export { twakeAppAuth } from './middleware';
export { twakeAuthErrorHandler, toProblem } from './problem';
// The typed identity of an authenticated request (also `req.twake`).
export { twakeIdentity } from './attach-identity';
export type { ProblemBody } from './problem';
export type { UnreadBodies } from './read-body';
// Twake's v1 capabilities and privileges: route-level checks, and the v1 route table for `routes`.
export { requireCapabilities, requirePrivileges } from './require-grants';
export { twakeV1Routes, TWAKE_CAPABILITIES, TWAKE_PRIVILEGES } from './twake-v1';
export type { Requirement, RouteTable } from './twake-v1';
export { normaliseAllowedIps, InvalidAllowedIpError } from './allowed-ips';
// For a Node backend behind a proxy that asks forward-auth (nginx auth_request, Traefik, Envoy).
export { trustForwardedIdentity } from './trust-forwarded-identity';
export type { ForwardedIdentityOptions } from './trust-forwarded-identity';
export { IDENTITY_HEADERS, decodeHeaderValue } from './identity-headers';
// For apps that already use passport.
export { TwakeAppStrategy } from './strategy';
// For apps already on passport-http: the same decision as its BasicStrategy's verify function.
export { twakeBasicVerify, createTwakeBasicStrategy } from './passport-http';
export type { BasicVerifyFunction } from './passport-http';
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
export { createFailureThrottle } from './failure-throttle';
export type { FailureThrottle, ThrottleOptions, ThrottleVerdict } from './failure-throttle';
export { createRequestLimiter } from './request-limit';
export type { RequestLimiter, RequestLimitOptions } from './request-limit';
export type { CounterOptions } from './rate-limiters';
export type { RedisClient, RedisCounterState, RedisStateChange } from './redis-health';
// Last use of each key, written in batches (pass recorder.record as onAuthenticated).
export { createKeyUsageRecorder } from './key-usage';
export type { KeyUsageOptions, KeyUsagePrismaLike, KeyUsageRecorder } from './key-usage';
// Managing applications, keys and installations (used by the CLI).
export { createAdmin } from './admin';
export type { Admin, AdminPrismaClient, ApplicationSummary, CreatedApplication, IssuedKey, RotatedKey } from './admin';
// Building blocks, exported for custom integrations and tests.
export { parseAuthorization } from './parse-authorization';
export type { BasicCredentials, ParsedAuthorization } from './parse-authorization';
export { extractGroupId } from './group-id';
export type { GroupIdResult } from './group-id';
export { generatePrivateKey, digestKey, digestsEqual } from './secrets';
export * from './errors';
export type * from './types';
