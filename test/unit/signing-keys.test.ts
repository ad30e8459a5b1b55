// The database key ring with an in-memory table: first start, unusable rows, rotation over time.
import { describe, expect, it } from '@jest/globals';
import { generateSigningKey, openDatabaseKeyRing, rotateSigningKeys, type SigningKeyPrismaLike, type SigningKeyRow } from '../../src/assertion/signing-keys';
import { createAssertionSigner } from '../../src/assertion/signer';

/** The `signingKey` delegate over an array, as the ring and the CLI use it. */
function memoryTable(rows: SigningKeyRow[] = []): SigningKeyPrismaLike & { rows: SigningKeyRow[] } {
  return {
    rows,
    signingKey: {
      findMany: async () => rows.map((row) => ({ ...row })),
      create: async ({ data }) => {
        rows.push({ ...data });
        return data;
      },
      updateMany: async ({ where, data }) => {
        const matching = rows.filter((row) => row.retiresAt === where.retiresAt && (where.id === undefined || row.id !== where.id.not));
        for (const row of matching) row.retiresAt = data.retiresAt;
        return { count: matching.length };
      },
    },
  };
}

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

describe('openDatabaseKeyRing', () => {
  it('generates and publishes an EdDSA key at the first start, and signs with it', async () => {
    const table = memoryTable();
    const ring = await openDatabaseKeyRing(table, { now: () => T0 });
    try {
      expect(table.rows).toHaveLength(1);
      expect(ring.current()).toMatchObject({ kid: table.rows[0]?.id, alg: 'EdDSA' });
      const published = ring.published().keys;
      expect(published).toEqual([expect.objectContaining({ kid: table.rows[0]?.id, alg: 'EdDSA', use: 'sig', kty: 'OKP' })]);
      expect(published[0]).not.toHaveProperty('d');
    } finally {
      ring.close();
    }
  });

  it('ignores and reports rows it cannot use, instead of failing every pass', async () => {
    const good = await generateSigningKey('EdDSA', new Date(T0 - 60_000));
    const foreign = { ...(await generateSigningKey('EdDSA', new Date(T0))), id: 'rs256', algorithm: 'RS256' };
    const broken = { ...(await generateSigningKey('EdDSA', new Date(T0))), id: 'broken', privateJwk: '{"kty":"OKP","crv":"Ed25519","x":"AA","d":"AA"}' };
    const garbage = { ...(await generateSigningKey('ES256', new Date(T0))), id: 'garbage', publicJwk: 'not json' };
    const table = memoryTable([good, foreign, broken, garbage]);
    const reported: unknown[] = [];
    const ring = await openDatabaseKeyRing(table, { now: () => T0, onError: (error) => reported.push(error) });
    try {
      expect(ring.current()?.kid).toBe(good.id);
      expect(ring.published().keys.map((key) => key.kid)).toEqual([good.id]);
      expect(reported).toHaveLength(3);
      // Nothing generated: a usable key is published.
      expect(table.rows).toHaveLength(4);
    } finally {
      ring.close();
    }
  });

  it('generates a new key when no published key is usable', async () => {
    const foreign = { ...(await generateSigningKey('EdDSA', new Date(T0))), id: 'rs256', algorithm: 'RS256' };
    const table = memoryTable([foreign]);
    const ring = await openDatabaseKeyRing(table, { now: () => T0, onError: () => undefined });
    try {
      expect(table.rows).toHaveLength(2);
      expect(ring.current()?.kid).toBe(table.rows[1]?.id);
    } finally {
      ring.close();
    }
  });

  it('rotation: the next key is published ahead and signs from its activation; the old one leaves after the grace', async () => {
    let now = T0;
    const table = memoryTable();
    const ring = await openDatabaseKeyRing(table, { now: () => now, refreshMs: 60_000 });
    try {
      const first = ring.current()?.kid;
      const rotated = await rotateSigningKeys(table, { activateInSeconds: 60, graceSeconds: 600, now: () => now });
      // The ring rereads on its timer; opening another reads at once, as another instance would.
      const other = await openDatabaseKeyRing(table, { now: () => now, refreshMs: 60_000 });
      try {
        expect(other.current()?.kid).toBe(first);
        expect(other.published().keys.map((key) => key.kid)).toEqual([first, rotated.id]);
        now = T0 + 60_000;
        expect(other.current()?.kid).toBe(rotated.id);
        now = T0 + 60_000 + 600_000 - 1;
        expect(other.published().keys.map((key) => key.kid)).toEqual([first, rotated.id]);
        now = T0 + 60_000 + 600_000;
        expect(other.published().keys.map((key) => key.kid)).toEqual([rotated.id]);
      } finally {
        other.close();
      }
    } finally {
      ring.close();
    }
  });
});

describe('createAssertionSigner', () => {
  const identity = { applicationId: 'a', publicId: 'p', name: 'n', keyId: 'k', companyId: 'acme', capabilities: [], privileges: [] };

  it('reuses an assertion for the same identity and short route, never for a long one', async () => {
    const table = memoryTable();
    const ring = await openDatabaseKeyRing(table, { now: () => T0 });
    try {
      const signer = createAssertionSigner({ keys: ring, issuer: 'i', audience: 'a', now: () => T0 });
      const short = { method: 'GET', path: '/api/v1/notes' };
      expect(signer.sign(identity, short)).toBe(signer.sign(identity, short));
      // Once signed, the reused token itself, without a promise.
      const token = await signer.sign(identity, short);
      expect(signer.sign(identity, short)).toBe(token);
      expect(signer.sign({ ...identity, capabilities: ['messages_save'] }, short)).not.toBe(signer.sign(identity, short));
      const long = { method: 'GET', path: `/api/v1/${'x'.repeat(600)}` };
      expect(signer.sign(identity, long)).not.toBe(signer.sign(identity, long));
      await expect(Promise.resolve(signer.sign(identity, long))).resolves.toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    } finally {
      ring.close();
    }
  });

  it('refuses a lifetime over 60 s, and an empty issuer or audience', () => {
    const keys = { current: () => null, published: () => ({ keys: [] }), close: () => undefined };
    expect(() => createAssertionSigner({ keys, issuer: 'i', audience: 'a', ttlSeconds: 61 })).toThrow(/1 to 60/);
    expect(() => createAssertionSigner({ keys, issuer: '', audience: 'a' })).toThrow(/issuer/);
  });
});
