import { resolvConf } from './resolv-conf';

describe('resolvConf', () => {
  test.each([
    [
      { servers: ['10.96.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
      'search ns.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    ],
    [{ servers: ['1.1.1.1', '8.8.8.8'], searches: [], options: [] }, 'nameserver 1.1.1.1\nnameserver 8.8.8.8\n'],
    [{ servers: [], searches: [], options: [] }, ''],
  ])('%j', (dns, text) => {
    expect(resolvConf(dns)).toBe(text);
  });
});
