/**
 * `mkctl create -f FILE|DIR|-` (each object created; AlreadyExists is an error, unlike apply),
 * `mkctl create namespace NAME` and `mkctl create deployment NAME --image=IMAGE [--replicas=N] [--port=P]`.
 */
import type { Deployment, KubeObject, Namespace, ResourceInfo } from '@mk/api';
import type { CommandContext } from '../context';
import { CliError, isConnectionError, withSource } from '../errors';
import { manifestErrorText, readManifests } from '../manifests';
import { infoOf, objectName, resolveType } from '../resources';
import { dryRunSuffix, parseDryRun, placeInNamespace, withLastApplied } from './apply';
import { finish, guarded, OK } from './common';

export interface CreateOptions {
  filename?: string[];
  recursive?: boolean;
  output?: string;
  saveConfig?: boolean;
  dryRun?: string;
}

async function createObject(ctx: CommandContext, info: ResourceInfo, obj: KubeObject, opts: CreateOptions): Promise<void> {
  const dryRun = parseDryRun(opts.dryRun);
  const o = opts.saveConfig ? withLastApplied(obj) : obj;
  const ns = o.metadata.namespace ?? '';
  if (dryRun !== 'client') await ctx.client.create(info.resource, o, { namespace: ns, ...(dryRun === 'server' ? { dryRun: true } : {}) });
  const name = objectName(info, o.metadata.name ?? '');
  ctx.out.write(opts.output === 'name' ? `${name}\n` : `${name} created${dryRunSuffix(dryRun)}\n`);
}

export async function createFromFiles(ctx: CommandContext, opts: CreateOptions): Promise<number> {
  return guarded(ctx, async () => {
    if (!opts.filename?.length) throw new CliError('must specify one of -f and -k');
    const entries = await readManifests(ctx, opts.filename, opts.recursive === true);
    const errors: unknown[] = [];
    let objects = 0;
    for (const entry of entries) {
      if (!entry.ok) {
        errors.push(new CliError(manifestErrorText(entry)));
        continue;
      }
      objects++;
      try {
        const info = infoOf(entry.object);
        await createObject(ctx, info, placeInNamespace(ctx, info, entry.object), opts);
      } catch (e) {
        if (isConnectionError(e)) throw e;
        errors.push(withSource('creating', entry.fileName, e));
      }
    }
    if (objects === 0 && errors.length === 0) throw new CliError('no objects passed to create');
    return finish(ctx, errors);
  });
}

export async function createNamespace(ctx: CommandContext, name: string, opts: CreateOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    await createObject(ctx, resolveType('namespaces'), ns, opts);
    return OK;
  });
}

export interface CreateDeploymentOptions extends CreateOptions {
  image?: string[];
  replicas?: string;
  port?: string;
}

/** kubectl's container name for an image: `luksa/kubia:v1` → `kubia`. */
export function containerNameFor(image: string): string {
  const base = image.split('/').pop() ?? image;
  const name = base.split(/[:@]/)[0] ?? base;
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'container';
}

export async function createDeployment(ctx: CommandContext, name: string, opts: CreateDeploymentOptions): Promise<number> {
  return guarded(ctx, async () => {
    const images = opts.image ?? [];
    if (images.length === 0) throw new CliError('required flag(s) "image" not set');
    const replicas = opts.replicas === undefined ? 1 : Number(opts.replicas);
    if (!Number.isInteger(replicas)) throw new CliError(`invalid argument "${opts.replicas}" for "-r, --replicas" flag: strconv.ParseInt: parsing "${opts.replicas}": invalid syntax`);
    const port = opts.port === undefined ? undefined : Number(opts.port);
    if (port !== undefined && !Number.isInteger(port)) throw new CliError(`invalid argument "${opts.port}" for "--port" flag`);
    if (port !== undefined && images.length > 1) throw new CliError('cannot expose one port for several containers');
    const labels = { app: name };
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ctx.namespace, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: images.map((image) => ({ name: containerNameFor(image), image, ...(port !== undefined ? { ports: [{ containerPort: port }] } : {}) })) },
        },
      },
    };
    await createObject(ctx, resolveType('deployments'), d, opts);
    return OK;
  });
}
