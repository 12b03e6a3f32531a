/** A progress line on stderr for large inputs when stderr is a terminal. */

const MIN_BYTES = 32 * 1024 * 1024;
const EVERY_MS = 250;

export interface Progress {
  update(bytesRead: number, totalBytes: number | null, file: string, records: number): void;
  done(): void;
}

export function progressBar(stream: NodeJS.WriteStream): Progress {
  const started = Date.now();
  let last = started; // the first line after EVERY_MS, with a meaningful rate
  let shown = false;
  return {
    update(bytesRead, totalBytes, file, records) {
      const now = Date.now();
      if (now - last < EVERY_MS) return;
      if (totalBytes !== null && totalBytes < MIN_BYTES && !shown) return;
      last = now;
      shown = true;
      const secs = Math.max(0.001, (now - started) / 1000);
      const rate = `${formatCount(records / secs)} rec/s`;
      const size = totalBytes === null ? formatBytes(bytesRead) : `${formatBytes(bytesRead)}/${formatBytes(totalBytes)}`;
      let bar = '';
      if (totalBytes !== null && totalBytes > 0) {
        const frac = Math.min(1, bytesRead / totalBytes);
        const width = 24;
        const filled = Math.round(frac * width);
        bar = `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.floor(frac * 100)}% `;
      }
      const name = file.length > 30 ? '…' + file.slice(-29) : file;
      stream.write(`\r${bar}${size} ${rate} ${name}\x1b[K`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}
