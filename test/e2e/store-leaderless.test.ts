/**
 * A member that loses its quorum answers as etcd does: a write Raft already took is "request
 * timed out" (it may still be applied), never "no leader" (which promises it was not); a call
 * that requires a leader (clientv3's WithRequireLeader: metadata `hasleader: true`, which etcdctl
 * watch sends) fails at once, and such a watch is ended within a few election timeouts.
 */
import * as grpc from '@grpc/grpc-js';
import { unaryCall } from '@mk/proto';
import { EtcdTestClient, bytes, text } from './support/etcd-client';
import { Daemon, eventually } from './support/processes';
import { StoreCluster, StoreMember, requireEtcdctl } from './support/store-cluster';

jest.setTimeout(120_000);

describe('mk-store without a quorum', () => {
  let c: StoreCluster;
  let leader: StoreMember;
  let followers: StoreMember[];

  beforeAll(async () => {
    await requireEtcdctl();
    // etcd's default timings: the request timeout is then 5 s + 2 × 1 s.
    c = await StoreCluster.create(3);
    const ids = await Promise.all(
      c.members.map(async (m) => {
        const cl = new EtcdTestClient(`127.0.0.1:${m.clientPort}`);
        try {
          const s = await cl.status();
          return { m, isLeader: s.leader === s.header?.memberId };
        } finally {
          cl.close();
        }
      }),
    );
    leader = ids.find((x) => x.isLeader)!.m;
    followers = ids.filter((x) => !x.isLeader).map((x) => x.m);
  });

  afterAll(async () => {
    for (const f of followers ?? []) if (f.daemon?.running()) f.daemon.child.kill('SIGCONT');
    await c?.destroy();
  });

  it('a write taken by Raft and then stranded is "request timed out", and it is applied once the quorum returns', async () => {
    for (const f of followers) f.daemon!.child.kill('SIGSTOP');
    const client = new EtcdTestClient(`127.0.0.1:${leader.clientPort}`);
    try {
      const err = await client.put('/stranded', 'v', 20_000).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      expect(err?.details).toBe('etcdserver: request timed out');

      // With hasleader, a member that has lost its leader refuses at once.
      await eventually('the old leader stepped down (check quorum)', async () => {
        const s = await client.status().catch(() => undefined);
        return s !== undefined && s.leader === 0;
      });
      const md = new grpc.Metadata();
      md.set('hasleader', 'true');
      const refused = await unaryCall(client.kv.Range.bind(client.kv), { key: bytes('/x') }, { metadata: md, callOptions: { deadline: Date.now() + 10_000 } }).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      expect(refused?.code).toBe(grpc.status.UNAVAILABLE);
      // Refused by the require-leader check, not left to time out ("request timed out").
      expect(refused?.details).toBe('etcdserver: no leader');

      // etcdctl watch requires a leader: its stream is ended within a few election timeouts.
      const watch = Daemon.spawn('etcdctl-watch', 'etcdctl', ['--endpoints', `127.0.0.1:${leader.clientPort}`, 'watch', '/w'], { env: { ETCDCTL_API: '3' } });
      const code = await Promise.race([watch.waitExit(), new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000))]);
      if (code === 'still running') await watch.stop('SIGKILL');
      expect(code).not.toBe('still running');
      expect(watch.output).toContain('no leader');
    } finally {
      for (const f of followers) f.daemon!.child.kill('SIGCONT');
      client.close();
    }
    const any = new EtcdTestClient(`127.0.0.1:${followers[0]!.clientPort}`);
    try {
      await eventually('the stranded write is applied after the quorum returns', async () => {
        const r = await any.get('/stranded').catch(() => undefined);
        return r !== undefined && text(r.kvs[0]?.value) === 'v';
      });
    } finally {
      any.close();
    }
  });
});
