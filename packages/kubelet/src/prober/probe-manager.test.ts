import type { Container, Pod, Probe } from '@mk/api';
import { FakeClock, nullLogger } from '@mk/shared';
import type { ExecOptions, ExecResult } from '../runtime';
import { makePod } from '../testing/fixtures';
import { ProbeManager, probeTiming, type ProbeKind, type RunningContainerInfo } from './probe-manager';
import type { HttpGetRequest, ProbeTransport, TcpConnectRequest } from './probes';

const START = 1_000_000;
const POD_IP = '10.244.1.5';

/** Lets every pending promise chain run (probes answer through promises). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A transport and runtime whose answers the test sets per target, with every call recorded.
 * An answer may be a status code, 'refused', 'hang' (never answers) or a delay on the clock.
 */
type HttpAnswer = number | 'refused' | 'hang' | { status: number; afterMs: number };
type TcpAnswer = 'open' | 'refused' | 'hang';

class Harness {
  readonly clock = new FakeClock(START);
  readonly http: HttpGetRequest[] = [];
  readonly tcp: TcpConnectRequest[] = [];
  readonly execs: Array<{ id: string; options: ExecOptions }> = [];
  httpAnswer: HttpAnswer = 200;
  tcpAnswer: TcpAnswer = 'open';
  execAnswer: ExecResult | 'hang' = { exitCode: 0, stdout: '', stderr: '' };
  inFlight = 0;
  maxInFlight = 0;
  readonly changes: string[] = [];
  readonly events: string[] = [];
  readonly kills: Array<{ name: string; id: string; message: string }> = [];
  readonly manager: ProbeManager;

  constructor() {
    const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const transport: ProbeTransport = {
      httpGet: (req) => {
        this.http.push(req);
        const a = this.httpAnswer;
        if (a === 'refused') return Promise.reject(refused());
        if (a === 'hang') return new Promise(() => {});
        if (typeof a === 'number') return Promise.resolve({ statusCode: a });
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        return new Promise((resolve) =>
          this.clock.setTimer(a.afterMs, () => {
            this.inFlight--;
            resolve({ statusCode: a.status });
          }),
        );
      },
      tcpConnect: (req) => {
        this.tcp.push(req);
        if (this.tcpAnswer === 'refused') return Promise.reject(refused());
        if (this.tcpAnswer === 'hang') return new Promise(() => {});
        return Promise.resolve();
      },
    };
    const runtime = {
      exec: (id: string, options: ExecOptions): Promise<ExecResult> => {
        this.execs.push({ id, options });
        const a = this.execAnswer;
        return a === 'hang' ? new Promise(() => {}) : Promise.resolve(a);
      },
    };
    this.manager = new ProbeManager({
      runtime,
      clock: this.clock,
      logger: nullLogger,
      transport,
      onChange: (uid) => this.changes.push(uid),
      onUnhealthy: (_pod, name, kind: ProbeKind, message) => this.events.push(`${name} ${kind}: ${message}`),
      onLivenessFailure: (_pod, name, id, message) => this.kills.push({ name, id, message }),
    });
  }

  /** Moves the clock second by second, letting probes answer in between. */
  async advance(seconds: number): Promise<void> {
    await this.settle();
    for (let i = 0; i < seconds; i++) {
      this.clock.advance(1000);
      await this.settle();
    }
  }

  /** Runs what is due now, including what that starts at once (a startup success starts liveness). */
  private async settle(): Promise<void> {
    for (let round = 0; round < 4; round++) {
      this.clock.advance(0);
      await flush();
    }
  }

  update(pod: Pod, running: Record<string, RunningContainerInfo>): void {
    this.manager.update(pod, POD_IP, new Map(Object.entries(running)));
  }

  readiness(): Record<string, boolean> {
    return Object.fromEntries(this.manager.readiness('uid-1'));
  }

  startup(): Record<string, boolean> {
    return Object.fromEntries(this.manager.startup('uid-1'));
  }
}

const httpProbe = (over: Partial<Probe> = {}): Probe => ({ httpGet: { path: '/healthz', port: 8080 }, ...over });
const tcpProbe = (over: Partial<Probe> = {}): Probe => ({ tcpSocket: { port: 8080 }, ...over });
const execProbe = (over: Partial<Probe> = {}): Probe => ({ exec: { command: ['cat', '/tmp/healthy'] }, ...over });

function pod(...containers: Array<Partial<Container> & { name: string }>): Pod {
  return makePod(containers);
}

