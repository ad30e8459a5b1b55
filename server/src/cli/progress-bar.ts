// A progress bar on stderr for long commands, drawn only when stderr is a terminal.
/** A progress callback that redraws at most every 100 ms, and a `done()` that ends the line. */
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): { update: (done: number, total: number) => void; counted: (what: string, count: number) => void; done: () => void } {
  // Pipes, files and CI logs get no bar: carriage returns there are noise.
  if (stream.isTTY !== true) return { update: () => undefined, counted: () => undefined, done: () => undefined };
  let last = 0;
  let drawn = false;
  const width = 30;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const ratio = total === 0 ? 1 : Math.min(1, done / total);
      const filled = Math.round(ratio * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${done.toLocaleString('en')}/${total.toLocaleString('en')} rows`);
      drawn = true;
    },
    /** A count while the total is unknown (`checking 120,000 rows`). */
    counted(what, count) {
      stream.write(`\r${label}: ${what} ${count.toLocaleString('en')} rows`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}
