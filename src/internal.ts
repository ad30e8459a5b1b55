// What the twake-app-auth-server package needs beyond the public API: not a public API, no semver promise.
// Only the server package imports `twake-app-auth/internal`; anything here may change in any release.

// Loading the drivers a feature needs, with an install hint (the caller passes its own `require`).
export { requireAllOptional, requireOptional } from './core/optional-dependency';
export type { OptionalPeer } from './core/optional-dependency';
// The limits the CLI checks its arguments against, the ones the library checks requests against.
export { MAX_PRIVATE_KEY_LENGTH, MAX_PUBLIC_ID_LENGTH } from './core/parse-authorization';
export { MAX_GROUP_ID_LENGTH, isValidCompanyId } from './core/group-id';
export { MAX_APPLICATION_NAME_LENGTH } from './admin/admin';
export { MAX_ASSERTION_TTL_SECONDS } from './assertion/claims';
// The CLI's output escaping, and the server's mode from NODE_ENV.
export { hasInvisibleCharacters, replaceInvisibleCharacters } from './core/control-characters';
export { modeFromEnvironment } from './core/options';
// Declared access and the stored list encoding, for `app create` and `import`.
export { checkedAccess } from './admin/access';
export type { AccessInput } from './admin/access';
export { joinList, splitList } from './stores/stored-lists';
export { digestKeyHex } from './core/secrets';
// The SQL the server's driver store sends and how it gathers lookups: the same as the Prisma store's.
export { BATCH_LOOKUP_SQL, lookupSql, toRecord } from './stores/lookup-sql';
export type { LookupRow } from './stores/lookup-sql';
export { batchedLookups } from './stores/batched-lookups';
export type { BatchRow } from './stores/batched-lookups';
// Forward-auth and the signed identity assertion with its keys.
export { forwardAuth } from './proxy/forward-auth';
export { createAssertionSigner } from './assertion/signer';
export type { AssertionSigner } from './assertion/signer';
export { MIN_SECRET_BYTES, SIGNING_ALGORITHMS, openDatabaseKeyRing, rotateSigningKeys, secretKeyRing } from './assertion/signing-keys';
export type { SigningAlgorithm, SigningKeyPrismaLike, SigningKeyRing } from './assertion/signing-keys';
