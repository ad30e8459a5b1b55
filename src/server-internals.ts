// The CLI and server, for the twake-app-auth-server package only: not a public API, no semver promise.
export { startCli } from './cli/start';
