/**
 * Docker's output streams (pure). Without a TTY, Docker multiplexes stdout and stderr into one
 * byte stream of frames: an 8-byte header (stream: 1 byte, 3 bytes 0, payload size: uint32 BE)
 * and the payload. Frames may arrive split across reads, or several in one.
 */
import type { OutputChunk } from '../runtime';

const HEADER = 8;

export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes as they arrive; returns the complete frames among them. */
  push(data: Buffer): OutputChunk[] {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const chunks: OutputChunk[] = [];
    while (this.pending.length >= HEADER) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER + size) break;
      const kind = this.pending[0];
      const payload = this.pending.subarray(HEADER, HEADER + size);
      this.pending = this.pending.subarray(HEADER + size);
      // 0 (stdin echoed back) only exists with a TTY, which is not multiplexed: count it as stdout.
      if (size > 0) chunks.push({ stream: kind === 2 ? 2 : 1, data: Buffer.from(payload) });
    }
    return chunks;
  }

  /** Bytes of an unfinished frame left over (the stream was cut). */
  get leftover(): number {
    return this.pending.length;
  }
}

/**
 * Splits bytes into lines at '\n' (dropping a '\r' before it, as a TTY writes), decoding UTF-8 only
 * once a line is whole so a character split across reads stays intact.
 */
export class LineSplitter {
  private parts: Buffer[] = [];

  push(data: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
      this.parts.push(data.subarray(start, nl));
      lines.push(this.take());
      start = nl + 1;
    }
    if (start < data.length) this.parts.push(data.subarray(start));
    return lines;
  }

  /** The last line when it had no '\n' (none when empty). */
  flush(): string[] {
    if (this.parts.every((p) => p.length === 0)) {
      this.parts = [];
      return [];
    }
    return [this.take()];
  }

  private take(): string {
    const line = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }
}

/**
 * Lines of a container log from its raw chunks: demultiplexed unless the container has a TTY, one
 * splitter per stream so a partial stdout line is not glued to a stderr one.
 */
export class LogLines {
  private readonly demuxer: FrameDemuxer | undefined;
  private readonly splitters = { 1: new LineSplitter(), 2: new LineSplitter() };

  constructor(tty: boolean) {
    this.demuxer = tty ? undefined : new FrameDemuxer();
  }

  push(data: Buffer): string[] {
    const chunks: OutputChunk[] = this.demuxer === undefined ? [{ stream: 1, data }] : this.demuxer.push(data);
    return chunks.flatMap((c) => this.splitters[c.stream].push(c.data));
  }

  end(): string[] {
    return [...this.splitters[1].flush(), ...this.splitters[2].flush()];
  }
}

/** Docker's log timestamp prefix (RFC 3339, nanoseconds, UTC) and the space after it. */
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) /;

/** A log line read with `timestamps`: its stamp and its text; no stamp when it has none. */
export function splitTimestamp(line: string): { stamp?: string; text: string } {
  const m = STAMP.exec(line);
  return m === null ? { text: line } : { stamp: m[1]!, text: line.slice(m[0].length) };
}

/** [whole seconds, nanoseconds as 9 digits] of a stamp. */
function stampParts(stamp: string): [number, string] {
  const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(stamp);
  return [Date.parse(`${m?.[1] ?? stamp}Z`) / 1000, (m?.[2] ?? '').padEnd(9, '0')];
}

/** Whether stamp `a` is later than stamp `b` (to the nanosecond). */
export function stampAfter(a: string, b: string): boolean {
  const [sa, na] = stampParts(a);
  const [sb, nb] = stampParts(b);
  return sa !== sb ? sa > sb : na > nb;
}

/**
 * Docker's `since` (seconds) for "from `stamp` on", to the microsecond a number holds, rounded
 * down: Docker's since is inclusive, so the line at `stamp` comes again (the caller skips it).
 */
export function dockerSince(stamp: string): number {
  const [seconds, nanos] = stampParts(stamp);
  return seconds + Number(nanos.slice(0, 6)) / 1e6;
}
