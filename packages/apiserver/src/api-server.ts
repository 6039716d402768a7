import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { KubeObject, Node, Pod, ResourceInfo, resources } from '@mk/api';
import { ApiError, toGrpcError } from '@mk/client';
import { addService, mkapi, services } from '@mk/proto';
import { Clock, Logger, Rng, httpEndpoints, listenHttp } from '@mk/shared';
import { Cacher } from './cacher';
import { createMetricsService } from './metrics-aggregator';
import { ApiServerMetrics } from './metrics';
import { NamespaceFinalizer } from './namespace-finalizer';
import { createPodsService, KubeletClients } from './pod-proxy';
import { ServiceCidr } from './registry/allocator';
import { toApiError } from './registry/errors';
import { objectKey, resourcePrefix } from './registry/keys';
import { ObjectRegistry, resourceLabel } from './registry/object-registry';
import { Store } from './storage/store';

export const API_SERVER_VERSION = 'v0.1.0-mk';
/** Kubernetes' request limit (etcd's 1.5 MiB) plus room for the envelope. */
const MAX_MESSAGE_BYTES = 3 * 1024 * 1024;
/** Namespaces that always exist. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** How often watchers that asked for bookmarks get one. */
const BOOKMARK_EVERY_MS = 10_000;

export interface ApiServerOptions {
  store: Store;
  /** Where the gRPC API listens, host:port. */
  listen: string;
  /** Where /healthz, /readyz, /metrics and /version listen, host:port ('' = not at all). */
  httpListen: string;
  serviceCidr: ServiceCidr;
  clock: Clock;
  rng: Rng;
  logger: Logger;
  newUid: () => string;
  /** Describes the store for /version ("etcd at 127.0.0.1:2379,…"). */
  storeDescription: string;
}

/**
 * mk-apiserver: the registry behind a gRPC service (proto/mkapi/api.proto), one watch cache per
 * resource, health and metrics over HTTP. Stateless: any number of them may serve one store.
 */
export class ApiServer {
  readonly registry: ObjectRegistry;
  readonly metrics = new ApiServerMetrics();
  private readonly cachers = new Map<string, Cacher>();
  private grpcServer: grpc.Server | undefined;
  private httpServer: http.Server | undefined;
  private readonly finalizer: NamespaceFinalizer;
  /** Connections to the kubelets, for logs, exec and metrics. */
  private readonly kubelets = new KubeletClients();
  private cancelBookmarks: () => void = () => {};
  private stopped = false;
  grpcPort = 0;
  httpPort = 0;

  constructor(private readonly o: ApiServerOptions) {
    for (const r of resources) this.cachers.set(r.resource, new Cacher(r, o.store, o.clock, o.logger));
    const namespaces = this.cachers.get('namespaces')!;
    this.registry = new ObjectRegistry({
      store: o.store,
      clock: o.clock,
      rng: o.rng,
      logger: o.logger,
      serviceCidr: o.serviceCidr,
      newUid: o.newUid,
      cachedNamespace: (name) => (namespaces.cache.isReady() ? namespaces.cache.get(objectKey(namespaces.resource, '', name)) : undefined),
      cachedObject: (r, key) => {
        const c = this.cachers.get(r.resource)?.cache;
        return c?.isReady() ? c.get(key) : undefined;
      },
    });
    this.finalizer = new NamespaceFinalizer(this.registry, this.cachers, o.clock, o.logger);
  }

