/**
 * `mkctl describe TYPE [NAME_PREFIX…] | TYPE/NAME`: kubectl's layout for pods, deployments,
 * replicasets, services, nodes, namespaces, configmaps, secrets and endpoints, a generic
 * key: value dump for the other kinds; every namespaced object ends with its Events.
 */
import {
  type ConfigMap,
  type CronJob,
  type DaemonSet,
  type Deployment,
  type HorizontalPodAutoscaler,
  type Job,
  type StatefulSet,
  type Endpoints,
  type Event,
  jsonEqual,
  type KubeObject,
  type LabelSelector,
  type Lease,
  type Namespace,
  type Node,
  type Pod,
  type PodTemplateSpec,
  type ReplicaSet,
  type ResourceInfo,
  type Secret,
  selectorFromLabelSelector,
  type Service,
} from '@mk/api';
import { ApiError } from '@mk/client';
import type { CommandContext } from '../context';
import { CliError, isConnectionError } from '../errors';
import {
  type DescribeSettings,
  describeConfigMap,
  describeCronJob,
  describeDaemonSet,
  describeDeployment,
  describeHPA,
  describeJob,
  describeStatefulSet,
  describeEndpoints,
  describeGeneric,
  describeNamespace,
  describeNode,
  describePod,
  describeReplicaSet,
  describeSecret,
  describeService,
  type PodCounts,
} from '../printers/describe';
import { parseResourceArgs } from '../resources';
import { FAILED, finish, guarded, namespaceFor, withType } from './common';
import { noResourcesMessage } from './get';

export interface DescribeOptions {
  allNamespaces?: boolean;
  selector?: string;
  showEvents?: boolean;
}

/** Events about an object: kubectl's field selector on involvedObject (name, namespace, uid). */
async function eventsFor(ctx: CommandContext, obj: KubeObject, uid = obj.metadata.uid): Promise<Event[]> {
  const ns = obj.metadata.namespace ?? '';
  const terms = [`involvedObject.name=${obj.metadata.name ?? ''}`, `involvedObject.namespace=${ns}`];
  if (uid) terms.push(`involvedObject.uid=${uid}`);
  try {
    const list = await ctx.client.listAll('events', { namespace: ns, fieldSelector: terms.join(',') });
    return list.items as Event[];
  } catch (e) {
    if (isConnectionError(e)) throw e;
    return []; // kubectl describes the object even when its events cannot be listed
  }
}

function podCounts(pods: readonly Pod[], ownerUid: string | undefined): PodCounts {
  const c: PodCounts = { running: 0, waiting: 0, succeeded: 0, failed: 0 };
  for (const p of pods) {
    if (!p.metadata.ownerReferences?.some((r) => r.controller && r.uid === ownerUid)) continue;
    switch (p.status?.phase) {
      case 'Running':
        c.running++;
        break;
      case 'Pending':
        c.waiting++;
        break;
      case 'Succeeded':
        c.succeeded++;
        break;
      case 'Failed':
        c.failed++;
        break;
    }
  }
  return c;
}

/** Pods by phase among those the object controls (kubectl's getPodStatusForController). */
async function ownedPodCounts(ctx: CommandContext, owner: KubeObject, selector: LabelSelector | undefined): Promise<PodCounts> {
  let pods: Pod[] = [];
  try {
    const labelSelector = selectorFromLabelSelector(selector).toString();
    pods = (await ctx.client.listAll('pods', { namespace: owner.metadata.namespace ?? '', labelSelector })).items as Pod[];
  } catch (e) {
    if (isConnectionError(e)) throw e;
  }
  return podCounts(pods, owner.metadata.uid);
}

/** A template without the pod-template-hash label, to find a Deployment's current ReplicaSet. */
function withoutHash(t: PodTemplateSpec | undefined): unknown {
  if (!t) return t;
  const labels = { ...(t.metadata?.labels ?? {}) };
  delete labels['pod-template-hash'];
  return { ...t, metadata: { ...(t.metadata ?? {}), labels } };
}

