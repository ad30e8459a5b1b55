import { describe, expect, it } from '@jest/globals';
import { MemoryStore, TwakeAppStrategy, twakeAppAuth } from '../../src';
import { modeFromEnvironment, parseOptions } from '../../src/options';

describe('parseOptions', () => {
  const store = new MemoryStore();

  it('should resolve the defaults', () => {
    const config = parseOptions({ store, mode: 'production' });
    expect(config.realm).toBe('Twake applications');
    expect(config.bodyLimit).toBe('100kb');
    expect(config.mode).toBe('production');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('should not modify the options object passed', () => {
    const options = { store, realm: 'Mine' };
    const copy = { ...options };
    parseOptions(options);
    expect(options).toEqual(copy);
  });

  it('should be production unless NODE_ENV is exactly development', () => {
    expect(modeFromEnvironment(undefined)).toBe('production');
    expect(modeFromEnvironment('')).toBe('production');
    expect(modeFromEnvironment('test')).toBe('production');
    expect(modeFromEnvironment('Development')).toBe('production');
    expect(modeFromEnvironment('dev')).toBe('production');
    expect(modeFromEnvironment('development')).toBe('development');
  });

  it('should prefer the mode option over NODE_ENV', () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    try {
      expect(parseOptions({ store }).mode).toBe('development');
      expect(parseOptions({ store, mode: 'production' }).mode).toBe('production');
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it.each([
    ['no options', undefined, /options are required/],
    ['the factory itself', twakeAppAuth, /Did you write app.use\(twakeAppAuth\)/],
    ['no store', {}, /option "store" must be an ApplicationStore/],
    ['a store without findApplication', { store: {} }, /option "store"/],
    ['an unknown key', { store, relm: 'x' }, /unknown option "relm"/],
    ['a bad mode', { store, mode: 'dev' }, /option "mode"/],
    ['a bad isSecure', { store, isSecure: true }, /option "isSecure"/],
    ['a realm with a quote', { store, realm: 'a"b' }, /option "realm"/],
    ['an empty realm', { store, realm: '' }, /option "realm"/],
    ['a bad bodyLimit', { store, bodyLimit: {} }, /option "bodyLimit"/],
    ['a bad clock', { store, now: 5 }, /option "now"/],
  ])('should throw a TypeError for %s', (_name, options, message) => {
    expect(() => parseOptions(options as never)).toThrow(TypeError);
    expect(() => parseOptions(options as never)).toThrow(message);
    expect(() => twakeAppAuth(options as never)).toThrow(message);
    expect(() => new TwakeAppStrategy(options as never)).toThrow(message);
  });
});
