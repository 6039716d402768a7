import { CliIo, UsageError, parseArgs, runCli } from './cli';

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let t = 0;
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), seconds: () => (t += 1) };
}

describe('mk-raft-sim arguments', () => {
  test('flags parse into a sweep or a single seed', () => {
    expect(parseArgs(['--seeds', '10', '--start-seed', '5', '--steps', '300', '--nodes', '5'])).toMatchObject({
      seeds: 10,
      startSeed: 5,
      options: { steps: 300, nodes: 5 },
    });
    expect(parseArgs(['--seed', '7', '--trace', '--profile', 'chaos', '--pre-vote', 'off', '--no-liveness'])).toMatchObject({
      seed: 7,
      trace: true,
      options: { profile: 'chaos', preVote: false, liveness: false },
    });
  });

  test.each([
    [['--seeds'], /--seeds needs a value/],
    [['--seeds', 'ten'], /--seeds must be an integer >= 1, got 'ten'/],
    [['--nodes', '0'], /--nodes must be an integer >= 1, got '0'/],
    [['--steps', '1.5'], /--steps must be an integer >= 0/],
    [['--profile', 'toString'], /--profile must be one of default, chaos, got 'toString'/],
    [['--pre-vote', 'yes'], /--pre-vote must be 'on' or 'off', got 'yes'/],
    [['--trace'], /--trace needs --seed/],
    [['--sedes', '3'], /unknown flag '--sedes'/],
  ])('%j is refused with an error naming the flag', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  test('a bad flag exits 2 with the error and the usage', () => {
    const io = capture();
    expect(runCli(['--bogus'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/unknown flag '--bogus'[\s\S]*usage: mk-raft-sim/);
  });

  test('a small sweep prints one JSON object of summed figures', () => {
    const io = capture();
    expect(runCli(['--seeds', '2', '--steps', '200'], io)).toBe(0);
    const summary = JSON.parse(io.stdout.join('\n'));
    expect(summary).toMatchObject({ startSeed: 1, seeds: 2, runs: 2, steps: 400, violations: 0 });
    expect(summary.seedsPerSecond).toBeGreaterThan(0);
  });

  test('--seed S --trace prints every action of the run, then the figures', () => {
    const io = capture();
    expect(runCli(['--seed', '3', '--steps', '100', '--trace'], io)).toBe(0);
    const lines = io.stdout.join('\n').split('\n');
    expect(lines[0]).toMatch(/^#0 start seed=3 nodes=3 steps=100/);
    expect(lines.filter((l) => /^#100 /.test(l)).length).toBeGreaterThan(0);
    expect(io.stdout.join('\n')).toContain('"runs": 1');
  });
});
