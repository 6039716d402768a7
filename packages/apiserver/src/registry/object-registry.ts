import {
  AnyObject,
  FieldSelector,
  KubeObject,
  ResourceInfo,
  Selector,
  applyDefaults,
  applyMergePatch,
  checkFieldSelector,
  checkObjectSize,
  fieldSelectorMatches,
  parseFieldSelector,
  parseSelector,
  resourceByPlural,
  resourceForKind,
  tryDecodeObject,
  decodeError,
  validateObject,
  validateStatusUpdate,
  validateUpdate,
  assertValid,
} from '@mk/api';
import { ApiError } from '@mk/client';
import { Clock, Logger, Rng } from '@mk/shared';
import { ServiceCidr, pickNodePort } from './allocator';
import { allocationKey, objectKey, resourcePrefix } from './keys';
import { Store, TxnCompare as Compare } from '../storage/store';
import { DeleteContext, PropagationPolicy, decideDelete, prepareForCreate, prepareForUpdate, readyToRemove, rfc3339, sameObject } from './strategy';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface RegistryOptions {
  store: Store;
  clock: Clock;
  rng: Rng;
  logger: Logger;
  serviceCidr: ServiceCidr;
  /** uid for new objects (crypto.randomUUID in the daemon; deterministic in tests). */
  newUid: () => string;
  /**
   * A cached namespace, when the server has a namespace cache: an active one found there saves a
   * store read per create (Kubernetes' NamespaceLifecycle admission works from a cache too); one
   * not found there, or terminating, is checked against the store.
   */
  cachedNamespace?: (name: string) => KubeObject | undefined;
  /** The watch cache's copy of the object at a key (resourceVersion = its mod revision), if any. */
  cachedObject?: (r: ResourceInfo, key: string) => KubeObject | undefined;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListAnswer {
  items: KubeObject[];
  resourceVersion: string;
  continue: string;
  remainingItemCount?: number;
}

export interface DeleteOptions {
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
  preconditionUid?: string;
  preconditionResourceVersion?: string;
}

/** How many times a write retries when the object changed under it (Kubernetes' GuaranteedUpdate). */
const MAX_RETRIES = 8;
const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * Kubernetes' generic registry over the store: every verb of every resource — decode, default,
 * validate, server-set fields, optimistic concurrency by the store's mod revision, graceful and
 * finalizer-held deletion, the status subresource, the pod binding, Service address allocation.
 */
export class ObjectRegistry {
  constructor(private readonly o: RegistryOptions) {}

  resource(name: string): ResourceInfo {
    const r = resourceByPlural(name);
    if (!r) throw ApiError.notFound('the server could not find the requested resource', name);
    return r;
  }

  // ---- reads ---------------------------------------------------------------------------------

  async get(r: ResourceInfo, namespace: string, name: string): Promise<KubeObject> {
    const item = await this.o.store.get(objectKey(r, this.ns(r, namespace), name));
    if (!item) throw ApiError.notFound(resourceLabel(r), name);
    return fromStored(item);
  }

  async list(r: ResourceInfo, namespace: string, opts: ListOptions = {}): Promise<ListAnswer> {
    const { matches } = this.filters(r, opts);
    // No namespace is every namespace (kubectl -A; GET /api/v1/pods), as the watch cache answers it.
    const prefix = resourcePrefix(r, r.namespaced ? namespace : '');
    let startAfterKey: string | undefined;
    let revision: number | undefined;
    if (opts.continue) ({ startAfterKey, revision } = decodeContinue(opts.continue, prefix));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const items: KubeObject[] = [];
    let more = false;
    let lastKey = startAfterKey;
    // Selectors filter after the store: fetch pages until `limit` objects matched.
    for (;;) {
      const page = await this.o.store.list(prefix, { ...(limit ? { limit: Math.max(limit - items.length, 1) * (matches === ALL ? 1 : 2) } : {}), ...(lastKey !== undefined ? { startAfterKey: lastKey } : {}), ...(revision !== undefined ? { revision } : {}) }).catch((e: unknown) => {
        if ((e as Error).name === 'CompactedError') throw ApiError.of('Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
        throw e;
      });
      revision ??= page.revision;
      for (const it of page.items) {
        lastKey = it.key;
        const obj = fromStored(it);
        if (!matches(obj)) continue;
        items.push(obj);
        if (limit && items.length === limit) break;
      }
      const filledUp = limit > 0 && items.length === limit;
      more = page.more || (filledUp && lastKey !== page.items[page.items.length - 1]?.key);
      if (!page.more || filledUp) break;
    }
    return {
      items,
      resourceVersion: String(revision),
      continue: more && lastKey !== undefined ? encodeContinue(lastKey, revision) : '',
    };
  }

  /** Namespace, label and field selectors as one predicate (errors name the bad selector). */
  filters(r: ResourceInfo, opts: { labelSelector?: string; fieldSelector?: string }): { matches: (o: KubeObject) => boolean } {
    let labels: Selector | undefined;
    let fields: FieldSelector | undefined;
    try {
      if (opts.labelSelector) labels = parseSelector(opts.labelSelector);
      if (opts.fieldSelector) {
        fields = parseFieldSelector(opts.fieldSelector);
        checkFieldSelector(r.kind, fields);
      }
    } catch (e) {
      throw ApiError.badRequest((e as Error).message);
    }
    if (!labels && !fields) return { matches: ALL };
    return {
      matches: (o) => (!labels || labels.matches(o.metadata.labels)) && (!fields || fieldSelectorMatches(o as AnyObject, fields)),
    };
  }

  // ---- writes --------------------------------------------------------------------------------

  async create(r: ResourceInfo, namespace: string, body: unknown, dryRun = false): Promise<KubeObject> {
    const incoming = this.decode(r, body);
    const ns = this.ns(r, namespace || incoming.metadata.namespace || '');
    if (r.namespaced) {
      if (incoming.metadata.namespace && namespace && incoming.metadata.namespace !== namespace) {
        throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      incoming.metadata.namespace = ns;
    }
    if (incoming.metadata.resourceVersion) throw ApiError.badRequest('resourceVersion should not be set on objects to be created');
    if (!incoming.metadata.name && !incoming.metadata.generateName) {
      throw ApiError.invalid(kindLabel(r), '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]);
    }
    for (let attempt = 0; ; attempt++) {
      const obj = prepareForCreate(r, applyDefaults(incoming as AnyObject), { now: rfc3339(this.now()), uid: this.o.newUid(), suffix: this.suffix() });
      assertValid(obj as AnyObject, validateObject(obj as AnyObject));
      checkObjectSize(obj);
      if (r.namespaced) await this.requireNamespace(ns);
      const key = objectKey(r, ns, obj.metadata.name!);
      const compares: Compare[] = [{ key, absent: true }];
      const puts: Array<{ key: string; value: Uint8Array }> = [];
      if (r.kind === 'Service') {
        for (const k of await this.allocateServiceAddresses(obj, undefined)) {
          compares.push({ key: k, absent: true });
          puts.push({ key: k, value: enc.encode(key) });
        }
      }
      if (dryRun) return obj;
      puts.push({ key, value: toStored(obj) });
      const res = await this.o.store.txn({ compares, puts, deletes: [] });
      if (res.succeeded) return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(res.revision) } };
      if (await this.o.store.get(key)) {
        if (incoming.metadata.name || attempt >= MAX_RETRIES) throw ApiError.alreadyExists(resourceLabel(r), obj.metadata.name!);
        continue; // a generated name collided: try another suffix
      }
      if (attempt >= MAX_RETRIES) throw ApiError.internal(`could not allocate an address for service ${obj.metadata.name}`);
      // An allocated address was taken meanwhile: pick again.
    }
  }

  async update(r: ResourceInfo, namespace: string, name: string, body: unknown, subresource: '' | 'status', dryRun = false): Promise<KubeObject> {
    if (subresource === 'status' && !r.hasStatus) throw ApiError.notFound(`${r.resource}/status`, name);
    const incoming = this.decode(r, body);
    if (incoming.metadata.name && incoming.metadata.name !== name) {
      throw ApiError.badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    }
    const wantRv = incoming.metadata.resourceVersion;
    return this.guaranteedUpdate(r, namespace, name, wantRv, dryRun, (old) => {
      const merged = subresource === 'status' ? incoming : applyDefaults({ ...incoming, metadata: { ...incoming.metadata, name } } as AnyObject);
      return prepareForUpdate(r, old, merged, subresource);
    }, subresource);
  }

  async patch(r: ResourceInfo, namespace: string, name: string, patchType: string, patch: unknown, subresource: '' | 'status', dryRun = false): Promise<KubeObject> {
    if (patchType !== 'merge' && patchType !== '') throw ApiError.of('UnsupportedMediaType', `the patch type ${JSON.stringify(patchType)} is not supported (use "merge")`);
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw ApiError.badRequest('a merge patch must be a JSON object');
    const wantRv = (patch as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
    return this.guaranteedUpdate(r, namespace, name, typeof wantRv === 'string' ? wantRv : undefined, dryRun, (old) => {
      const patched = this.decode(r, applyMergePatch(old, patch));
      const merged = subresource === 'status' ? patched : applyDefaults(patched as AnyObject);
      return prepareForUpdate(r, old, merged, subresource);
    }, subresource);
  }

  /** The scheduler's write: sets spec.nodeName of a pod that has none (Kubernetes' pods/binding). */
  async bind(namespace: string, name: string, nodeName: string, uid: string): Promise<KubeObject> {
    const r = this.resource('pods');
    if (!nodeName) throw ApiError.invalid('Binding', name, [{ field: 'target.name', message: 'Required value', reason: 'FieldValueRequired' }]);
    return this.guaranteedUpdate(r, namespace, name, undefined, false, (old) => {
      if (uid && old.metadata.uid !== uid) throw ApiError.conflict('pods', name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${old.metadata.uid}`);
      if (old.metadata.deletionTimestamp) throw ApiError.conflict('pods', name, 'pod is being deleted, cannot be assigned to a host');
      const spec = (old as { spec?: { nodeName?: string } }).spec ?? {};
      if (spec.nodeName) throw ApiError.conflict('pods', name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      const next = { ...old, spec: { ...spec, nodeName } } as KubeObject & { status?: { conditions?: unknown[] } };
      const status = (old as { status?: { conditions?: Array<{ type: string }> } }).status ?? {};
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      next.status = { ...status, conditions: [...conditions, { type: 'PodScheduled', status: 'True', lastTransitionTime: rfc3339(this.now()) }] };
      return next;
    }, 'binding');
  }

  async delete(r: ResourceInfo, namespace: string, name: string, opts: DeleteOptions = {}, dryRun = false): Promise<KubeObject> {
    const policy = (opts.propagationPolicy || 'Background') as PropagationPolicy;
    if (!['Background', 'Foreground', 'Orphan'].includes(policy)) {
      throw ApiError.badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(opts.propagationPolicy)}: supported values: "Background", "Foreground", "Orphan"`);
    }
    const key = objectKey(r, this.ns(r, namespace), name);
    for (let attempt = 0; ; attempt++) {
      const item = await this.o.store.get(key);
      if (!item) throw ApiError.notFound(resourceLabel(r), name);
      const old = fromStored(item);
      if (opts.preconditionUid && old.metadata.uid !== opts.preconditionUid) {
        throw ApiError.conflict(resourceLabel(r), name, `Precondition failed: UID in precondition: ${opts.preconditionUid}, UID in object meta: ${old.metadata.uid}`);
      }
      if (opts.preconditionResourceVersion && old.metadata.resourceVersion !== opts.preconditionResourceVersion) {
        throw ApiError.conflict(resourceLabel(r), name, `Precondition failed: ResourceVersion in precondition: ${opts.preconditionResourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
      }
      const ctx: DeleteContext = { now: this.now(), propagationPolicy: policy, gracePeriodSeconds: opts.gracePeriodSeconds ?? -1 };
      const decision = decideDelete(r, old, ctx);
      if (decision.action === 'none' || dryRun) return decision.action === 'update' ? decision.object : old;
      const res =
        decision.action === 'delete'
          ? await this.o.store.txn({ compares: [{ key, modRevision: item.modRevision }], puts: [], deletes: [key, ...this.releasedKeys(r, old, undefined)] })
          : await this.o.store.txn({ compares: [{ key, modRevision: item.modRevision }], puts: [{ key, value: toStored(decision.object) }], deletes: [] });
      if (res.succeeded) {
        if (decision.action === 'delete') return old;
        return { ...decision.object, metadata: { ...decision.object.metadata, resourceVersion: String(res.revision) } };
      }
      if (attempt >= MAX_RETRIES) throw ApiError.conflict(resourceLabel(r), name);
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * Reads, transforms and writes back under a compare on the mod revision; when the object moved
   * meanwhile, retries with the new state — unless the client named the version it saw, which
   * is then a Conflict (optimistic concurrency).
   */
  private async guaranteedUpdate(
    r: ResourceInfo,
    namespace: string,
    name: string,
    wantRv: string | undefined,
    dryRun: boolean,
    transform: (old: KubeObject) => KubeObject,
    subresource: '' | 'status' | 'binding',
  ): Promise<KubeObject> {
    const key = objectKey(r, this.ns(r, namespace), name);
    for (let attempt = 0; ; attempt++) {
      // The first attempt starts from the watch cache's copy when it has one that fits (Kubernetes
      // does the same): the write's compare on the mod revision catches a stale copy, and the
      // retry then reads the store. That saves a store round trip per update, patch and binding.
      const cached = attempt === 0 ? this.o.cachedObject?.(r, key) : undefined;
      const usable = cached && (!wantRv || wantRv === cached.metadata.resourceVersion) ? cached : undefined;
      const item = usable ? { modRevision: Number(usable.metadata.resourceVersion) } : await this.o.store.get(key);
      if (!item) throw ApiError.notFound(resourceLabel(r), name);
      // A copy: the cache's objects are shared with every watcher and must never change.
      const old = usable ? structuredClone(usable) : fromStored(item as { value: Uint8Array; modRevision: number });
      if (wantRv !== undefined && wantRv !== '' && wantRv !== old.metadata.resourceVersion) throw ApiError.conflict(resourceLabel(r), name);
      const next = transform(old);
      // A binding is the one write allowed to set a pod's nodeName: only the result must be valid.
      const errors =
        subresource === 'status'
          ? validateStatusUpdate(old as AnyObject, next as AnyObject)
          : subresource === 'binding'
            ? validateObject(next as AnyObject)
            : validateUpdate(old as AnyObject, next as AnyObject);
      assertValid(next as AnyObject, errors);
      checkObjectSize(next);
      if (sameObject(old, next)) return old;
      const compares: Compare[] = [{ key, modRevision: item.modRevision }];
      const puts: Array<{ key: string; value: Uint8Array }> = [];
      const deletes: string[] = [];
      if (r.kind === 'Service') {
        for (const k of await this.allocateServiceAddresses(next, old)) {
          compares.push({ key: k, absent: true });
          puts.push({ key: k, value: enc.encode(key) });
        }
        deletes.push(...this.releasedKeys(r, old, next));
      }
      if (dryRun) return next;
      const removing = readyToRemove(r, next);
      if (removing) deletes.push(key, ...this.releasedKeys(r, next, undefined));
      else puts.push({ key, value: toStored(next) });
      const res = await this.o.store.txn({ compares, puts, deletes });
      if (res.succeeded) return { ...next, metadata: { ...next.metadata, resourceVersion: String(res.revision) } };
      if (usable) continue; // the cached copy was stale: read the store and try again
      if (wantRv || attempt >= MAX_RETRIES) throw ApiError.conflict(resourceLabel(r), name);
    }
  }

  /** Strict decoding of a request body; the kind must be the resource's. */
  private decode(r: ResourceInfo, body: unknown): KubeObject {
    const res = tryDecodeObject(body);
    if (!res.object) {
      const err = decodeError(body, res.errors);
      throw ApiError.of('BadRequest', err.message, { causes: res.errors.map((f) => ({ field: f.path, message: f.message, reason: 'FieldValueInvalid' })) });
    }
    const kindOf = resourceForKind(res.object.kind, res.object.apiVersion);
    if (kindOf?.resource !== r.resource) {
      throw ApiError.badRequest(`${res.object.apiVersion}, Kind=${res.object.kind} cannot be written as ${r.resource} (${r.apiVersion}, Kind=${r.kind})`);
    }
    return res.object as KubeObject;
  }

  private ns(r: ResourceInfo, namespace: string): string {
    if (!r.namespaced) return '';
    return namespace || 'default';
  }

  private async requireNamespace(ns: string): Promise<void> {
    const cached = this.o.cachedNamespace?.(ns);
    if (cached && !cached.metadata.deletionTimestamp) return;
    const item = await this.o.store.get(objectKey(this.resource('namespaces'), '', ns));
    if (!item) throw ApiError.notFound('namespaces', ns);
    const nsObj = fromStored(item);
    if (nsObj.metadata.deletionTimestamp) {
      const message = `unable to create new content in namespace ${ns} because it is being terminated`;
      // Kubernetes' NamespaceTerminating cause lets controllers tell this from other refusals.
      throw ApiError.of('Forbidden', message, { name: ns, kind: 'namespaces', causes: [{ reason: 'NamespaceTerminating', message, field: 'metadata.namespace' }] });
    }
  }

  /** Allocation keys a Service needs that `old` did not hold; fills clusterIP(s) and node ports in. */
  private async allocateServiceAddresses(svc: KubeObject, old: KubeObject | undefined): Promise<string[]> {
    type Port = { port: number; name?: string; nodePort?: number };
    type Svc = { spec?: { type?: string; clusterIP?: string; clusterIPs?: string[]; ports?: Port[] } };
    const spec = (svc as Svc).spec;
    if (!spec) return [];
    const oldSpec = (old as Svc | undefined)?.spec;
    const keys: string[] = [];
    if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
      if (!spec.clusterIP && oldSpec?.clusterIP) spec.clusterIP = oldSpec.clusterIP;
      if (!spec.clusterIP) spec.clusterIP = this.o.serviceCidr.pick(this.o.rng);
      else if (!this.o.serviceCidr.contains(spec.clusterIP) && spec.clusterIP !== oldSpec?.clusterIP) {
        throw ApiError.invalid('Service', svc.metadata.name ?? '', [
          { field: 'spec.clusterIP', message: `Invalid value: ${JSON.stringify(spec.clusterIP)}: provided IP is not in the valid range. The range of valid IPs is ${this.o.serviceCidr.cidr}`, reason: 'FieldValueInvalid' },
        ]);
      }
      spec.clusterIPs = [spec.clusterIP];
      if (spec.clusterIP !== oldSpec?.clusterIP) keys.push(allocationKey('clusterips', spec.clusterIP));
    }
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      const taken = new Set<number>();
      for (const p of spec.ports ?? []) if (p.nodePort) taken.add(p.nodePort);
      for (const p of spec.ports ?? []) {
        if (!p.nodePort) {
          const before = oldSpec?.ports?.find((q) => (q.name ?? '') === (p.name ?? '') && q.port === p.port)?.nodePort;
          p.nodePort = before ?? pickNodePort(this.o.rng, taken);
          taken.add(p.nodePort);
        }
        if (!oldSpec?.ports?.some((q) => q.nodePort === p.nodePort)) keys.push(allocationKey('nodeports', String(p.nodePort)));
      }
    } else {
      for (const p of spec.ports ?? []) delete p.nodePort;
    }
    return keys;
  }

  /** Allocation keys `old` held that `next` (or nothing, on delete) no longer uses. */
  private releasedKeys(r: ResourceInfo, old: KubeObject, next: KubeObject | undefined): string[] {
    if (r.kind !== 'Service') return [];
    type Svc = { spec?: { clusterIP?: string; ports?: Array<{ nodePort?: number }> } };
    const held = (s: KubeObject | undefined) => {
      const spec = (s as Svc | undefined)?.spec;
      const keys = new Set<string>();
      if (spec?.clusterIP && spec.clusterIP !== 'None') keys.add(allocationKey('clusterips', spec.clusterIP));
      for (const p of spec?.ports ?? []) if (p.nodePort) keys.add(allocationKey('nodeports', String(p.nodePort)));
      return keys;
    };
    const keep = held(next);
    return [...held(old)].filter((k) => !keep.has(k));
  }

  private now(): Date {
    return new Date(this.o.clock.now());
  }

  private suffix(): string {
    let s = '';
    for (let i = 0; i < 5; i++) s += NAME_SUFFIX_ALPHABET[this.o.rng.int(NAME_SUFFIX_ALPHABET.length)];
    return s;
  }
}

const ALL = (): boolean => true;

/** `pods`, `deployments.apps`: how Kubernetes names a resource in NotFound/Conflict messages. */
export function resourceLabel(r: ResourceInfo): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

export function kindLabel(r: ResourceInfo): string {
  return r.group ? `${r.kind}.${r.group}` : r.kind;
}

/** Objects are stored as JSON without resourceVersion: the store's mod revision is the version. */
export function toStored(o: KubeObject): Uint8Array {
  const { resourceVersion: _rv, ...metadata } = o.metadata;
  return enc.encode(JSON.stringify({ ...o, metadata }));
}

export function fromStored(item: { value: Uint8Array; modRevision: number }): KubeObject {
  const o = JSON.parse(dec.decode(item.value)) as KubeObject;
  o.metadata = { ...o.metadata, resourceVersion: String(item.modRevision) };
  return o;
}

function encodeContinue(lastKey: string, revision: number): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: revision, start: lastKey })).toString('base64url');
}

function decodeContinue(token: string, prefix: string): { startAfterKey: string; revision: number } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: number; rv?: number; start?: string };
    if (t.v === 1 && typeof t.rv === 'number' && typeof t.start === 'string' && t.start.startsWith(prefix)) return { startAfterKey: t.start, revision: t.rv };
  } catch {
    // fall through
  }
  throw ApiError.badRequest('invalid continue token: it does not belong to this list');
}
