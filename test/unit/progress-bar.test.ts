// The import's progress bar: drawn on a terminal only.
import { describe, expect, it } from '@jest/globals';
import { progressBar } from '../../server/src/cli/progress-bar';

const stream = (isTTY: boolean) => {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (text: string) => written.push(text) > 0 } as unknown as NodeJS.WriteStream };
};

describe('progressBar', () => {
  it('should draw on a terminal and end its line', () => {
    const tty = stream(true);
    const bar = progressBar('import', tty.stream);
    bar.counted('checking', 20_000);
    expect(tty.written.pop()).toBe('\rimport: checking 20,000 rows');
    bar.update(50, 100);
    bar.update(100, 100);
    bar.done();
    expect(tty.written[0]).toMatch(/^\rimport \[#{15}\.{15}\] 50% 50\/100 rows$/);
    expect(tty.written.at(-1)).toBe('\n');
  });

  it('should write nothing when stderr is not a terminal', () => {
    const pipe = stream(false);
    const bar = progressBar('import', pipe.stream);
    bar.update(1, 2);
    bar.counted('checking', 10_000);
    bar.done();
    expect(pipe.written).toEqual([]);
  });
});
