/**
 * The API client controllers get while leading: every write first checks that this process still
 * leads in the term the client was made for. A leader that lost its lease stops acting at once —
 * a worker halfway through a sync cannot write after the loss (a write already sent cannot be
 * recalled; the lease's renew deadline, shorter than its duration, covers that).
 */
import type { KubeObject } from '@mk/api';
import { type ApiClient, ApiError, type CreateOptions, type KubeObjectLike, type PatchOptions } from '@mk/client';
import type { ControllerClient, DeleteOpts } from './types';

export class FencedClient implements ControllerClient {
  constructor(
    private readonly client: ApiClient,
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
