// The command the CLI suggests is the one that runs it where it was started.
import { describe, expect, it } from '@jest/globals';
import { invocation } from '../../server/src/cli/invocation';

describe('invocation', () => {
  it('names the way the CLI was started', () => {
    expect(invocation({ npm_lifecycle_event: 'cli' }, '/repo/server/dist/cli/main.js', '/repo')).toBe('npm run --silent cli --');
    expect(invocation({ npm_command: 'exec' }, '/tmp/x/node_modules/.bin/twake-app-auth', '/tmp/x')).toBe('npx twake-app-auth');
    expect(invocation({}, '/usr/local/bin/twake-app-auth', '/home/me')).toBe('twake-app-auth');
    expect(invocation({}, '/repo/server/dist/cli/main.js', '/repo')).toBe('node server/dist/cli/main.js');
  });
});
