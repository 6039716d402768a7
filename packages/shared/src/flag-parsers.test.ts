import { boolFlag, durationFlag, FlagError, intFlag, parseListenAddress } from './flag-parsers';

describe('flag parsers', () => {
  it.each([
    ['3s', 3000],
    ['500ms', 500],
    ['1m30s', 90_000],
  ])('duration %s = %d ms', (v, ms) => expect(durationFlag('--x')(v)).toBe(ms));

  it.each([
    [() => durationFlag('--lease')('soon'), /--lease/],
    [() => boolFlag('--leader-elect')('yes'), /--leader-elect must be true or false, got "yes"/],
    [() => intFlag('--n', 1, 10)('11'), /--n must be an integer from 1 to 10, got "11"/],
    [() => intFlag('--n', 1)('1.5'), /--n must be an integer at least 1/],
    [() => intFlag('--n', 0)(''), /--n must be an integer/],
    [() => parseListenAddress('--listen', 'localhost'), /--listen must be host:port, got "localhost"/],
    [() => parseListenAddress('--listen', ':70000'), /--listen must be host:port/],
  ])('names the flag and value: %#', (f, message) => {
    expect(f).toThrow(FlagError);
    expect(f).toThrow(message);
  });

  it('carries the code commander turns into a usage error', () => {
    expect(new FlagError('x').code).toBe('commander.invalidArgument');
  });

  it.each([
    ['true', true],
    ['1', true],
    ['', true],
    ['false', false],
    ['0', false],
  ])('bool %j', (v, b) => expect(boolFlag('--b')(v)).toBe(b));

  it.each([
    ['127.0.0.1:80', { host: '127.0.0.1', port: 80 }],
    [':53', { host: '0.0.0.0', port: 53 }],
    ['[::1]:6443', { host: '::1', port: 6443 }],
  ])('listen %s', (v, hp) => expect(parseListenAddress('--l', v)).toEqual(hp));
});
