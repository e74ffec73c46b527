import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Read a text file line by line in fixed-size chunks, so a file of any size costs one chunk of memory (plus its
 * longest line). `onLine` gets each complete line (without its '\n') and its 1-based number. Returns the byte
 * length of the complete lines: text after the last '\n' — a line a killed writer left half-written — is not
 * passed on.
 */
export function forEachLine(path: string, onLine: (line: string, lineNo: number) => void, chunkBytes = 1 << 20): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(chunkBytes);
  let carry: Buffer[] = [];
  let complete = 0;
  let offset = 0;
  let lineNo = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n === 0) break;
      offset += n;
      let from = 0;
      for (let nl = buf.indexOf(10, from); nl !== -1 && nl < n; nl = buf.indexOf(10, from)) {
        const piece = buf.subarray(from, nl);
        const line = carry.length > 0 ? Buffer.concat([...carry, piece]) : piece;
        carry = [];
        complete += line.length + 1;
        onLine(line.toString('utf8'), ++lineNo);
        from = nl + 1;
      }
      if (from < n) carry.push(Buffer.from(buf.subarray(from, n)));
    }
  } finally {
    closeSync(fd);
  }
  return complete;
}
