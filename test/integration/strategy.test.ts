// Passport-specific behaviour of TwakeAppStrategy (the shared corpus runs in middleware.test.ts).
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import { MemoryStore, TwakeAppStrategy } from '../../src';

function warningsOf(kind: 'twake' | 'plain'): { status: number; warnings: Array<{ name: string; code?: string }> } {
  const output = execFileSync(process.execPath, ['--pending-deprecation', join(__dirname, '..', 'fixtures', 'passport-warnings.js'), kind], {
    encoding: 'utf8',
    // The control run's deprecation warning goes to its stderr: keep it out of the test output.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output.trim().split('\n').pop() as string);
}

describe('TwakeAppStrategy', () => {
  it('should be a passport-http BasicStrategy named twake-app', () => {
    const strategy = new TwakeAppStrategy({ store: new MemoryStore() });
    expect(strategy).toBeInstanceOf(BasicStrategy);
    expect(strategy.name).toBe('twake-app');
    expect(() => new passport.Passport().use(strategy)).not.toThrow();
  });

  it('should never call the deprecated Buffer constructor (DEP0005), unlike plain passport-http', () => {
    const plain = warningsOf('plain');
    // The control: passport-http's own parsing triggers the deprecation, so this test can fail.
    expect(plain.status).toBe(200);
    expect(plain.warnings).toContainEqual({ name: 'DeprecationWarning', code: 'DEP0005' });

    const ours = warningsOf('twake');
    expect(ours.status).toBe(200);
    expect(ours.warnings).toEqual([]);
  });
});
