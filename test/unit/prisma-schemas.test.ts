import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', 'prisma');
const models = (provider: string): string => {
  const schema = readFileSync(join(root, provider, 'schema.prisma'), 'utf8');
  return schema.slice(schema.indexOf('\n///'));
};

describe('prisma schemas', () => {
  it('should declare the same models for SQLite and PostgreSQL', () => {
    expect(models('sqlite')).toContain('model Application {');
    expect(models('postgresql')).toBe(models('sqlite'));
  });

  it('should give examples/express5-typescript the same models', () => {
    expect(models(join('..', 'examples', 'express5-typescript', 'prisma'))).toBe(models('sqlite'));
  });

  it('should ship the same migrations for both providers', () => {
    const names = (provider: string) => readdirSync(join(root, provider, 'migrations')).sort();
    expect(names('sqlite').length).toBeGreaterThan(0);
    expect(names('postgresql')).toEqual(names('sqlite'));
  });
});
