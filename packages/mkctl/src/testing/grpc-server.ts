/**
 * A FakeClient served over real gRPC (proto/mkapi/api.proto), so that tests can drive mkctl
 * through @mk/client's real ApiClient: deadlines, failover, error statuses in trailing metadata.
 */
import * as grpc from '@grpc/grpc-js';
import { addService, type mkapi, type ServiceImplementation, services } from '@mk/proto';
import { ApiError, toGrpcError } from '@mk/client';
import type { KubeObject } from '@mk/api';
import type { FakeClient } from './fake-client';

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
const parse = (b: Uint8Array): KubeObject => JSON.parse(dec.decode(b)) as KubeObject;

export class GrpcFakeServer {
  private server: grpc.Server | undefined;
  port = 0;

  constructor(readonly backend: FakeClient) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = new grpc.Server();
    addService(server, services.mkapi.Resources, this.resources());
    addService(server, services.mkapi.Discovery, this.discovery());
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
    return this;
  }

  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }

  private unary<Req, Res>(fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      fn(call.request).then(
        (res) => callback(null, res),
        (e: unknown) => callback(toGrpcError(e)),
      );
    };
  }

  private resources(): ServiceImplementation<typeof services.mkapi.Resources> {
    const b = this.backend;
    return {
      Get: this.unary(async (r: mkapi.GetRequest) => ({ json: bytes(await b.get(r.resource, r.namespace, r.name)) })),
      List: this.unary(async (r: mkapi.ListRequest) => {
        const list = await b.listAll(r.resource, { namespace: r.namespace, labelSelector: r.labelSelector, fieldSelector: r.fieldSelector });
        return { items: list.items.map(bytes), resourceVersion: list.resourceVersion, continue: '', remainingItemCount: 0 };
      }),
      Create: this.unary(async (r: mkapi.CreateRequest) => ({ json: bytes(await b.create(r.resource, parse(r.json), { namespace: r.namespace, dryRun: r.dryRun })) })),
      Update: this.unary(async (r: mkapi.UpdateRequest) => ({ json: bytes(await b.update(r.resource, parse(r.json))) })),
      Patch: this.unary(async (r: mkapi.PatchRequest) => {
        if (r.patchType !== 'merge') throw ApiError.badRequest(`unsupported patch type "${r.patchType}"`);
        return { json: bytes(await b.patch(r.resource, r.namespace, r.name, JSON.parse(dec.decode(r.patch)))) };
      }),
      Delete: this.unary(async (r: mkapi.DeleteRequest) => ({
        json: bytes(await b.delete(r.resource, r.namespace, r.name, { ...(r.gracePeriodSeconds >= 0 ? { gracePeriodSeconds: r.gracePeriodSeconds } : {}), ...(r.propagationPolicy ? { propagationPolicy: r.propagationPolicy as 'Background' } : {}) })),
      })),
      Bind: this.unary(async () => {
        throw ApiError.of('MethodNotAllowed', 'bind is not served by the fake');
      }),
      Watch: (call) => {
        const r = call.request;
        const handle = b.watch(r.resource, { namespace: r.namespace, labelSelector: r.labelSelector, fieldSelector: r.fieldSelector, resourceVersion: r.resourceVersion }, (ev) => {
          call.write({ type: ev.type, object: bytes(ev.object) });
        });
        call.on('cancelled', () => handle.stop());
        void handle.done.then(() => call.end());
      },
    };
  }

  private discovery(): ServiceImplementation<typeof services.mkapi.Discovery> {
    const b = this.backend;
    return {
      Version: this.unary(async () => b.version()),
      APIResources: this.unary(async () => ({ json: bytes(await b.apiResources()) })),
    };
  }
}
