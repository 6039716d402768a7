import { parseStoreArgs } from './config';
import { clusterIdOf, memberIdOf } from './cluster/member-id';
import { MemberList } from './cluster/members';

const three = 'm1=http://127.0.0.1:2380,m2=http://127.0.0.1:3380,m3=http://127.0.0.1:4380';

describe('mk-store flags (etcd names, defaults and rules)', () => {
  it('takes the issue example', () => {
    const c = parseStoreArgs(
      [
        '--name', 'm1', '--data-dir', '/var/lib/mk/m1',
        '--listen-client-urls', 'http://127.0.0.1:2379', '--advertise-client-urls', 'http://127.0.0.1:2379',
        '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
        '--initial-cluster', three, '--initial-cluster-state', 'new', '--heartbeat-interval', '50', '--election-timeout=500',
        '--snapshot-count', '1000',
      ],
    );
    expect(c.name).toBe('m1');
    expect(c.dataDir).toBe('/var/lib/mk/m1');
    expect([...c.initialCluster.keys()]).toEqual(['m1', 'm2', 'm3']);
    expect(c.initialCluster.get('m2')).toEqual(['http://127.0.0.1:3380']);
    expect([c.heartbeatIntervalMs, c.electionTimeoutMs, c.snapshotCount]).toEqual([50, 500, 1000]);
  });

  it("has etcd's defaults", () => {
    const c = parseStoreArgs([]);
    expect(c).toMatchObject({
      name: 'default',
      dataDir: 'default.etcd',
      listenClientUrls: ['http://localhost:2379'],
      initialClusterState: 'new',
      initialClusterToken: 'etcd-cluster',
      heartbeatIntervalMs: 100,
      electionTimeoutMs: 1000,
      snapshotCount: 100000,
      maxRequestBytes: 1572864,
    });
  });

  it.each([
    [['--heartbeat-interval', 'fast'], "--heartbeat-interval must be a positive integer, got 'fast'"],
    [['--election-timeout', '300'], '--election-timeout[300ms] should be at least as 5 times as --heartbeat-interval[100ms]'],
    [['--election-timeout', '60000', '--heartbeat-interval', '1000'], 'is too long'],
    [['--initial-cluster-state', 'old'], "--initial-cluster-state must be 'new' or 'existing', got 'old'"],
    [['--listen-client-urls', 'https://127.0.0.1:2379'], 'only http is supported'],
    [['--listen-client-urls', 'http://127.0.0.1'], 'has no port'],
    [['--name', 'm9', '--initial-cluster', three], 'couldn\'t find local name "m9" in the initial cluster configuration'],
    [['--name', 'm1', '--initial-cluster', three, '--initial-advertise-peer-urls', 'http://127.0.0.1:9999'], 'but missing from --initial-advertise-peer-urls'],
    [['--initial-cluster', 'm1'], "'m1' is not name=url"],
    [['--no-such-flag'], "unknown option '--no-such-flag'"],
    [['stray'], 'too many arguments'],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseStoreArgs(argv)).toThrow(message);
  });
});

describe('member and cluster ids', () => {
  it('are the same on every founder, differ by URLs and token, and stay below 2^53', () => {
    const a = memberIdOf(['http://127.0.0.1:2380'], 'etcd-cluster');
    expect(memberIdOf(['http://127.0.0.1:2380'], 'etcd-cluster')).toBe(a);
    expect(memberIdOf(['http://127.0.0.1:2381'], 'etcd-cluster')).not.toBe(a);
    expect(memberIdOf(['http://127.0.0.1:2380'], 'other')).not.toBe(a);
    expect(memberIdOf(['http://127.0.0.1:2380'], 'etcd-cluster', 5)).not.toBe(a);
    expect(Number.isSafeInteger(a) && a > 0).toBe(true);
    expect(clusterIdOf([3, 1, 2], 't')).toBe(clusterIdOf([1, 2, 3], 't'));
  });

  it('MemberList keeps removed ids and finds peer URLs in use', () => {
    const l = new MemberList(7, [{ id: 1, name: 'm1', peerUrls: ['http://a:1'], clientUrls: [] }]);
    l.publish(1, 'm1', ['http://a:2']);
    expect(l.get(1)?.clientUrls).toEqual(['http://a:2']);
    expect(l.peerUrlInUse(['http://a:1'])).toBe(true);
    expect(l.peerUrlInUse(['http://a:1'], 1)).toBe(false);
    l.remove(1);
    expect([l.has(1), l.isRemoved(1), l.list()]).toEqual([false, true, []]);
  });
});

describe('--experimental-watch-progress-notify-interval (a Go duration, as etcd takes it)', () => {
  it('defaults to etcd 3.4\'s 10 minutes and takes Go durations', () => {
    const cfg = parseStoreArgs(['--name', 'm1', '--initial-cluster', 'm1=http://localhost:2380']);
    expect(cfg.watchProgressNotifyMs).toBe(600_000);
    expect(parseStoreArgs(['--experimental-watch-progress-notify-interval', '2s']).watchProgressNotifyMs).toBe(2000);
    expect(parseStoreArgs(['--experimental-watch-progress-notify-interval', '1m30s']).watchProgressNotifyMs).toBe(90_000);
  });

  it.each(['10', 'ten', '0s', '5s garbage'])('refuses %j naming the flag', (v) => {
    expect(() => parseStoreArgs(['--experimental-watch-progress-notify-interval', v])).toThrow(/for "--experimental-watch-progress-notify-interval" flag: /);
  });
});
