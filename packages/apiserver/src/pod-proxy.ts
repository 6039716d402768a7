/**
 * mkapi.Pods: `mkctl logs` and `mkctl exec` through the API server, as kubectl's go through
 * Kubernetes' (pods/log, pods/exec): find the pod's node, find that node's kubelet
 * (status.addresses InternalIP + status.daemonEndpoints.kubeletEndpoint.Port), and relay the call
 * to its mkkubelet.Kubelet service both ways. Cancellation and the deadline follow the call.
 */
import * as grpc from '@grpc/grpc-js';
import type { Node, Pod } from '@mk/api';
import { ApiError, fromGrpcError, STATUS_METADATA_KEY, toGrpcError } from '@mk/client';
import { makeClientConstructor, type mkapi, type ServiceClient, type ServiceImplementation, services } from '@mk/proto';
import type { Logger } from '@mk/shared';
import { toApiError } from './registry/errors';

export type KubeletClient = ServiceClient<typeof services.mkkubelet.Kubelet>;
const KubeletClientCtor = makeClientConstructor(services.mkkubelet.Kubelet);

/** One gRPC client (one HTTP/2 connection) per kubelet address, made when first needed. */
export class KubeletClients {
  private readonly clients = new Map<string, KubeletClient>();

  get(address: string): KubeletClient {
    let c = this.clients.get(address);
    if (c === undefined) {
      c = new KubeletClientCtor(address, grpc.credentials.createInsecure(), {
        // A kubelet that comes back is tried again soon.
        'grpc.initial_reconnect_backoff_ms': 500,
        'grpc.max_reconnect_backoff_ms': 5_000,
      });
      this.clients.set(address, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** Where the kubelet of `node` listens (host:port), or ServiceUnavailable saying what is missing. */
export function kubeletAddress(node: Node): string {
  const name = node.metadata.name;
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (!ip) throw ApiError.unavailable(`node "${name}" has no InternalIP address: its kubelet cannot be reached`);
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!port) throw ApiError.unavailable(`node "${name}" reports no kubelet endpoint port: its kubelet cannot be reached`);
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * A kubelet call's failure as the API server answers it: the kubelet's own Status when it sent
 * one (NotFound, BadRequest, ...), otherwise an error naming the node (it did not answer).
 */
export function kubeletError(e: unknown, nodeName: string, address: string): ApiError {
  const md = e !== null && typeof e === 'object' ? (e as { metadata?: unknown }).metadata : undefined;
  if (md instanceof grpc.Metadata && md.get(STATUS_METADATA_KEY).length > 0) return fromGrpcError(e);
  const code = e !== null && typeof e === 'object' ? (e as { code?: unknown }).code : undefined;
  const details = e !== null && typeof e === 'object' && typeof (e as { details?: unknown }).details === 'string' ? (e as { details: string }).details : String(e);
  const where = `the kubelet of node "${nodeName}" at ${address}`;
  if (code === grpc.status.DEADLINE_EXCEEDED) return ApiError.timeout(`${where} did not answer before the deadline`);
  if (code === grpc.status.UNAVAILABLE || code === grpc.status.CANCELLED) return ApiError.unavailable(`error dialing backend: ${where} is unavailable: ${shortDetail(details)}`);
  return ApiError.internal(`${where} failed the call: ${details}`);
}

/**
 * grpc-js' "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.
 * Resolution note: " → "connect ECONNREFUSED 127.0.0.1:1".
 */
export function shortDetail(details: string): string {
  const at = details.indexOf('Last error: ');
  let d = at < 0 ? details : details.slice(at + 'Last error: '.length);
  d = d.replace(/^Error: /, '').split('. Resolution note')[0]!.split(' (')[0]!;
  return d.trim().replace(/\.$/, '') || 'no connection';
}

export interface PodProxyDeps {
  /** Throws NotFound when there is no such pod. */
  getPod(namespace: string, name: string): Promise<Pod>;
  /** Throws NotFound when there is no such node. */
  getNode(name: string): Promise<Node>;
  kubelets: KubeletClients;
  logger: Logger;
}

interface Target {
  nodeName: string;
  address: string;
  client: KubeletClient;
}

/** The kubelet that runs pod namespace/name. */
export async function kubeletFor(deps: PodProxyDeps, namespace: string, name: string): Promise<Target> {
  const pod = await deps.getPod(namespace, name);
  const nodeName = pod.spec.nodeName;
  if (!nodeName) throw ApiError.badRequest(`pod ${name} does not have a host assigned`);
  let node: Node;
  try {
    node = await deps.getNode(nodeName);
  } catch (e) {
    const err = toApiError(e);
    if (err.reason === 'NotFound') throw ApiError.unavailable(`pod ${name} is on node "${nodeName}", which does not exist`);
    throw err;
  }
  const address = kubeletAddress(node);
  return { nodeName, address, client: deps.kubelets.get(address) };
}

/** Deadline of the outgoing call: the incoming call's, if it has one. */
function callOptions(call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>): Partial<grpc.CallOptions> {
  const deadline = call.getDeadline();
  return deadline === Infinity ? {} : { deadline };
}

function fail(call: { emit(event: 'error', e: unknown): boolean }, e: unknown): void {
  call.emit('error', toGrpcError(toApiError(e)));
}

/** Copies `from`'s messages to `to`, pausing `from` while `to` is full. */
function relay<T>(from: NodeJS.ReadableStream, to: { write(m: T): boolean; once(event: 'drain', f: () => void): unknown }): void {
  from.on('data', (m: T) => {
    if (!to.write(m)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
}

export function createPodsService(deps: PodProxyDeps): ServiceImplementation<typeof services.mkapi.Pods> {
  const { logger } = deps;

  const logs = async (call: grpc.ServerWritableStream<mkapi.PodLogsRequest, mkapi.LogChunk.$Properties>): Promise<void> => {
    const req = call.request;
    let cancelled = false;
    let upstream: grpc.ClientReadableStream<mkapi.LogChunk> | undefined;
    call.on('cancelled', () => {
      cancelled = true;
      upstream?.cancel();
    });
    let target: Target;
    try {
      target = await kubeletFor(deps, req.namespace, req.name);
    } catch (e) {
      return fail(call, e);
    }
    if (cancelled) return;
    const up = target.client.Logs(req, callOptions(call));
    upstream = up;
    relay<mkapi.LogChunk>(up, call);
    up.on('error', (e) => {
      if (!cancelled) fail(call, kubeletError(e, target.nodeName, target.address));
    });
    up.on('end', () => call.end());
  };

  const exec = (call: grpc.ServerDuplexStream<mkapi.ExecInput, mkapi.ExecOutput.$Properties>): void => {
    let upstream: grpc.ClientDuplexStream<mkapi.ExecInput, mkapi.ExecOutput> | undefined;
    let cancelled = false;
    let ended = false;
    let first = true;
    const pending: mkapi.ExecInput[] = [];
    call.on('cancelled', () => {
      cancelled = true;
      upstream?.cancel();
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      ended = true;
      upstream?.end();
    });
    call.on('data', (m: mkapi.ExecInput) => {
      if (!first) {
        if (upstream) upstream.write(m);
        else pending.push(m);
        return;
      }
      first = false;
      if (m.input !== 'start' || !m.start) return fail(call, ApiError.badRequest('exec: the first message must be start'));
      pending.push(m);
      kubeletFor(deps, m.start.namespace ?? '', m.start.name ?? '').then(
        (target) => {
          if (cancelled) return;
          const up = target.client.Exec(callOptions(call));
          upstream = up;
          for (const p of pending.splice(0)) up.write(p);
          if (ended) up.end();
          relay<mkapi.ExecOutput>(up, call);
          up.on('error', (e) => {
            if (!cancelled) fail(call, kubeletError(e, target.nodeName, target.address));
          });
          up.on('end', () => call.end());
        },
        (e: unknown) => fail(call, e),
      );
    });
  };

  return {
    Logs: (call) => {
      logs(call).catch((e: unknown) => {
        logger.error('pod logs relay failed', { error: (e as Error).message });
        fail(call, e);
      });
    },
    Exec: exec,
  };
}
