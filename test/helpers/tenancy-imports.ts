// What the tenancy suite imports from the package, and forward-auth, which the package builds into the server.
export { MemoryStore, trustForwardedIdentity, twakeAuthErrorHandler } from '../../src';
export { forwardAuth as forwardAuthForTests } from '../../src/proxy/forward-auth';
