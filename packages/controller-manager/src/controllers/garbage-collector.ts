/**
 * The garbage collector (Kubernetes' pkg/controller/garbagecollector): a graph of owners and
 * dependents, by uid, built from informers of every kind in GC_RESOURCES, and one queue of uids.
 *  - Background: an object whose owners are all gone (a live read confirms it: the cache may
 *    just not have the owner yet) is deleted.
 *  - Foreground: an owner being deleted with the `foregroundDeletion` finalizer has its
 *    dependents deleted (Foreground themselves when they have dependents, so a Deployment waits
 *    for its pods through its ReplicaSets); once no dependent with blockOwnerDeletion is left, the
 *    finalizer is removed and the API server lets the owner go.
 *  - Orphan: an owner with the `orphan` finalizer has its ownerReference removed from each
 *    dependent, then the finalizer removed.
 * An object with some owners still there and some gone (or waiting for their dependents) only
 * loses the references to the latter. Namespaces need no help: the API server empties a
 * namespace being deleted itself.
 */
import { type KubeObject, type OwnerReference, keyOf, resourceForKind } from '@mk/api';
import { deletedObject, isConflict, isNotFound } from '@mk/client';
import { Controller } from '../controller';
import type { ControllerContext, InformerLike } from '../types';
import { ownerRefsPatch } from '../util/claims';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

/** The kinds whose objects can own or be owned (Events are left out: many, and never owners). */
export const GC_RESOURCES = [
  'pods',
  'replicasets',
  'deployments',
  'daemonsets',
  'statefulsets',
  'jobs',
  'cronjobs',
  'services',
  'endpoints',
  'configmaps',
  'secrets',
  'persistentvolumeclaims',
  'horizontalpodautoscalers',
  'leases',
  'nodes',
  'persistentvolumes',
] as const;

interface GraphNode {
  uid: string;
  resource: string;
  obj: KubeObject;
}

const ABSENT_CACHE_LIMIT = 10_000;

export class GarbageCollector extends Controller {
  private readonly nodes = new Map<string, GraphNode>();
  /** owner uid → dependent uids (the owner may be absent from the graph). */
  private readonly dependents = new Map<string, Set<string>>();
  /** Owners a live read found gone (uid), so a thousand orphans cost one read. */
  private readonly absent = new Set<string>();
  private readonly informers = new Map<string, InformerLike<KubeObject>>();

  constructor(
    ctx: ControllerContext,
    readonly resources: readonly string[] = GC_RESOURCES,
  ) {
    super('garbagecollector', ctx);
    for (const resource of resources) {
      const inf = ctx.informers.informer<KubeObject>(resource);
      this.informers.set(resource, inf);
      inf.addEventHandler({
        onAdd: (o) => this.upsert(resource, o),
        onUpdate: (_old, o) => this.upsert(resource, o),
        onDelete: (o) => this.remove(deletedObject(o)),
      });
    }
  }

  informerResources(): readonly string[] {
    return this.resources;
  }

  /** For tests and debugging: the dependents the graph knows of an owner. */
  dependentsOf(uid: string): KubeObject[] {
    return [...(this.dependents.get(uid) ?? [])].map((d) => this.nodes.get(d)?.obj).filter((o): o is KubeObject => o !== undefined);
  }

  // ---- the graph ----

  private upsert(resource: string, obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const old = this.nodes.get(uid);
    this.nodes.set(uid, { uid, resource, obj });
    const oldOwners = new Set((old?.obj.metadata.ownerReferences ?? []).map((r) => r.uid));
    const newOwners = new Set((obj.metadata.ownerReferences ?? []).map((r) => r.uid));
    for (const o of oldOwners) {
      if (newOwners.has(o)) continue;
      this.dependents.get(o)?.delete(uid);
      // A dependent that let go may be what a foreground deletion was waiting for.
      if (this.nodes.get(o) && deletingDependents(this.nodes.get(o)!.obj)) this.enqueue(o);
    }
    for (const o of newOwners) {
      let set = this.dependents.get(o);
      if (!set) this.dependents.set(o, (set = new Set()));
      set.add(uid);
    }
    // A blockOwnerDeletion that changed matters to a waiting owner.
    if (old) {
      for (const r of obj.metadata.ownerReferences ?? []) {
        const before = old.obj.metadata.ownerReferences?.find((x) => x.uid === r.uid);
        if (before && before.blockOwnerDeletion !== r.blockOwnerDeletion) this.enqueue(r.uid);
      }
    }
    if (obj.metadata.deletionTimestamp) {
      const f = obj.metadata.finalizers ?? [];
      if (f.includes(ORPHAN_FINALIZER) || f.includes(FOREGROUND_FINALIZER)) this.enqueue(uid);
      if (f.includes(FOREGROUND_FINALIZER) && !(old && deletingDependents(old.obj))) {
        for (const d of this.dependents.get(uid) ?? []) this.enqueue(d);
      }
    }
    // Owners the graph does not know (or that are waiting for their dependents) need a look.
    for (const r of obj.metadata.ownerReferences ?? []) {
      const owner = this.nodes.get(r.uid);
      if (!owner || deletingDependents(owner.obj)) {
        this.enqueue(uid);
        break;
      }
    }
  }

