import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
} from './names';

const ok = (problems: string[]) => problems.length === 0;

test.each([
  [isDNS1123Label, ['a', 'web-1', '1abc', 'a'.repeat(63)], ['', 'Web', '-a', 'a-', 'a.b', 'a_b', 'a'.repeat(64)]],
  [isDNS1123Subdomain, ['a', 'a.b.c', 'web-1.example.com', '0'], ['', 'A', 'a..b', '.a', 'a.', 'a_b', `${'a'.repeat(254)}`]],
  [isDNS1035Label, ['a', 'web-1'], ['1a', 'a-', 'A']],
  [isQualifiedName, ['app', 'App_1.x', 'example.com/name', 'a/b'], ['', '/a', 'a/', 'a/b/c', '-a', 'Example.com/a', `x/${'a'.repeat(64)}`]],
  [isValidLabelValue, ['', 'v1', 'a_b.c-d', 'A'], ['-a', 'a b', 'a'.repeat(64)]],
  [isEnvVarName, ['A', '_a', 'a.b-c', 'MY_VAR1'], ['1A', 'a b', '', 'a=b']],
  [isConfigMapKey, ['a', 'app.properties', '.env', 'KEY_1'], ['', 'a b', 'a/b', '.', '..', '..a']],
  [isValidPortName, ['http', 'web-80', 'a1'], ['HTTP', '80', 'a--b', '-a', 'a-', 'a'.repeat(16), '']],
  [isValidIP, ['10.0.0.1', '255.255.255.255', '::1', '2001:db8::ffff', 'fe80::1:2:3:4', '::ffff:10.0.0.1'], ['10.0.0', '256.0.0.1', '01.2.3.4', 'x', '1::2::3', '1:2:3:4:5:6:7:8:9']],
  [isValidCIDR, ['10.244.0.0/16', '0.0.0.0/0', '2001:db8::/64'], ['10.0.0.0', '10.0.0.0/33', '/8', 'x/8']],
] as const)('%p', (fn, good, bad) => {
  for (const v of good) expect([v, ok(fn(v))]).toEqual([v, true]);
  for (const v of bad) expect([v, ok(fn(v))]).toEqual([v, false]);
});