const web = (id = 'web-0', startedAt = START): Record<string, RunningContainerInfo> => ({ web: { id, startedAt } });

describe('probeTiming', () => {
  it.each([
    { kind: 'readiness' as const, probe: {}, expected: { initialDelayMs: 0, timeoutMs: 1000, periodMs: 10_000, successThreshold: 1, failureThreshold: 3 } },
    {
      kind: 'readiness' as const,
      probe: { initialDelaySeconds: 5, timeoutSeconds: 2, periodSeconds: 3, successThreshold: 2, failureThreshold: 4 },
      expected: { initialDelayMs: 5000, timeoutMs: 2000, periodMs: 3000, successThreshold: 2, failureThreshold: 4 },
    },
    { kind: 'liveness' as const, probe: { successThreshold: 3 }, expected: { initialDelayMs: 0, timeoutMs: 1000, periodMs: 10_000, successThreshold: 1, failureThreshold: 3 } },
    { kind: 'startup' as const, probe: { periodSeconds: 0, timeoutSeconds: 0 }, expected: { initialDelayMs: 0, timeoutMs: 1000, periodMs: 10_000, successThreshold: 1, failureThreshold: 3 } },
  ])('$kind $probe', ({ kind, probe, expected }) => {
    expect(probeTiming(probe, kind)).toEqual(expected);
  });
});

