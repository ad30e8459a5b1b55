// Request lines reach standard output in batches of whole lines that a pipe writes in one piece.
import { describe, expect, it } from '@jest/globals';
import { LineBatch } from '../../server/src/server/logger';

function recorder() {
  const writes: string[] = [];
  return { writes, output: { write: (text: string) => writes.push(text) } };
}

const line = (index: number, padding: string) => `{"n":${index},"path":"${padding}"}\n`;

describe('LineBatch', () => {
  it('writes nothing until a batch is full or flushed, then every line once, in order', () => {
    const { writes, output } = recorder();
    const batch = new LineBatch(output, 100);
    batch.write(line(1, 'a'));
    expect(writes).toEqual([]);
    batch.flush();
    batch.flush();
    expect(writes).toEqual([line(1, 'a')]);
  });

  it.each([
    ['ASCII', 'x'],
    ['two-byte characters', 'é'],
    ['three-byte characters', '€'],
    ['four-byte characters', '𝄞'],
  ])('never writes more than the batch size in bytes, and only whole lines (%s)', (_name, unit) => {
    const { writes, output } = recorder();
    const batch = new LineBatch(output, 4096);
    const lines = Array.from({ length: 500 }, (_, index) => line(index, unit.repeat((index * 37) % 300)));
    for (const each of lines) batch.write(each);
    batch.flush();
    expect(writes.join('')).toBe(lines.join(''));
    for (const write of writes) {
      expect(Buffer.byteLength(write)).toBeLessThanOrEqual(4096);
      expect(write.endsWith('\n')).toBe(true);
    }
    // Batched, not one write per line.
    expect(writes.length).toBeLessThan(lines.length / 4);
  });

  it('writes a line longer than the batch alone, after what was held', () => {
    const { writes, output } = recorder();
    const batch = new LineBatch(output, 100);
    batch.write(line(1, 'a'));
    const long = line(2, 'b'.repeat(300));
    batch.write(long);
    batch.write(line(3, 'c'));
    batch.flush();
    expect(writes).toEqual([line(1, 'a'), long, line(3, 'c')]);
  });
});
