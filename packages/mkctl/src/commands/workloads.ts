/**
 * The commands of the notes' walkthrough after "deploy": `scale` (`deployment.apps/web scaled`),
 * `expose` (a Service in front of a workload: `service/web exposed`) and `set image`
 * (`deployment.apps/web image updated`).
 */
import type { Container, CronJob, Deployment, KubeObject, Pod, PodTemplateSpec, ResourceInfo, Service, ServiceType } from '@mk/api';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { objectName, parseResourceArgs, resolveType } from '../resources';
import { FAILED, finish, guarded, namespaceFor, OK, printError, tryEach } from './common';

/** The objects named by `TYPE NAME…`, `TYPE/NAME…` or `TYPE -l SELECTOR`. */
async function select(ctx: CommandContext, args: readonly string[], selector: string | undefined, errors: unknown[]): Promise<{ info: ResourceInfo; obj: KubeObject }[]> {
  const { requests } = parseResourceArgs(args);
  const out: { info: ResourceInfo; obj: KubeObject }[] = [];
  for (const { info, names } of requests) {
    const ns = namespaceFor(info, ctx.namespace);
    if (names.length === 0) {
      if (!selector) throw new CliError('resource(s) were provided, but no name was specified');
      const list = await ctx.client.listAll(info.resource, { namespace: ns, labelSelector: selector });
      for (const obj of list.items) out.push({ info, obj });
      continue;
    }
    for (const name of names) {
      await tryEach(errors, async () => {
        out.push({ info, obj: await ctx.client.get(info.resource, ns, name) });
      });
    }
  }
  return out;
}

const SCALABLE = new Set(['Deployment', 'ReplicaSet', 'StatefulSet']);

export interface ScaleOptions {
  replicas?: string;
  currentReplicas?: string;
  selector?: string;
}

export async function scale(ctx: CommandContext, args: readonly string[], opts: ScaleOptions): Promise<number> {
  return guarded(ctx, async () => {
    if (opts.replicas === undefined) throw new CliError('required flag(s) "replicas" not set');
    const replicas = Number(opts.replicas);
    if (!Number.isInteger(replicas) || replicas < 0) throw new CliError('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
    if (args.length === 0) throw new CliError('Required resource not specified.');
    const errors: unknown[] = [];
    for (const { info, obj } of await select(ctx, args, opts.selector, errors)) {
      const name = obj.metadata.name ?? '';
      if (!SCALABLE.has(info.kind)) {
        errors.push(new CliError(`cannot scale ${info.resource} (only deployments, replicasets and statefulsets have replicas)`));
        continue;
      }
      const current = (obj as { spec?: { replicas?: number } }).spec?.replicas ?? 1;
      if (opts.currentReplicas !== undefined && Number(opts.currentReplicas) !== current) {
        errors.push(new CliError(`Expected replicas to be ${opts.currentReplicas}, was ${current}`));
        continue;
      }
      await tryEach(errors, async () => {
        await ctx.client.patch(info.resource, obj.metadata.namespace ?? '', name, { spec: { replicas } });
        ctx.out.write(`${objectName(info, name)} scaled\n`);
      });
    }
    return finish(ctx, errors);
  });
}

export interface ExposeOptions {
  port?: string;
  targetPort?: string;
  type?: string;
  name?: string;
  protocol?: string;
  selector?: string;
  nodePort?: string;
}

function templateOf(obj: KubeObject): PodTemplateSpec | undefined {
  const spec = (obj as { spec?: { template?: PodTemplateSpec } }).spec;
  return spec?.template;
}

/** The selector a Service for this object should use (kubectl's MapBasedSelectorForObject). */
function selectorFor(info: ResourceInfo, obj: KubeObject): Record<string, string> {
  switch (info.kind) {
    case 'Pod':
      return { ...(obj.metadata.labels ?? {}) };
    case 'Service':
      return { ...((obj as Service).spec.selector ?? {}) };
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet': {
      const sel = (obj as Deployment).spec.selector; // the four kinds share the selector's shape
      if (sel?.matchExpressions?.length) throw new CliError(`couldn't convert expressions - "${JSON.stringify(sel.matchExpressions)}" to map-based selector format`);
      return { ...(sel?.matchLabels ?? {}) };
    }
    default:
      throw new CliError(`cannot expose a ${info.kind}`);
  }
}

function containersOf(info: ResourceInfo, obj: KubeObject): Container[] {
  if (info.kind === 'Pod') return (obj as Pod).spec.containers ?? [];
  return templateOf(obj)?.spec.containers ?? [];
}

