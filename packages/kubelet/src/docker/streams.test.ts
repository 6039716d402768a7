import { FrameDemuxer, LineSplitter, LogLines, dockerSince, splitTimestamp, stampAfter } from './streams';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const texts = (chunks: Array<{ stream: number; data: Buffer }>) => chunks.map((c) => [c.stream, c.data.toString()]);

describe('FrameDemuxer', () => {
  test('several frames in one read', () => {
    const d = new FrameDemuxer();
    expect(texts(d.push(Buffer.concat([frame(1, 'out'), frame(2, 'err'), frame(1, '')])))).toEqual([
      [1, 'out'],
      [2, 'err'],
    ]);
    expect(d.leftover).toBe(0);
  });

  test('a frame split at every byte comes out whole, once', () => {
    const d = new FrameDemuxer();
    const bytes = Buffer.concat([frame(2, 'héllo'), frame(1, 'world')]);
    const out: Array<{ stream: number; data: Buffer }> = [];
    for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
    expect(texts(out)).toEqual([
      [2, 'héllo'],
      [1, 'world'],
    ]);
  });

  test('a cut frame is left over', () => {
    const d = new FrameDemuxer();
    expect(d.push(frame(1, 'abcdef').subarray(0, 10))).toEqual([]);
    expect(d.leftover).toBe(10);
  });
});

describe('LineSplitter', () => {
  test.each([
    ['whole lines', ['a\nb\n'], ['a', 'b'], []],
    ['a line across reads', ['ab', 'c\nd'], ['abc'], ['d']],
    ['CRLF from a TTY', ['a\r\nb\r\n'], ['a', 'b'], []],
    ['empty lines are lines', ['\n\n'], ['', ''], []],
    ['nothing after the last newline', ['a\n'], ['a'], []],
  ])('%s', (_what, reads, lines, rest) => {
    const s = new LineSplitter();
    expect(reads.flatMap((r) => s.push(Buffer.from(r)))).toEqual(lines);
    expect(s.flush()).toEqual(rest);
    expect(s.flush()).toEqual([]);
  });

  test('a UTF-8 character split across reads stays whole', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('ünï\n');
    expect([...s.push(bytes.subarray(0, 1)), ...s.push(bytes.subarray(1))]).toEqual(['ünï']);
  });
});

describe('LogLines', () => {
  test('multiplexed: a partial stdout line is not glued to a stderr line', () => {
    const l = new LogLines(false);
    expect(l.push(Buffer.concat([frame(1, 'par'), frame(2, 'err\n'), frame(1, 'tial\n'), frame(1, 'end')]))).toEqual(['err', 'partial']);
    expect(l.end()).toEqual(['end']);
  });

  test('TTY: raw bytes', () => {
    const l = new LogLines(true);
    expect(l.push(Buffer.from('a\r\nb'))).toEqual(['a']);
    expect(l.end()).toEqual(['b']);
  });
});

describe('log timestamps', () => {
  test.each([
    ['2026-11-22T08:00:00.123456789Z hello world', { stamp: '2026-11-22T08:00:00.123456789Z', text: 'hello world' }],
    ['2026-11-22T08:00:00Z ', { stamp: '2026-11-22T08:00:00Z', text: '' }],
    ['no stamp here', { text: 'no stamp here' }],
    ['2026-11-22T08:00:00.1Zglued', { text: '2026-11-22T08:00:00.1Zglued' }],
  ])('splitTimestamp(%j)', (line, parts) => {
    expect(splitTimestamp(line)).toEqual(parts);
  });

  test.each([
    ['2026-11-22T08:00:00.5Z', '2026-11-22T08:00:00.123456789Z', true],
    ['2026-11-22T08:00:00.123456789Z', '2026-11-22T08:00:00.123456789Z', false],
    ['2026-11-22T08:00:00.123456790Z', '2026-11-22T08:00:00.123456789Z', true],
    ['2026-11-22T08:00:01Z', '2026-11-22T08:00:00.999999999Z', true],
    ['2026-11-22T07:59:59.9Z', '2026-11-22T08:00:00Z', false],
  ])('stampAfter(%s, %s) is %s', (a, b, after) => {
    expect(stampAfter(a, b)).toBe(after);
  });

  test('dockerSince: seconds to the microsecond, rounded down', () => {
    expect(dockerSince('2026-11-22T08:00:00.123456789Z')).toBe(Date.UTC(2026, 10, 22, 8) / 1000 + 0.123456);
    expect(dockerSince('2026-11-22T08:00:00Z')).toBe(Date.UTC(2026, 10, 22, 8) / 1000);
  });
});
