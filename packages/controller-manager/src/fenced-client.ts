/**
 * The API client controllers get while leading: every write first checks that this process still
 * leads in the term the client was made for. A leader that lost its lease stops acting at once —
 * a worker halfway through a sync cannot write after the loss (a write already sent cannot be
 * recalled; the lease's renew deadline, shorter than its duration, covers that).
 */
import type { KubeObject } from '@mk/api';
import { type ApiClient, ApiError, type CreateOptions, type KubeObjectLike, type LeaseApi, type PatchOptions } from '@mk/client';
import type { Clock } from '@mk/shared';
import type { ControllerClient, DeleteOpts } from './types';

export class FencedClient implements ControllerClient {
  constructor(
    private readonly client: Pick<ApiClient, 'get' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete'>,
    /** True while the term this client belongs to lasts. */
    private readonly mayWrite: () => boolean,
  ) {}

  private check(verb: string, resource: string): void {
    if (!this.mayWrite()) throw ApiError.of('ServiceUnavailable', `not the leader any more: ${verb} ${resource} refused`);
  }

  get<T extends KubeObject>(resource: string, namespace: string, name: string): Promise<T> {
    return this.client.get<T>(resource, namespace, name);
  }

  async create<T extends KubeObjectLike>(resource: string, obj: T, opts?: CreateOptions): Promise<T> {
    this.check('create', resource);
    return this.client.create<T>(resource, obj, opts);
  }

  async update<T extends KubeObject>(resource: string, obj: T): Promise<T> {
    this.check('update', resource);
    return this.client.update<T>(resource, obj);
  }

  async updateStatus<T extends KubeObject>(resource: string, obj: T): Promise<T> {
    this.check('update status of', resource);
    return this.client.updateStatus<T>(resource, obj);
  }

  async patch<T extends KubeObjectLike>(resource: string, namespace: string, name: string, patch: unknown, opts?: PatchOptions): Promise<T> {
    this.check('patch', resource);
    return this.client.patch<T>(resource, namespace, name, patch, opts);
  }

  async delete<T extends KubeObject>(resource: string, namespace: string, name: string, opts?: DeleteOpts): Promise<T> {
    this.check('delete', resource);
    return this.client.delete<T>(resource, namespace, name, opts);
  }
}

/**
 * Leadership terms and the write fence. A term starts when this process becomes the leader and
 * ends when it stops; a client made for a term may write only while that term lasts **and** the
 * lease was renewed within the renew deadline (counted from when the renewal was sent, as the
 * elector counts it). The second rule covers a leader frozen for a while (SIGSTOP, a long GC
 * pause, a VM migration): its workers wake up before its elector has noticed that another
 * process leads now, and must not write in between.
 */
export class LeadershipFence {
  private term = 0;
  private leading = false;
  private renewedAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly renewDeadlineMs: number,
  ) {}

  /** The Lease API for the elector, noting when each successful write of the lease was sent. */
  leaseApi(api: LeaseApi): LeaseApi {
    const noted = async <T>(write: () => Promise<T>): Promise<T> => {
      const sentAt = this.clock.now();
      const r = await write();
      this.renewedAt = Math.max(this.renewedAt, sentAt);
      return r;
    };
    return {
      get: (resource, namespace, name, opts) => api.get(resource, namespace, name, opts),
      create: (resource, obj, opts) => noted(() => api.create(resource, obj, opts)),
      update: (resource, obj, opts) => noted(() => api.update(resource, obj, opts)),
    };
  }

  /** A new term begins (returns its number). */
  begin(): number {
    this.leading = true;
    return ++this.term;
  }

  /** The term ends: every client of it is refused from now on. */
  end(): void {
    this.leading = false;
  }

  isLeading(): boolean {
    return this.leading;
  }

  currentTerm(): number {
    return this.term;
  }

  /** Whether a client of `term` may write now. */
  mayWrite(term: number): boolean {
    return this.leading && term === this.term && this.clock.now() - this.renewedAt < this.renewDeadlineMs;
  }

  /** No lease to renew (leader election off): the fence only follows begin/end. */
  static withoutElection(clock: Clock): LeadershipFence {
    const f = new LeadershipFence(clock, Infinity);
    f.renewedAt = 0;
    return f;
  }
}