async function describeOne(ctx: CommandContext, info: ResourceInfo, obj: KubeObject, showEvents: boolean): Promise<string> {
  const s: DescribeSettings = { now: ctx.clock.now(), localTime: ctx.localTime };
  const ns = obj.metadata.namespace ?? '';
  const events = showEvents ? await eventsFor(ctx, obj) : undefined;
  switch (info.kind) {
    case 'Pod':
      return describePod(obj as Pod, events, s);
    case 'Deployment': {
      const d = obj as Deployment;
      let owned: ReplicaSet[] = [];
      try {
        const selector = selectorFromLabelSelector(d.spec.selector).toString();
        const list = await ctx.client.listAll('replicasets', { namespace: ns, labelSelector: selector });
        owned = (list.items as ReplicaSet[]).filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller && r.uid === d.metadata.uid));
      } catch (e) {
        if (isConnectionError(e)) throw e;
      }
      const current = owned.find((rs) => jsonEqual(withoutHash(rs.spec.template), withoutHash(d.spec.template)));
      return describeDeployment(d, { oldReplicaSets: owned.filter((rs) => rs !== current), ...(current ? { newReplicaSet: current } : {}) }, events, s);
    }
    case 'ReplicaSet': {
      const rs = obj as ReplicaSet;
      return describeReplicaSet(rs, await ownedPodCounts(ctx, rs, rs.spec.selector), events, s);
    }
    case 'DaemonSet': {
      const ds = obj as DaemonSet;
      return describeDaemonSet(ds, await ownedPodCounts(ctx, ds, ds.spec.selector), events, s);
    }
    case 'StatefulSet': {
      const ss = obj as StatefulSet;
      return describeStatefulSet(ss, await ownedPodCounts(ctx, ss, ss.spec.selector), events, s);
    }
    case 'Job':
      return describeJob(obj as Job, events, s);
    case 'CronJob':
      return describeCronJob(obj as CronJob, events, s);
    case 'HorizontalPodAutoscaler':
      return describeHPA(obj as HorizontalPodAutoscaler, events, s);
    case 'Service': {
      let ep: Endpoints | undefined;
      try {
        ep = (await ctx.client.get('endpoints', ns, obj.metadata.name ?? '')) as Endpoints;
      } catch (e) {
        if (isConnectionError(e)) throw e;
      }
      return describeService(obj as Service, ep, events, s);
    }
    case 'Node': {
      const node = obj as Node;
      const name = node.metadata.name ?? '';
      let pods: Pod[] = [];
      try {
        pods = (await ctx.client.listAll('pods', { fieldSelector: `spec.nodeName=${name},status.phase!=Succeeded,status.phase!=Failed` })).items as Pod[];
      } catch (e) {
        if (isConnectionError(e)) throw e;
      }
      let lease: Lease | undefined;
      let leaseError: string | undefined;
      try {
        lease = (await ctx.client.get('leases', 'kube-node-lease', name)) as Lease;
      } catch (e) {
        if (isConnectionError(e)) throw e;
        leaseError = e instanceof Error ? e.message : String(e);
      }
      let nodeEvents = events;
      if (showEvents && node.metadata.uid !== name) {
        // The kubelet reports about its node by name, controllers by uid: show both.
        nodeEvents = [...(events ?? []), ...(await eventsFor(ctx, node, name))];
      }
      return describeNode(node, { pods, ...(lease ? { lease } : {}), ...(leaseError ? { leaseError } : {}) }, nodeEvents, s);
    }
    case 'Namespace':
      return describeNamespace(obj as Namespace);
    case 'ConfigMap':
      return describeConfigMap(obj as ConfigMap, events, s);
    case 'Secret':
      return describeSecret(obj as Secret);
    case 'Endpoints':
      return describeEndpoints(obj as Endpoints, events, s);
    default:
      return describeGeneric(obj, events, s);
  }
}

export async function describe(ctx: CommandContext, args: readonly string[], opts: DescribeOptions = {}): Promise<number> {
  if (args.length === 0) {
    ctx.err.write('You must specify the type of resource to describe. Use "mkctl api-resources" for a complete list of supported resources.\n\n');
    ctx.err.write(`error: Required resource not specified.\nSee 'mkctl describe -h' for help and examples\n`);
    return FAILED;
  }
  return guarded(ctx, async () => {
    const { requests } = parseResourceArgs(args);
    const all = opts.allNamespaces === true;
    const showEvents = opts.showEvents !== false;
    const errors: unknown[] = [];
    const found: { info: ResourceInfo; obj: KubeObject }[] = [];
    for (const { info, names } of requests) {
      const ns = all ? '' : namespaceFor(info, ctx.namespace);
      if (names.length === 0) {
        const list = await ctx.client.listAll(info.resource, { namespace: ns, ...(opts.selector ? { labelSelector: opts.selector } : {}) });
        for (const o of list.items) found.push({ info, obj: withType(o, info) });
        continue;
      }
      for (const name of names) {
        try {
          found.push({ info, obj: withType(await ctx.client.get(info.resource, ns, name), info) });
        } catch (e) {
          if (!(e instanceof ApiError && e.reason === 'NotFound')) {
            if (isConnectionError(e)) throw e;
            errors.push(e);
            continue;
          }
          // kubectl describes every object whose name starts with the one given.
          const list = await ctx.client.listAll(info.resource, { namespace: ns });
          const matches = list.items.filter((o) => (o.metadata.name ?? '').startsWith(name));
          if (matches.length === 0) errors.push(e);
          for (const o of matches) found.push({ info, obj: withType(o, info) });
        }
      }
    }
    const texts: string[] = [];
    for (const { info, obj } of found) texts.push(await describeOne(ctx, info, obj, showEvents));
    ctx.out.write(texts.join('\n\n'));
    if (found.length === 0 && errors.length === 0) {
      if (requests.some((r) => r.names.length > 0)) throw new CliError('no objects passed to describe');
      ctx.err.write(noResourcesMessage(ctx, all, requests.map((r) => r.info)));
    }
    return finish(ctx, errors);
  });
}
