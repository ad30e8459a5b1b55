import { describe, expect, it } from '@jest/globals';
import { createKeyUsageRecorder, type KeyUsagePrismaLike, type TwakeIdentity } from '../../src';

function fakePrisma(failures = 0) {
  const writes: Array<{ ids: string[]; at: Date }> = [];
  let failuresLeft = failures;
  const prisma: KeyUsagePrismaLike = {
    applicationKey: {
      updateMany: async ({ where, data }) => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('database gone');
        }
        writes.push({ ids: [...where.id.in].sort(), at: data.lastUsedAt });
        return { count: where.id.in.length };
      },
    },
  };
  return { prisma, writes };
}

const used = (keyId: string): TwakeIdentity => ({ applicationId: 'a', publicId: 'p', name: 'n', keyId, companyId: 'c', capabilities: [], privileges: [] });

describe('createKeyUsageRecorder', () => {
  it('should write each used key once per flush, stamped with the time of the write', async () => {
    const { prisma, writes } = fakePrisma();
    const recorder = createKeyUsageRecorder(prisma, { now: () => 1_000_000 });
    recorder.record(used('k1'));
    recorder.record(used('k2'));
    recorder.record(used('k1'));
    await recorder.flush();
    await recorder.flush();
    expect(writes).toEqual([{ ids: ['k1', 'k2'], at: new Date(1_000_000) }]);
    await recorder.close();
  });

  it('should write in batches of at most 500 keys', async () => {
    const { prisma, writes } = fakePrisma();
    const recorder = createKeyUsageRecorder(prisma);
    for (let i = 0; i < 1200; i += 1) recorder.record(used(`k${i}`));
    await recorder.close();
    expect(writes.map((write) => write.ids.length)).toEqual([500, 500, 200]);
  });

  it('should report a failed write and retry those keys at the next one', async () => {
    const { prisma, writes } = fakePrisma(1);
    const errors: unknown[] = [];
    const recorder = createKeyUsageRecorder(prisma, { onError: (error) => errors.push(error) });
    recorder.record(used('k1'));
    await recorder.flush();
    expect(writes).toEqual([]);
    expect(errors).toHaveLength(1);
    await recorder.flush();
    expect(writes.map((write) => write.ids)).toEqual([['k1']]);
    await recorder.close();
  });

  it('should write on its own every interval, and what is left on close', async () => {
    const { prisma, writes } = fakePrisma();
    const recorder = createKeyUsageRecorder(prisma, { intervalMs: 20 });
    recorder.record(used('k1'));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(writes.map((write) => write.ids)).toEqual([['k1']]);
    recorder.record(used('k2'));
    await recorder.close();
    expect(writes.map((write) => write.ids)).toEqual([['k1'], ['k2']]);
  });

  it('should refuse an interval that is not a whole number of milliseconds', () => {
    const { prisma } = fakePrisma();
    expect(() => createKeyUsageRecorder(prisma, { intervalMs: 0 })).toThrow(/intervalMs must be a whole number/);
  });
});
