/**
 * Client load for the cluster chaos scenarios: writers creating ConfigMaps one after another
 * through the API servers (each outcome recorded: acknowledged, refused, or unknown), and a prober
 * sending HTTP requests to a NodePort Service on some nodes. Both record times, so a scenario can
 * say when writes resumed after a fault and how many requests failed while it lasted.
 */
import { ApiClient, ApiError } from '@mk/client';

export interface WriteOutcome {
  name: string;
  startedAt: number;
  endedAt: number;
  /** acked: the API answered the object; refused: a definite error; unknown: may have been applied. */
  outcome: 'acked' | 'refused' | 'unknown';
  error?: string;
}

/** Whether an error leaves a write's outcome open (the request may have reached the store). */
function outcomeUnknown(e: unknown): boolean {
  return !(e instanceof ApiError) || e.reason === 'ServiceUnavailable' || e.reason === 'Timeout' || e.reason === 'InternalError';
}

export class WriteLoad {
  readonly outcomes: WriteOutcome[] = [];
  private running = true;
  private readonly loop: Promise<void>;
  private seq = 0;

  constructor(
    private readonly client: ApiClient,
    readonly namespace: string,
    readonly prefix: string,
    writers = 4,
    pauseMs = 25,
  ) {
    // Several writers, so that one stuck on a request the fault swallowed (it waits out its
    // timeout) does not hide when writes resumed.
    this.loop = Promise.all(
      Array.from({ length: writers }, async () => {
        while (this.running) {
          await this.writeOne();
          await new Promise((r) => setTimeout(r, pauseMs));
        }
      }),
    ).then(() => undefined);
  }

  private async writeOne(): Promise<void> {
    const name = `${this.prefix}-${++this.seq}`;
    const startedAt = Date.now();
    try {
      await this.client.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: this.namespace }, data: { seq: String(this.seq) } });
      this.outcomes.push({ name, startedAt, endedAt: Date.now(), outcome: 'acked' });
    } catch (e) {
      this.outcomes.push({ name, startedAt, endedAt: Date.now(), outcome: outcomeUnknown(e) ? 'unknown' : 'refused', error: (e as Error).message });
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  acked(): WriteOutcome[] {
    return this.outcomes.filter((o) => o.outcome === 'acked');
  }

  /** Milliseconds from `t` to the first acknowledged write sent at or after it (undefined: none). */
  firstAckSentAfter(t: number): number | undefined {
    const o = this.outcomes.find((w) => w.outcome === 'acked' && w.startedAt >= t);
    return o ? o.endedAt - t : undefined;
  }

  counts(): Record<'acked' | 'refused' | 'unknown', number> {
    const c = { acked: 0, refused: 0, unknown: 0 };
    for (const o of this.outcomes) c[o.outcome]++;
    return c;
  }

  /** Acknowledged writes missing from `present` (the names a list found afterwards). */
  lost(present: ReadonlySet<string>): string[] {
    return this.acked()
      .map((o) => o.name)
      .filter((n) => !present.has(n));
  }
}

export interface ProbeResult {
  at: number;
  target: string;
  ok: boolean;
  /** The pod that answered ("You've hit <name>"), or the error. */
  detail: string;
}

/** GETs `http://<target>/` round-robin over the targets until stopped (2 s per request at most). */
export class ServiceProbe {
  readonly results: ProbeResult[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private targets: string[],
    pauseMs = 50,
  ) {
    this.loop = (async () => {
      for (let i = 0; this.running; i++) {
        const target = this.targets[i % this.targets.length]!;
        this.results.push({ target, ...(await probeOnce(target)) });
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Results in [from, to). */
  between(from: number, to = Infinity): ProbeResult[] {
    return this.results.filter((r) => r.at >= from && r.at < to);
  }
}

/** One GET; `at` is when it was sent. */
export async function probeOnce(target: string, timeoutMs = 2000): Promise<{ at: number; ok: boolean; detail: string }> {
  const at = Date.now();
  try {
    const r = await fetch(`http://${target}/`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await r.text();
    const m = /^You've hit (\S+)\n$/.exec(body);
    return m ? { at, ok: true, detail: m[1]! } : { at, ok: false, detail: `HTTP ${r.status}: ${body.slice(0, 80)}` };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return { at, ok: false, detail: cause ?? (e as Error).name };
  }
}