  async start(): Promise<void> {
    for (const c of this.cachers.values()) c.start();
    const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES });
    addService(server, services.mkapi.Resources, this.resourceHandlers());
    addService(server, services.mkapi.Discovery, {
      Version: (_call, cb) => cb(null, this.versionInfo()),
      APIResources: (_call, cb) => cb(null, { json: Buffer.from(JSON.stringify(apiResourceList())) }),
    });
    const reg = this.registry;
    const getNode = async (name: string) => (await reg.get(this.resource('nodes'), '', name)) as Node;
    addService(
      server,
      services.mkapi.Pods,
      createPodsService({ getPod: async (ns, name) => (await reg.get(this.resource('pods'), ns, name)) as Pod, getNode, kubelets: this.kubelets, logger: this.o.logger }),
    );
    addService(
      server,
      services.mkapi.Metrics,
      createMetricsService({
        listNodes: async (labelSelector) => (await reg.list(this.resource('nodes'), '', { labelSelector })).items as Node[],
        listPods: async (ns, labelSelector) => (await reg.list(this.resource('pods'), ns, { labelSelector })).items as Pod[],
        kubelets: this.kubelets,
        clock: this.o.clock,
        logger: this.o.logger,
      }),
    );
    this.grpcPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.o.listen, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(new Error(`cannot listen on ${this.o.listen}: ${err.message}`)) : resolve(port))),
    );
    this.grpcServer = server;
    if (this.o.httpListen) {
      const [host, port] = splitHostPort(this.o.httpListen);
      const hs = http.createServer(
        httpEndpoints({
          metrics: this.metrics.registry,
          readiness: [
            { name: 'store', check: async () => void (await this.o.store.currentRevision()) },
            { name: 'watch-caches', check: () => this.checkCaches() },
          ],
          json: { '/version': () => this.versionInfo() },
        }),
      );
      this.httpPort = await listenHttp(hs, host, port);
      this.httpServer = hs;
    }
    this.finalizer.start();
    void this.ensureSystemNamespaces();
    const tick = () => {
      this.cancelBookmarks = this.o.clock.setTimer(BOOKMARK_EVERY_MS, () => {
        for (const c of this.cachers.values()) c.cache.bookmarkAll();
        tick();
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelBookmarks();
    this.finalizer.stop();
    for (const c of this.cachers.values()) c.stop();
    this.grpcServer?.forceShutdown();
    this.kubelets.close();
    await new Promise<void>((resolve) => (this.httpServer ? this.httpServer.close(() => resolve()) : resolve()));
    this.httpServer?.closeAllConnections();
  }

  /**
   * The namespaces every cluster has (Kubernetes' API server makes them too); retried until the
   * store takes them, since an API server may start before its store has a leader.
   */
  private async ensureSystemNamespaces(): Promise<void> {
    const r = this.registry.resource('namespaces');
    for (const name of SYSTEM_NAMESPACES) {
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          await this.registry.create(r, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
          break;
        } catch (e) {
          const err = toApiError(e);
          if (err.reason === 'AlreadyExists') break;
          if (attempt % 10 === 0) this.o.logger.warn('cannot create a system namespace yet', { namespace: name, error: err.message });
          await new Promise<void>((resolve) => this.o.clock.setTimer(1000, resolve));
        }
      }
    }
  }

  /** Resolves once every watch cache has its first list. */
  async ready(): Promise<void> {
    await Promise.all([...this.cachers.values()].map((c) => c.cache.whenReady()));
  }

  private checkCaches(): void {
    const pending = [...this.cachers.values()].filter((c) => !c.cache.isReady()).map((c) => c.resource.resource);
    if (pending.length > 0) throw new Error(`not loaded yet: ${pending.join(', ')}`);
    for (const c of this.cachers.values()) this.metrics.storedObjects.set({ resource: c.resource.resource }, c.cache.list('', () => true).length);
  }

  private versionInfo(): mkapi.VersionInfo.$Properties {
    return { gitVersion: API_SERVER_VERSION, platform: `${process.platform}/${process.arch}`, store: this.o.storeDescription };
  }

  private resource(name: string): ResourceInfo {
    return this.registry.resource(name);
  }

  private resourceHandlers() {
    const reg = this.registry;
    const unary = <Req extends object, Res>(verb: string, f: (req: Req) => Promise<Res>) => {
      return (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
        const resource = ('resource' in call.request && typeof call.request.resource === 'string' && call.request.resource) || 'pods';
        this.metrics
          .observe(verb, resource, () => f(call.request).catch((e: unknown) => Promise.reject(toApiError(e))))
          .then(
            (res) => cb(null, res),
            (e: unknown) => {
              const err = toApiError(e);
              if (err.reason === 'InternalError') this.o.logger.error('request failed', { verb, resource, error: err.message });
              cb(toGrpcError(err));
            },
          );
      };
    };
    const obj = (o: KubeObject): mkapi.Object.$Properties => ({ json: Buffer.from(JSON.stringify(o)) });
    return {
      Get: unary('get', async (req: mkapi.GetRequest) => obj(await reg.get(this.resource(req.resource), req.namespace, req.name))),
      List: unary('list', async (req: mkapi.ListRequest) => {
        const r = this.resource(req.resource);
        if (req.resourceVersion === '0' && !req.continue && !(req.limit > 0)) {
          const c = this.cachers.get(r.resource)!;
          if (c.cache.isReady()) {
            const { matches } = reg.filters(r, req);
            const items = c.cache.list(resourcePrefix(r, r.namespaced ? req.namespace : ''), matches);
            return { items: items.map((i) => Buffer.from(JSON.stringify(i))), resourceVersion: String(c.cache.resourceVersion), continue: '' };
          }
        }
        const ans = await reg.list(r, req.namespace, { labelSelector: req.labelSelector, fieldSelector: req.fieldSelector, limit: req.limit, continue: req.continue });
        return { items: ans.items.map((i) => Buffer.from(JSON.stringify(i))), resourceVersion: ans.resourceVersion, continue: ans.continue };
      }),
      Create: unary('create', async (req: mkapi.CreateRequest) => obj(await reg.create(this.resource(req.resource), req.namespace, parseJson(req.json), req.dryRun))),
      Update: unary('update', async (req: mkapi.UpdateRequest) =>
        obj(await reg.update(this.resource(req.resource), req.namespace, req.name, parseJson(req.json), subresourceOf(req.subresource), req.dryRun)),
      ),
      Patch: unary('patch', async (req: mkapi.PatchRequest) =>
        obj(await reg.patch(this.resource(req.resource), req.namespace, req.name, req.patchType, parseJson(req.patch), subresourceOf(req.subresource), req.dryRun)),
      ),
      Delete: unary('delete', async (req: mkapi.DeleteRequest) =>
        obj(
          await reg.delete(
            this.resource(req.resource),
            req.namespace,
            req.name,
            {
              propagationPolicy: req.propagationPolicy,
              gracePeriodSeconds: req.gracePeriodSeconds,
              preconditionUid: req.preconditionUid,
              preconditionResourceVersion: req.preconditionResourceVersion,
            },
            req.dryRun,
          ),
        ),
      ),
      Bind: unary('bind', async (req: mkapi.BindRequest) => obj(await reg.bind(req.namespace, req.name, req.nodeName, req.uid))),
      Watch: (call: grpc.ServerWritableStream<mkapi.WatchRequest, mkapi.WatchEvent.$Properties>) => this.serveWatch(call),
    };
  }

  private serveWatch(call: grpc.ServerWritableStream<mkapi.WatchRequest, mkapi.WatchEvent.$Properties>): void {
    const req = call.request;
    const fail = (e: unknown) => {
      const err = toApiError(e);
      call.emit('error', toGrpcError(err));
    };
    try {
      const r = this.resource(req.resource);
      const { matches } = this.registry.filters(r, req);
      const from = parseResourceVersion(req.resourceVersion);
      const cacher = this.cachers.get(r.resource)!;
      const gauge = { resource: r.resource };
      const w = cacher.cache.watch(
        { fromRevision: from, matches, keyPrefix: resourcePrefix(r, r.namespaced ? req.namespace : ''), allowBookmarks: req.allowBookmarks },
        (e) => {
          call.write({ type: e.type, object: Buffer.from(JSON.stringify(e.object)) });
        },
        (err: ApiError) => {
          // Kubernetes ends such a watch with an ERROR event carrying the Status, then closes it.
          call.write({ type: 'ERROR', object: Buffer.from(JSON.stringify(err.status)) });
          call.end();
        },
      );
      this.metrics.watchers.inc(gauge);
      this.metrics.requests.inc({ verb: 'watch', resource: r.resource, code: 'OK' });
      call.on('cancelled', () => {
        w.stop();
        this.metrics.watchers.dec(gauge);
      });
      call.on('close', () => w.stop());
    } catch (e) {
      fail(e);
    }
  }
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw ApiError.badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}

function subresourceOf(s: string): '' | 'status' {
  if (s === '' || s === 'status') return s;
  throw ApiError.notFound('the server could not find the requested resource', s);
}

function parseResourceVersion(rv: string): number {
  if (rv === '' || rv === '0') return 0;
  const n = Number(rv);
  if (!Number.isSafeInteger(n) || n < 0) throw ApiError.badRequest(`resourceVersion: Invalid value: ${JSON.stringify(rv)}: must be a non-negative integer`);
  return n;
}

export function splitHostPort(hp: string): [string, number] {
  const i = hp.lastIndexOf(':');
  const port = Number(hp.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${JSON.stringify(hp)} is not host:port`);
  return [hp.slice(0, i).replace(/^\[|\]$/g, ''), port];
}

/** What `mkctl api-resources` prints, as Kubernetes' discovery lists it. */
export function apiResourceList() {
  const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
  return resources.map((r) => ({
    name: r.resource,
    singularName: r.singular,
    shortNames: [...r.shortNames],
    namespaced: r.namespaced,
    kind: r.kind,
    group: r.group,
    version: r.version,
    verbs,
  }));
}

export { resourceLabel };
