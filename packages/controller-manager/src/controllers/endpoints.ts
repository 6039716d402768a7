/**
 * The Endpoints controller (Kubernetes' pkg/controller/endpoint): for each Service with a
 * selector, an Endpoints object of the same name listing the pods the selector matches —
 * ready ones (Ready condition True) in `addresses`, the others in `notReadyAddresses` — with
 * their IP, node and a reference to the pod, and the Service's ports with targetPort resolved
 * (a number, or a container port's name looked up in each pod). Pods without an IP, finished
 * ones and terminating ones are left out (publishNotReadyAddresses lists every pod as ready and
 * keeps terminating ones). Nothing is written when the result equals what is there.
 */
import {
  type EndpointAddress,
  type EndpointPort,
  type EndpointSubset,
  type Endpoints,
  type Pod,
  type Service,
  jsonEqual,
  keyOf,
  podIsReady,
  podIsTerminal,
  resolvePort,
  selectorFromSet,
} from '@mk/api';
import { deletedObject, isAlreadyExists, isNotFound, splitMetaNamespaceKey } from '@mk/client';
import { Controller } from '../controller';
import type { ControllerContext, InformerLike } from '../types';

/** Kubernetes marks Endpoints of headless Services with this label. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

export class EndpointsController extends Controller {
  private readonly services: InformerLike<Service>;
  private readonly pods: InformerLike<Pod>;
  private readonly endpoints: InformerLike<Endpoints>;

  constructor(ctx: ControllerContext) {
    super('endpoint', ctx);
    this.services = ctx.informers.informer<Service>('services');
    this.pods = ctx.informers.informer<Pod>('pods');
    this.endpoints = ctx.informers.informer<Endpoints>('endpoints');
    this.services.addEventHandler({
      onAdd: (s) => this.enqueue(keyOf(s)),
      onUpdate: (_o, s) => this.enqueue(keyOf(s)),
      onDelete: (s) => this.enqueue(keyOf(deletedObject(s))),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podChanged(p),
      onUpdate: (old, cur) => {
        if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
        this.podChanged(cur);
        if (!jsonEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {})) this.podChanged(old);
      },
      onDelete: (p) => this.podChanged(deletedObject(p)),
    });
    // Someone else changed or deleted an Endpoints we manage: put it back.
    this.endpoints.addEventHandler({
      onUpdate: (_o, e) => this.endpointsChanged(e),
      onDelete: (e) => this.endpointsChanged(deletedObject(e)),
    });
  }

  informerResources(): readonly string[] {
    return ['services', 'pods', 'endpoints'];
  }

  private podChanged(pod: Pod): void {
    for (const svc of this.services.store.byIndex('namespace', pod.metadata.namespace ?? '')) {
      if (svc.spec.selector && selectorFromSet(svc.spec.selector).matches(pod.metadata.labels)) this.enqueue(keyOf(svc));
    }
  }

  private endpointsChanged(e: Endpoints): void {
    if (this.services.store.get(keyOf(e))) this.enqueue(keyOf(e));
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = this.services.store.get(key);
    if (!svc) {
      // The Service is gone: so is its Endpoints (Kubernetes deletes it; so do we).
      if (!this.endpoints.store.get(key)) return;
      try {
        await this.ctx.client.delete('endpoints', namespace, name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    // No selector: the user manages the Endpoints. ExternalName Services have none.
    if (!svc.spec.selector || svc.spec.type === 'ExternalName') return;
    if (svc.metadata.deletionTimestamp) return;
    const subsets = this.subsetsFor(svc);
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (svc.spec.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    else delete labels[HEADLESS_LABEL];
    const current = this.endpoints.store.get(key);
    if (current && jsonEqual(current.subsets ?? [], subsets) && jsonEqual(current.metadata.labels ?? {}, labels)) return;
    const desired: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(current ? structuredClone(current.metadata) : { name, namespace }), labels },
      ...(subsets.length > 0 ? { subsets } : {}),
    };
    if (Object.keys(labels).length === 0) delete desired.metadata.labels;
    if (current) {
      await this.ctx.client.update<Endpoints>('endpoints', desired);
      return;
    }
    try {
      await this.ctx.client.create<Endpoints>('endpoints', desired);
    } catch (e) {
      // Created meanwhile (our cache is behind): the update event brings us back.
      if (!isAlreadyExists(e)) throw e;
    }
  }

  /** The subsets: pods grouped by the ports they resolve to, addresses sorted (RepackSubsets). */
  subsetsFor(svc: Service): EndpointSubset[] {
    const selector = selectorFromSet(svc.spec.selector);
    // A Service without ports has endpoints only when headless (DNS names the pods).
    if ((svc.spec.ports ?? []).length === 0 && svc.spec.clusterIP !== 'None') return [];
    const publishNotReady = svc.spec.publishNotReadyAddresses === true;
    const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
    for (const pod of this.pods.store.byIndex('namespace', svc.metadata.namespace ?? '')) {
      if (!selector.matches(pod.metadata.labels)) continue;
      if (!pod.status?.podIP || podIsTerminal(pod)) continue;
      if (pod.metadata.deletionTimestamp && !publishNotReady) continue;
      const ports = resolvePorts(svc, pod);
      if (ports === undefined) continue;
      const address: EndpointAddress = {
        ip: pod.status.podIP,
        ...(pod.spec.hostname && pod.spec.subdomain === svc.metadata.name ? { hostname: pod.spec.hostname } : {}),
        ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
        targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
      };
      const gk = JSON.stringify(ports);
      let g = groups.get(gk);
      if (!g) groups.set(gk, (g = { ports, ready: [], notReady: [] }));
      if (publishNotReady || podIsReady(pod)) g.ready.push(address);
      else g.notReady.push(address);
    }
    const byIp = (a: EndpointAddress, b: EndpointAddress) => compareIp(a.ip, b.ip) || ((a.targetRef?.uid ?? '') < (b.targetRef?.uid ?? '') ? -1 : 1);
    return [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, g]) => ({
        ...(g.ready.length > 0 ? { addresses: g.ready.sort(byIp) } : {}),
        ...(g.notReady.length > 0 ? { notReadyAddresses: g.notReady.sort(byIp) } : {}),
        ...(g.ports.length > 0 ? { ports: g.ports } : {}),
      }));
  }
}

/**
 * The Service's ports as this pod serves them, sorted by name then port; undefined when a named
 * targetPort is not among the pod's container ports (the pod is left out, as Kubernetes does).
 */
function resolvePorts(svc: Service, pod: Pod): EndpointPort[] | undefined {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec.ports ?? []) {
    const protocol = sp.protocol ?? 'TCP';
    const named = pod.spec.containers.flatMap((c) => c.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === protocol);
    const port = resolvePort(sp.targetPort ?? sp.port, named);
    if (port === undefined) {
      // Kubernetes skips just this port for this pod; a pod with no port left goes too.
      continue;
    }
    out.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol, ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  if ((svc.spec.ports ?? []).length > 0 && out.length === 0) return undefined;
  return out.sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : a.port - b.port));
}

function compareIp(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4 && pa.every(Number.isFinite) && pb.every(Number.isFinite)) {
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