  private remove(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid || !this.nodes.has(uid)) return;
    const node = this.nodes.get(uid)!;
    this.nodes.delete(uid);
    // Its dependents may now be garbage.
    for (const d of this.dependents.get(uid) ?? []) this.enqueue(d);
    for (const r of node.obj.metadata.ownerReferences ?? []) {
      this.dependents.get(r.uid)?.delete(uid);
      const owner = this.nodes.get(r.uid);
      if (owner && deletingDependents(owner.obj)) this.enqueue(r.uid);
      if (!owner && this.dependents.get(r.uid)?.size === 0) this.dependents.delete(r.uid);
    }
  }

  // ---- sync ----

  async sync(uid: string): Promise<void> {
    const node = this.nodes.get(uid);
    if (!node) return;
    const obj = node.obj;
    if (obj.metadata.deletionTimestamp) {
      const f = obj.metadata.finalizers ?? [];
      if (f.includes(ORPHAN_FINALIZER)) return this.orphanDependents(node);
      if (f.includes(FOREGROUND_FINALIZER)) return this.processDeletingDependents(node);
      return; // someone else's deletion in progress
    }
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const state = await this.ownerState(node, ref);
      if (state === 'absent') dangling.push(ref);
      else if (state === 'waiting') waiting.push(ref);
      else solid.push(ref);
    }
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      this.log.info('removing references to owners that are gone or being deleted', { object: describe(node), owners: [...drop] });
      await this.patchIgnoringNotFound(node, ownerRefsPatch(obj, refs.filter((r) => !drop.has(r.uid))));
      return;
    }
    let policy: 'Background' | 'Foreground' | 'Orphan';
    if (waiting.length > 0 && (this.dependents.get(uid)?.size ?? 0) > 0) policy = 'Foreground';
    else if (obj.metadata.finalizers?.includes(ORPHAN_FINALIZER)) policy = 'Orphan';
    else if (obj.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) policy = 'Foreground';
    else policy = 'Background';
    this.log.info('deleting an object whose owners are gone', { object: describe(node), policy, waiting: waiting.map((r) => r.name) });
    try {
      await this.ctx.client.delete(node.resource, obj.metadata.namespace ?? '', obj.metadata.name ?? '', { propagationPolicy: policy, preconditions: { uid } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  /** Whether an owner exists (by uid): the graph first, a live read when the graph does not know it. */
  private async ownerState(node: GraphNode, ref: OwnerReference): Promise<'solid' | 'absent' | 'waiting'> {
    const known = this.nodes.get(ref.uid);
    if (known) return deletingDependents(known.obj) ? 'waiting' : 'solid';
    if (this.absent.has(ref.uid)) return 'absent';
    const info = resourceForKind(ref.kind, ref.apiVersion) ?? resourceForKind(ref.kind);
    if (!info) {
      this.log.warn('owner of an unknown kind; leaving the dependent alone', { object: describe(node), owner: `${ref.kind}/${ref.name}` });
      return 'solid';
    }
    const namespace = info.namespaced ? (node.obj.metadata.namespace ?? '') : '';
    try {
      const owner = await this.ctx.client.get<KubeObject>(info.resource, namespace, ref.name);
      if (owner.metadata.uid !== ref.uid) {
        this.noteAbsent(ref.uid);
        return 'absent';
      }
      return deletingDependents(owner) ? 'waiting' : 'solid';
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.noteAbsent(ref.uid);
      return 'absent';
    }
  }

  private noteAbsent(uid: string): void {
    if (this.absent.size >= ABSENT_CACHE_LIMIT) this.absent.clear();
    this.absent.add(uid);
  }

  /** Foreground: delete the dependents; drop the finalizer once no blocking one is left. */
  private async processDeletingDependents(node: GraphNode): Promise<void> {
    const blocking = [...(this.dependents.get(node.uid) ?? [])]
      .map((d) => this.nodes.get(d))
      .filter((d): d is GraphNode => d !== undefined && (d.obj.metadata.ownerReferences ?? []).some((r) => r.uid === node.uid && r.blockOwnerDeletion === true));
    if (blocking.length === 0) {
      this.log.info('dependents gone; removing the foregroundDeletion finalizer', { object: describe(node) });
      await this.removeFinalizer(node, FOREGROUND_FINALIZER);
      return;
    }
    for (const d of blocking) if (!deletingDependents(d.obj)) this.enqueue(d.uid);
  }

  /** Orphan: remove the owner's reference from every dependent, then the `orphan` finalizer. */
  private async orphanDependents(node: GraphNode): Promise<void> {
    const errors: unknown[] = [];
    for (const d of [...(this.dependents.get(node.uid) ?? [])]) {
      const dep = this.nodes.get(d);
      if (!dep) continue;
      const refs = dep.obj.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === node.uid)) continue;
      try {
        await this.patchIgnoringNotFound(dep, ownerRefsPatch(dep.obj, refs.filter((r) => r.uid !== node.uid)));
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
    this.log.info('dependents orphaned; removing the orphan finalizer', { object: describe(node) });
    await this.removeFinalizer(node, ORPHAN_FINALIZER);
  }

  private async removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    const left = (node.obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await this.patchIgnoringNotFound(node, { metadata: { resourceVersion: node.obj.metadata.resourceVersion, finalizers: left.length > 0 ? left : null } });
  }

  private async patchIgnoringNotFound(node: GraphNode, patch: unknown): Promise<void> {
    try {
      await this.ctx.client.patch(node.resource, node.obj.metadata.namespace ?? '', node.obj.metadata.name ?? '', patch);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

function deletingDependents(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined && (obj.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER);
}

function describe(node: GraphNode): string {
  return `${node.obj.kind} ${keyOf(node.obj)}`;
}