export async function expose(ctx: CommandContext, args: readonly string[], opts: ExposeOptions): Promise<number> {
  return guarded(ctx, async () => {
    if (args.length === 0) throw new CliError('You must provide the type and name of the object to expose, e.g. mkctl expose deployment web --port=80');
    const errors: unknown[] = [];
    const found = await select(ctx, args, undefined, errors);
    for (const e of errors) printError(ctx, e);
    if (errors.length > 0) return FAILED;
    const svcInfo = resolveType('services');
    for (const { info, obj } of found) {
      const selector = opts.selector ? Object.fromEntries(opts.selector.split(',').map((kv) => kv.split('=') as [string, string])) : selectorFor(info, obj);
      if (Object.keys(selector).length === 0) throw new CliError(`couldn't retrieve selectors via --selector flag or introspection`);
      let port: number | undefined = opts.port !== undefined ? Number(opts.port) : undefined;
      if (port === undefined) {
        port = info.kind === 'Service' ? (obj as Service).spec.ports?.[0]?.port : containersOf(info, obj).flatMap((c) => c.ports ?? [])[0]?.containerPort;
      }
      if (port === undefined || !Number.isInteger(port)) throw new CliError(`couldn't find port via --port flag or introspection`);
      const targetPort = opts.targetPort === undefined ? undefined : /^\d+$/.test(opts.targetPort) ? Number(opts.targetPort) : opts.targetPort;
      const type = (opts.type ?? 'ClusterIP') as ServiceType;
      if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(type)) throw new CliError(`unsupported service type ${JSON.stringify(opts.type)}: ClusterIP, NodePort or LoadBalancer`);
      const name = opts.name ?? obj.metadata.name ?? '';
      const svc: Service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: obj.metadata.namespace ?? ctx.namespace, ...(obj.metadata.labels ? { labels: { ...obj.metadata.labels } } : {}) },
        spec: {
          type,
          selector,
          ports: [
            {
              port,
              protocol: (opts.protocol ?? 'TCP') as 'TCP',
              ...(targetPort !== undefined ? { targetPort } : {}),
              ...(opts.nodePort !== undefined ? { nodePort: Number(opts.nodePort) } : {}),
            },
          ],
        },
      };
      await ctx.client.create('services', svc, { namespace: svc.metadata.namespace ?? '' });
      ctx.out.write(`${objectName(svcInfo, name)} exposed\n`);
    }
    return OK;
  });
}

/** `set image TYPE NAME CONTAINER=IMAGE…` (`*=IMAGE`: every container). */
export async function setImage(ctx: CommandContext, args: readonly string[], opts: { selector?: string } = {}): Promise<number> {
  return guarded(ctx, async () => {
    const split = args.findIndex((a) => a.includes('='));
    if (split <= 0) throw new CliError('at least one image update is required');
    const images = new Map<string, string>();
    for (const spec of args.slice(split)) {
      const eq = spec.indexOf('=');
      if (eq <= 0 || eq === spec.length - 1) throw new CliError(`invalid image update: ${spec} (want CONTAINER=IMAGE)`);
      images.set(spec.slice(0, eq), spec.slice(eq + 1));
    }
    const errors: unknown[] = [];
    for (const { info, obj } of await select(ctx, args.slice(0, split), opts.selector, errors)) {
      const name = obj.metadata.name ?? '';
      const isPod = info.kind === 'Pod';
      const jobTemplate = info.kind === 'CronJob' ? (obj as CronJob).spec.jobTemplate.spec.template : undefined;
      const template = jobTemplate ?? templateOf(obj);
      const containers: Container[] | undefined = isPod ? (obj as Pod).spec.containers : template?.spec.containers;
      if (!containers) {
        errors.push(new CliError(`${objectName(info, name)} has no containers to set an image on`));
        continue;
      }
      const updated = containers.map((c) => ({ ...c }));
      let missing: string | undefined;
      for (const [container, image] of images) {
        const targets = container === '*' ? updated : updated.filter((c) => c.name === container);
        if (targets.length === 0) missing = container;
        for (const c of targets) c.image = image;
      }
      if (missing !== undefined) {
        errors.push(new CliError(`unable to find container named ${JSON.stringify(missing)}`));
        continue;
      }
      const patch = isPod
        ? { spec: { containers: updated } }
        : info.kind === 'CronJob'
          ? { spec: { jobTemplate: { spec: { template: { spec: { containers: updated } } } } } }
          : { spec: { template: { spec: { containers: updated } } } };
      await tryEach(errors, async () => {
        await ctx.client.patch(info.resource, obj.metadata.namespace ?? '', name, patch);
        ctx.out.write(`${objectName(info, name)} image updated\n`);
      });
    }
    return finish(ctx, errors);
  });
}
