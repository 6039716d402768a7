/**
 * mk-store under network partitions, mixed with the process faults of store-chaos.test.ts: each of
 * the three members runs in its own network namespace (test/e2e/support/netns.ts), so a member can
 * be cut from the other two (isolate the leader, or a follower: a 1/2 split) while the test's
 * clients, on the host, still reach all three. A partition is healed after 1–3 s. The history checks
 * are those of every chaos schedule (linearizable, nothing acknowledged lost, watch complete), plus
 * one more: a member answers nothing successfully that it was asked while cut off (it cannot
 * confirm a read or commit a write without a quorum; such an answer could only be stale).
 */
import { Daemon, eventually, run } from '../e2e/support/processes';
import { NetnsNetwork } from '../e2e/support/netns';
import { StoreCluster } from '../e2e/support/store-cluster';
import { FLAGS, FaultRecord, OpRecord, leaderOf, processFault, runSchedule, sleep } from './support/schedule';

const SCHEDULES = Number(process.env.MK_CHAOS_SCHEDULES ?? 10);
const FIRST_SEED = Number(process.env.MK_CHAOS_SEED ?? 1);
const LOAD_MS = Number(process.env.MK_CHAOS_LOAD_MS ?? 6000);

jest.setTimeout(180_000);

/** Successful answers from a member to requests sent and answered while it was isolated. */
function answersWhileIsolated(ops: OpRecord[], faults: FaultRecord[]): string[] {
  const cut = faults.filter((f) => f.healedAt !== undefined);
  return ops
    .filter((op) => op.outcome === 'ok' && cut.some((f) => f.member === op.member && op.start >= f.at && op.end <= f.healedAt!))
    .map((op) => `${op.member} answered a ${op.f} (client ${op.proc}, ${op.start}–${op.end}) while cut off from the other members`);
}

/** Whether a TCP connection from inside namespace `ns` (or the host) to addr:port opens within 1.5 s. */
async function connects(prefix: string[], addr: string, port: number): Promise<boolean> {
  const probe = `const s=require('net').connect(${port},'${addr}',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),1500)`;
  const [cmd, ...args] = [...prefix, process.execPath, '-e', probe];
  return (await run(cmd!, args, { timeoutMs: 5000 })).code === 0;
}

describe('mk-store under network partitions (linearizable, nothing acked lost, watch complete, nothing answered while cut off)', () => {
  let net: NetnsNetwork | undefined;

  beforeAll(async () => {
    net = await NetnsNetwork.create(3);
  });

  afterAll(async () => {
    await net?.destroy();
  });

  it('isolate cuts a member from the others but not from the host; heal restores it; nothing routes off the machine', async () => {
    const [a, b] = net!.hosts;
    const [cmd, ...prefix] = a!.spawnPrefix;
    const listener = Daemon.spawn('listener', cmd!, [...prefix, process.execPath, '-e', `require('net').createServer(s=>s.end()).listen(2379,'${a!.address}',()=>console.log('listening'))`]);
    try {
      const fromHost: string[] = [];
      const fromB = b!.spawnPrefix;
      await eventually('listener up', () => listener.output.includes('listening'), 5000);
      expect(await connects(fromHost, a!.address, 2379)).toBe(true);
      expect(await connects(fromB, a!.address, 2379)).toBe(true);
      await net!.isolate(0);
      expect(net!.partitions()).toEqual(['0-1', '0-2']);
      expect(await connects(fromB, a!.address, 2379)).toBe(false);
      expect(await connects(fromHost, a!.address, 2379)).toBe(true);
      await net!.heal();
      expect(await connects(fromB, a!.address, 2379)).toBe(true);
    } finally {
      await net!.heal();
      await listener.stop('SIGKILL');
    }
    // No way out: no default route in a namespace, and the guard on the host's outside interface.
    const route = await run(b!.spawnPrefix[0]!, [...b!.spawnPrefix.slice(1), 'ip', 'route', 'get', '1.1.1.1']);
    expect(route.code).not.toBe(0);
    const rules = (await run('iptables', ['-w', '5', '-S', 'OUTPUT'])).stdout + (await run('iptables', ['-w', '5', '-S', 'FORWARD'])).stdout;
    if (!net!.noDefaultRoute) expect(rules.split('\n').filter((l) => l.includes(`${net!.tag}-guard`) && l.includes(`-d ${net!.subnet}`) && l.includes('-j REJECT'))).toHaveLength(2);
  });

  const seeds = Array.from({ length: SCHEDULES }, (_, i) => FIRST_SEED + i);

  it.each(seeds)('partition schedule %i', async (seed) => {
    const n = net!;
    const faults = await runSchedule({
      suite: 'partition',
      seed,
      cluster: await StoreCluster.create(3, FLAGS, n.hosts),
      loadMs: LOAD_MS,
      heal: () => n.heal(),
      check: answersWhileIsolated,
      chaos: async (ctx) => {
        const c = ctx.cluster;
        let partitioned = false;
        while (Date.now() < ctx.stopAt - 800) {
          await sleep(400 + ctx.rng.int(800));
          // Half the faults are partitions (isolate the leader: 4, 5; a follower: 6, 7); the first is one.
          const pick = partitioned ? ctx.rng.int(8) : 4 + ctx.rng.int(4);
          if (pick < 4) {
            await processFault(ctx, pick);
            continue;
          }
          // A 1/2 split with all three running, so the majority side has a quorum: bring back a dead member first.
          if (c.members.some((m) => !m.daemon?.running())) {
            await processFault(ctx, 3);
            continue;
          }
          const leader = await leaderOf(c, ctx.clients);
          if (!leader) continue;
          const followers = c.members.filter((m) => m !== leader);
          const victim = pick < 6 ? leader : followers[ctx.rng.int(followers.length)]!;
          await n.isolate(c.members.indexOf(victim));
          partitioned = true;
          const fault: FaultRecord = { at: Date.now(), fault: pick < 6 ? 'isolate-leader' : 'isolate-follower', member: victim.name };
          ctx.faults.push(fault);
          await sleep(1000 + ctx.rng.int(2001));
          fault.healedAt = Date.now();
          await n.heal();
        }
      },
    });
    expect(faults.filter((f) => f.fault.startsWith('isolate-')).length).toBeGreaterThan(0);
  });
});