describe('ProbeManager', () => {
  it('readiness starts false with a probe, true without one; started without a startup probe', () => {
    const h = new Harness();
    h.update(pod({ name: 'web', readinessProbe: httpProbe() }, { name: 'side' }), {
      ...web(),
      side: { id: 'side-0', startedAt: START },
    });
    expect(h.readiness()).toEqual({ web: false, side: true });
    expect(h.startup()).toEqual({ web: true, side: true });
  });

  it('does not report containers that do not run', () => {
    const h = new Harness();
    h.update(pod({ name: 'web', readinessProbe: httpProbe() }), {});
    expect(h.readiness()).toEqual({});
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('probes first after initialDelaySeconds from the start, then every period', async () => {
    const h = new Harness();
    h.update(pod({ name: 'web', readinessProbe: httpProbe({ initialDelaySeconds: 5, periodSeconds: 10 }) }), web());
    await h.advance(4);
    expect(h.http).toHaveLength(0);
    await h.advance(1); // t = 5
    expect(h.http).toHaveLength(1);
    await h.advance(9); // t = 14
    expect(h.http).toHaveLength(1);
    await h.advance(1); // t = 15
    expect(h.http).toHaveLength(2);
    await h.advance(20); // t = 35
    expect(h.http).toHaveLength(4);
  });

  it('counts the initial delay from the container start, not from the first update', async () => {
    const h = new Harness();
    h.clock.advance(3000);
    h.update(pod({ name: 'web', readinessProbe: httpProbe({ initialDelaySeconds: 5 }) }), web('web-0', START));
    await h.advance(1);
    expect(h.http).toHaveLength(0);
    await h.advance(1); // 5 s after the start
    expect(h.http).toHaveLength(1);
  });

  it('sends the request to the pod IP with the probe path, port, scheme, headers and timeout', async () => {
    const h = new Harness();
    const probe: Probe = {
      httpGet: { path: '/ready', port: 'http', scheme: 'HTTPS', httpHeaders: [{ name: 'X-A', value: '1' }] },
      timeoutSeconds: 2,
    };
    h.update(pod({ name: 'web', ports: [{ name: 'http', containerPort: 8443 }], readinessProbe: probe }), web());
    await h.advance(0);
    expect(h.http).toHaveLength(1);
    const req = h.http[0];
    expect(req).toMatchObject({ scheme: 'HTTPS', host: POD_IP, port: 8443, path: '/ready', timeoutMs: 2000 });
    expect(req?.headers).toEqual([
      ['User-Agent', 'mk-probe/1.0'],
      ['Accept', '*/*'],
      ['X-A', '1'],
    ]);
  });

  it('uses the probe host when given', async () => {
    const h = new Harness();
    h.update(pod({ name: 'web', readinessProbe: { tcpSocket: { port: 9000, host: '127.0.0.1' } } }), web());
    await h.advance(0);
    expect(h.tcp.map((r) => `${r.host}:${r.port}`)).toEqual(['127.0.0.1:9000']);
  });

  it('an unknown named port fails the probe with a clear message', async () => {
    const h = new Harness();
    h.update(pod({ name: 'web', readinessProbe: tcpProbe({ tcpSocket: { port: 'metrics' } }) }), web());
    await h.advance(0);
    expect(h.tcp).toHaveLength(0);
    expect(h.events).toEqual(['web readiness: Readiness probe failed: port "metrics" is not a named port of container "web"']);
  });

  it('readiness turns true after successThreshold successes in a row, false after failureThreshold failures', async () => {
    const h = new Harness();
    h.update(pod({ name: 'web', readinessProbe: httpProbe({ periodSeconds: 1, successThreshold: 2, failureThreshold: 3 }) }), web());
    await h.advance(0); // probe 1: success
    expect(h.readiness()).toEqual({ web: false });
    await h.advance(1); // probe 2: success
    expect(h.readiness()).toEqual({ web: true });
    expect(h.changes).toEqual(['uid-1']);

    h.httpAnswer = 500;
    await h.advance(2); // 2 failures
    expect(h.readiness()).toEqual({ web: true });
    h.httpAnswer = 200;
    await h.advance(1); // the streak breaks
    h.httpAnswer = 500;
    await h.advance(2);
    expect(h.readiness()).toEqual({ web: true });
    await h.advance(1); // third failure in a row
    expect(h.readiness()).toEqual({ web: false });
    expect(h.changes).toEqual(['uid-1', 'uid-1']);
    expect(h.events).toHaveLength(5);
    expect(h.events[0]).toBe('web readiness: Readiness probe failed: HTTP probe failed with statuscode: 500');
    expect(h.kills).toEqual([]); // readiness never kills
  });

  it('reports a refused connection in Kubernetes words', async () => {
    const h = new Harness();
    h.tcpAnswer = 'refused';
    h.update(pod({ name: 'web', readinessProbe: tcpProbe() }), web());
    await h.advance(0);
    expect(h.events).toEqual(['web readiness: Readiness probe failed: dial tcp 10.244.1.5:8080: connect: connection refused']);
  });

  it('a probe that hangs fails at its timeout, and the next one waits a full period after that', async () => {
    const h = new Harness();
    h.httpAnswer = 'hang';
    h.update(pod({ name: 'web', readinessProbe: httpProbe({ timeoutSeconds: 3, periodSeconds: 10 }) }), web());
    await h.advance(2);
    expect(h.events).toEqual([]);
    await h.advance(1); // t = 3: timed out
    expect(h.events).toEqual([
      'web readiness: Readiness probe failed: Get "http://10.244.1.5:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
    ]);
    await h.advance(9); // t = 12
    expect(h.http).toHaveLength(1);
    await h.advance(1); // t = 13
    expect(h.http).toHaveLength(2);
  });

  it('never runs two probes of one worker at once', async () => {
    const h = new Harness();
    // Each answer takes 15 s, longer than the period; the timeout is longer still.
    h.httpAnswer = { status: 200, afterMs: 15_000 };
    h.update(pod({ name: 'web', readinessProbe: httpProbe({ timeoutSeconds: 30, periodSeconds: 10 }) }), web());
    await h.advance(60); // probes at 0, 25, 50
    expect(h.maxInFlight).toBe(1);
    expect(h.http).toHaveLength(3);
  });

  describe('liveness', () => {
    it('starts as success and kills once per failure streak; the worker holds until the container is replaced', async () => {
      const h = new Harness();
      const spec = pod({ name: 'web', livenessProbe: httpProbe({ periodSeconds: 1, failureThreshold: 3 }) });
      h.update(spec, web('web-0'));
      await h.advance(0);
      expect(h.kills).toEqual([]);
      h.httpAnswer = 500;
      await h.advance(2); // failures 1, 2
      expect(h.kills).toEqual([]);
      await h.advance(1); // failure 3
      expect(h.kills).toEqual([{ name: 'web', id: 'web-0', message: 'Container web failed liveness probe, will be restarted' }]);
      expect(h.events).toEqual(Array(3).fill('web liveness: Liveness probe failed: HTTP probe failed with statuscode: 500'));
      await h.advance(10); // on hold: no more probes, no second kill
      expect(h.http).toHaveLength(4);
      expect(h.kills).toHaveLength(1);
      h.update(spec, web('web-0')); // the same container again: nothing changes
      await h.advance(3);
      expect(h.http).toHaveLength(4);

      // The pod worker restarted it: a fresh worker, a fresh streak.
      h.update(spec, web('web-1', h.clock.now()));
      await h.advance(2);
      expect(h.kills).toHaveLength(2);
      expect(h.kills[1]?.id).toBe('web-1');
    });

    it('reports the exec output in the event', async () => {
      const h = new Harness();
      h.execAnswer = { exitCode: 1, stdout: '', stderr: 'cat: /tmp/healthy: No such file or directory\n' };
      h.update(pod({ name: 'web', livenessProbe: execProbe({ failureThreshold: 1 }) }), web());
      await h.advance(0);
      expect(h.execs).toEqual([{ id: 'web-0', options: { command: ['cat', '/tmp/healthy'], timeoutMs: 1000 } }]);
      expect(h.events).toEqual(['web liveness: Liveness probe failed: cat: /tmp/healthy: No such file or directory\n']);
      expect(h.kills).toHaveLength(1);
    });

    it('an exec probe that runs past its timeout fails', async () => {
      const h = new Harness();
      h.execAnswer = 'hang';
      h.update(pod({ name: 'web', livenessProbe: execProbe({ failureThreshold: 1 }) }), web());
      await h.advance(1);
      expect(h.events).toEqual(['web liveness: Liveness probe failed: command "cat /tmp/healthy" timed out']);
      expect(h.kills).toHaveLength(1);
    });

    it('pauses while the pod is being deleted (readiness goes on)', async () => {
      const h = new Harness();
      h.httpAnswer = 500;
      const spec = pod({ name: 'web', livenessProbe: httpProbe({ periodSeconds: 1, failureThreshold: 1 }), readinessProbe: tcpProbe({ periodSeconds: 1 }) });
      spec.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
      h.update(spec, web());
      await h.advance(5);
      expect(h.http).toHaveLength(0);
      expect(h.kills).toEqual([]);
      expect(h.tcp.length).toBeGreaterThan(0);
    });
  });

  describe('startup', () => {
    it('gates liveness and readiness until it succeeds, then runs no more', async () => {
      const h = new Harness();
      h.execAnswer = { exitCode: 1, stdout: 'not yet', stderr: '' };
      h.update(
        pod({
          name: 'web',
          startupProbe: execProbe({ periodSeconds: 1, failureThreshold: 10 }),
          livenessProbe: tcpProbe({ periodSeconds: 1 }),
          readinessProbe: httpProbe({ periodSeconds: 1 }),
        }),
        web(),
      );
      expect(h.startup()).toEqual({ web: false });
      expect(h.readiness()).toEqual({ web: false });
      await h.advance(3); // 4 startup failures
      expect(h.execs).toHaveLength(4);
      expect(h.tcp).toHaveLength(0);
      expect(h.http).toHaveLength(0);
      expect(h.events[0]).toBe('web startup: Startup probe failed: not yet');
      expect(h.changes).toEqual([]);

      h.execAnswer = { exitCode: 0, stdout: '', stderr: '' };
      await h.advance(1); // startup succeeds; liveness and readiness probe at once
      expect(h.startup()).toEqual({ web: true });
      expect(h.changes).toEqual(['uid-1', 'uid-1']); // started, then ready
      expect(h.readiness()).toEqual({ web: true });
      expect(h.tcp).toHaveLength(1);
      expect(h.http).toHaveLength(1);
      await h.advance(5);
      expect(h.execs).toHaveLength(5);
      expect(h.tcp).toHaveLength(6);
    });

    it('a container without a readiness probe is ready once its startup probe succeeded', async () => {
      const h = new Harness();
      h.update(pod({ name: 'web', startupProbe: execProbe({ initialDelaySeconds: 2 }) }), web());
      expect(h.readiness()).toEqual({ web: false });
      await h.advance(2);
      expect(h.readiness()).toEqual({ web: true });
      expect(h.changes).toEqual(['uid-1']);
    });

    it('failing failureThreshold times kills the container', async () => {
      const h = new Harness();
      h.execAnswer = { exitCode: 1, stdout: 'down', stderr: '' };
      h.update(pod({ name: 'web', startupProbe: execProbe({ periodSeconds: 1, failureThreshold: 2 }), livenessProbe: tcpProbe() }), web());
      await h.advance(5);
      expect(h.kills).toEqual([{ name: 'web', id: 'web-0', message: 'Container web failed startup probe, will be restarted' }]);
      expect(h.execs).toHaveLength(2);
      expect(h.tcp).toHaveLength(0);
      expect(h.startup()).toEqual({ web: false });
    });

    it('initialDelaySeconds of liveness still counts from the container start', async () => {
      const h = new Harness();
      h.update(
        pod({ name: 'web', startupProbe: execProbe({ initialDelaySeconds: 2 }), livenessProbe: tcpProbe({ initialDelaySeconds: 5 }) }),
        web(),
      );
      await h.advance(2); // started at t = 2
      expect(h.startup()).toEqual({ web: true });
      await h.advance(2);
      expect(h.tcp).toHaveLength(0);
      await h.advance(1); // t = 5
      expect(h.tcp).toHaveLength(1);
    });
  });

  it('a new container id resets the results to their initial values and the delay to its start', async () => {
    const h = new Harness();
    const spec = pod({ name: 'web', readinessProbe: httpProbe({ initialDelaySeconds: 3, periodSeconds: 10 }) });
    h.update(spec, web('web-0'));
    await h.advance(3);
    expect(h.readiness()).toEqual({ web: true });

    await h.advance(4); // t = 7
    h.update(spec, web('web-1', h.clock.now()));
    expect(h.readiness()).toEqual({ web: false });
    await h.advance(2); // the old worker would probe at t = 13, the new one at t = 10
    expect(h.http).toHaveLength(1);
    await h.advance(1); // t = 10
    expect(h.http).toHaveLength(2);
    expect(h.readiness()).toEqual({ web: true });
    await h.advance(5); // t = 15: the old worker's schedule is gone
    expect(h.http).toHaveLength(2);
  });

  it('update is idempotent', async () => {
    const h = new Harness();
    const spec = pod({ name: 'web', readinessProbe: httpProbe({ periodSeconds: 10 }) });
    h.update(spec, web());
    await h.advance(5);
    const timers = h.clock.pendingTimers();
    for (let i = 0; i < 3; i++) h.update(spec, web());
    expect(h.clock.pendingTimers()).toBe(timers);
    await h.advance(5); // t = 10
    expect(h.http).toHaveLength(2);
  });

  describe('workers stop', () => {
    const spec = (): Pod =>
      pod({ name: 'web', livenessProbe: tcpProbe({ periodSeconds: 1 }), readinessProbe: httpProbe({ periodSeconds: 1 }) });

    it.each([
      { how: 'when the container stops running', act: (h: Harness) => h.update(spec(), {}) },
      { how: 'when the container leaves the spec', act: (h: Harness) => h.update(pod({ name: 'other' }), web()) },
      { how: 'when the pod is removed', act: (h: Harness) => h.manager.removePod('uid-1') },
      { how: 'when the manager stops', act: (h: Harness) => h.manager.stop() },
    ])('$how', async ({ act }) => {
      const h = new Harness();
      h.update(spec(), web());
      await h.advance(2);
      const before = h.tcp.length + h.http.length;
      expect(before).toBe(6);
      act(h);
      expect(h.clock.pendingTimers()).toBe(0);
      await h.advance(5);
      expect(h.tcp.length + h.http.length).toBe(before);
      expect(h.readiness()).toEqual({});
    });

    it('a probe in flight when the worker stops reports nothing', async () => {
      const h = new Harness();
      h.httpAnswer = { status: 500, afterMs: 500 };
      h.update(pod({ name: 'web', livenessProbe: httpProbe({ failureThreshold: 1 }) }), web());
      await h.advance(0);
      h.manager.removePod('uid-1');
      await h.advance(2);
      expect(h.events).toEqual([]);
      expect(h.kills).toEqual([]);
    });

    it('updates after stop are ignored', async () => {
      const h = new Harness();
      h.manager.stop();
      h.update(spec(), web());
      expect(h.clock.pendingTimers()).toBe(0);
      expect(h.readiness()).toEqual({});
    });
  });

  it('refuses a pod without a uid, naming it', () => {
    const h = new Harness();
    const p = pod({ name: 'web' });
    delete p.metadata.uid;
    expect(() => h.update(p, web())).toThrow('pod default/p has no metadata.uid');
  });

  it('fails http and tcp probes while the pod has no IP', async () => {
    const h = new Harness();
    h.manager.update(pod({ name: 'web', readinessProbe: tcpProbe() }), undefined, new Map(Object.entries(web())));
    await h.advance(0);
    expect(h.events).toEqual(['web readiness: Readiness probe failed: the pod has no IP address yet']);
  });
});
