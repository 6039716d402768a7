/**
 * `mkctl rollout history|undo|restart|pause|resume` (`rollout status` is in wait.ts), as kubectl's
 * (k8s.io/kubectl pkg/cmd/rollout and pkg/polymorphichelpers): the same revisions, the same
 * writes, the same messages.
 *
 * A Deployment's history is its ReplicaSets: every ReplicaSet it controls is one revision
 * (annotation `deployment.kubernetes.io/revision`), with the change cause of its
 * `kubernetes.io/change-cause` annotation. Undoing puts an old ReplicaSet's pod template back
 * into the Deployment; the deployment controller then re-uses that ReplicaSet under the next
 * revision number. DaemonSets and StatefulSets keep their history in ControllerRevisions, which
 * mk does not have: `history` and `undo` refuse them (restart works on them).
 */
import { type DaemonSet, type Deployment, type KubeObject, type PodTemplateSpec, qualifiedResource, type ReplicaSet, type ResourceInfo, selectorFromLabelSelector, type StatefulSet } from '@mk/api';
import type { CommandContext } from '../context';
import { CliError, isConnectionError } from '../errors';
import { podTemplateText } from '../printers/describe';
import { objectName, parseResourceArgs } from '../resources';
import { tabulate } from '../tabwriter';
import { formatRFC3339, parseTime } from '../time';
import { finish, guarded, namespaceFor, OK, tryEach } from './common';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** The Deployment annotations an undo keeps from the Deployment rather than the ReplicaSet (kubectl's annotationsToSkip). */
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

interface Target {
  info: ResourceInfo;
  obj: KubeObject;
}

/**
 * The objects of `TYPE NAME…`, `TYPE/NAME…`, or `TYPE [-l SELECTOR]` (a type alone: every object
 * of it in the namespace, kubectl's ResourceTypeOrNameArgs(allowEmptySelector=true)). Objects
 * that cannot be read are added to `errors`; no server at all throws.
 */
async function selectTargets(ctx: CommandContext, args: readonly string[], selector: string | undefined, errors: unknown[]): Promise<Target[]> {
  if (args.length === 0) throw new CliError('required resource not specified');
  const out: Target[] = [];
  for (const { info, names } of parseResourceArgs(args).requests) {
    const ns = namespaceFor(info, ctx.namespace);
    if (names.length === 0) {
      const list = await ctx.client.listAll(info.resource, { namespace: ns, ...(selector ? { labelSelector: selector } : {}) });
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

/** Go's schema.GroupKind.String(): `Deployment.apps`, `Pod`. */
function groupKind(info: ResourceInfo): string {
  return info.group ? `${info.kind}.${info.group}` : info.kind;
}

/** An int64 flag as Go's flag package reads it. */
function intFlag(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    throw new CliError(`invalid argument ${JSON.stringify(value)} for "${flag}" flag: strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  }
  return Number(value);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** deploymentutil.Revision: the revision annotation, 0 without one, undefined when it is no integer. */
function revisionOf(rs: KubeObject): number | undefined {
  const v = rs.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return 0;
  return /^[+-]?\d+$/.test(v) ? Number(v) : undefined;
}

/** apimachinery's Semantic.DeepEqual on JSON: an absent field, `{}` and `[]` are the same. */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).every(isEmpty);
  return false;
}

function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ae = isEmpty(a);
  const be = isEmpty(b);
  if (ae || be) return ae && be;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return [...new Set([...Object.keys(ra), ...Object.keys(rb)])].every((k) => semanticEqual(ra[k], rb[k]));
  }
  return false;
}

function withoutHash(t: PodTemplateSpec): PodTemplateSpec {
  const c = structuredClone(t);
  if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return c;
}

/** kubectl's equalIgnoreHash. */
function equalIgnoreHash(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return semanticEqual(withoutHash(a), withoutHash(b));
}

/**
 * deploymentutil.GetAllReplicaSets: the ReplicaSets matching the Deployment's selector that it
 * controls, the old ones first, then the new one (the oldest whose template is the Deployment's).
 */
async function replicaSetsOf(ctx: CommandContext, d: Deployment): Promise<ReplicaSet[]> {
  let owned: ReplicaSet[];
  try {
    const labelSelector = selectorFromLabelSelector(d.spec.selector).toString();
    const list = await ctx.client.listAll('replicasets', { namespace: d.metadata.namespace ?? ctx.namespace, labelSelector });
    owned = (list.items as ReplicaSet[]).filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === d.metadata.uid));
  } catch (e) {
    if (isConnectionError(e)) throw e;
    throw new CliError(`failed to retrieve replica sets from deployment ${d.metadata.name ?? ''}: ${messageOf(e)}`);
  }
  const byCreation = [...owned].sort((a, b) => (parseTime(a.metadata.creationTimestamp) ?? 0) - (parseTime(b.metadata.creationTimestamp) ?? 0));
  const current = byCreation.find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
  return current ? [...owned.filter((rs) => rs !== current), current] : owned;
}

// ---- history ----

export interface HistoryOptions {
  revision?: string;
  selector?: string;
}

/** DeploymentHistoryViewer.ViewHistory: the REVISION/CHANGE-CAUSE table, or one revision's pod template. */
async function deploymentHistory(ctx: CommandContext, d: Deployment, revision: number): Promise<string> {
  const history = new Map<number, PodTemplateSpec>();
  for (const rs of await replicaSetsOf(ctx, d)) {
    const v = revisionOf(rs);
    if (v === undefined) continue;
    const template = structuredClone(rs.spec.template);
    const cause = rs.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION];
    if (cause) template.metadata = { ...(template.metadata ?? {}), annotations: { ...(template.metadata?.annotations ?? {}), [CHANGE_CAUSE_ANNOTATION]: cause } };
    history.set(v, template);
  }
  if (history.size === 0) return 'No rollout history found.';
  if (revision > 0) {
    const template = history.get(revision);
    if (!template) throw new CliError('unable to find the specified revision');
    return podTemplateText(template, { now: ctx.clock.now(), localTime: ctx.localTime });
  }
  const revisions = [...history.keys()].sort((a, b) => a - b);
  const rows = revisions.map((r) => `${r}\t${history.get(r)?.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] || '<none>'}\n`);
  return tabulate(`REVISION\tCHANGE-CAUSE\n${rows.join('')}`, { minWidth: 0, padding: 2 });
}

export async function rolloutHistory(ctx: CommandContext, args: readonly string[], opts: HistoryOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    const revision = intFlag(opts.revision, '--revision');
    if (args.length === 0) throw new CliError('required resource not specified');
    if (revision < 0) throw new CliError(`revision must be a positive integer: ${revision}`);
    const errors: unknown[] = [];
    for (const { info, obj } of await selectTargets(ctx, args, opts.selector, errors)) {
      await tryEach(errors, async () => {
        if (info.kind !== 'Deployment') throw new CliError(`no history viewer has been implemented for ${JSON.stringify(groupKind(info))}`);
        const text = await deploymentHistory(ctx, obj as Deployment, revision);
        const withRevision = revision > 0 ? `with revision #${revision}` : '';
        ctx.out.write(`${objectName(info, obj.metadata.name ?? '')} ${withRevision}\n${text}\n`);
      });
    }
    return finish(ctx, errors);
  });
}

// ---- undo ----

export interface UndoOptions {
  toRevision?: string;
  selector?: string;
}

function revisionNotFound(r: number): CliError {
  return new CliError(`unable to find specified revision ${r} in history`);
}

/** kubectl's deploymentRevision: the ReplicaSet of revision `to`, or (0) of the one before the latest. */
async function deploymentRevision(ctx: CommandContext, d: Deployment, to: number): Promise<ReplicaSet> {
  let latest: { v: number; rs?: ReplicaSet } = { v: -1 };
  let previous: { v: number; rs?: ReplicaSet } = { v: -1 };
  for (const rs of await replicaSetsOf(ctx, d)) {
    const v = revisionOf(rs);
    if (v === undefined) continue;
    if (to === 0) {
      if (latest.v < v) {
        previous = latest;
        latest = { v, rs };
      } else if (previous.v < v) {
        previous = { v, rs };
      }
    } else if (to === v) {
      return rs;
    }
  }
  if (to > 0) throw revisionNotFound(to);
  if (!previous.rs) throw new CliError(`no rollout history found for deployment ${JSON.stringify(d.metadata.name ?? '')}`);
  return previous.rs;
}

/** DeploymentRollbacker.Rollback: the operation printed after the object's name. */
async function rollbackDeployment(ctx: CommandContext, d: Deployment, to: number): Promise<string> {
  if (to < 0) throw revisionNotFound(to);
  const name = d.metadata.name ?? '';
  const rs = await deploymentRevision(ctx, d, to);
  if (d.spec.paused) throw new CliError(`you cannot rollback a paused deployment; resume it first with 'mkctl rollout resume deployment/${name}' and try again`);
  if (equalIgnoreHash(rs.spec.template, d.spec.template)) return `skipped rollback (current template already matches revision ${to})`;

  const template = withoutHash(rs.spec.template);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(rs.metadata.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;

  // kubectl sends a JSON patch replacing /spec/template and /metadata/annotations; mk writes the
  // same through an update conditional on the resourceVersion read, so nothing written in between is lost.
  const updated = structuredClone(d);
  updated.spec.template = template;
  if (Object.keys(annotations).length > 0) updated.metadata.annotations = annotations;
  else delete updated.metadata.annotations;
  try {
    await ctx.client.update('deployments', updated);
  } catch (e) {
    if (isConnectionError(e)) throw e;
    throw new CliError(`failed restoring revision ${to}: ${messageOf(e)}`);
  }
  return 'rolled back';
}

export async function rolloutUndo(ctx: CommandContext, args: readonly string[], opts: UndoOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    const to = intFlag(opts.toRevision, '--to-revision');
    if (args.length === 0) throw new CliError('required resource not specified');
    const errors: unknown[] = [];
    for (const { info, obj } of await selectTargets(ctx, args, opts.selector, errors)) {
      await tryEach(errors, async () => {
        if (info.kind !== 'Deployment') throw new CliError(`no rollbacker has been implemented for ${JSON.stringify(groupKind(info))}`);
        const result = await rollbackDeployment(ctx, obj as Deployment, to);
        ctx.out.write(`${objectName(info, obj.metadata.name ?? '')} ${result}\n`);
      });
    }
    return finish(ctx, errors);
  });
}

// ---- restart, pause, resume ----

export interface RolloutPatchOptions {
  selector?: string;
}

/**
 * What the object's patch is (kubectl's ObjectRestarter/Pauser/Resumer), or why there is none.
 * `undefined`: nothing to change (the `{}` patch).
 */
type Patcher = (info: ResourceInfo, obj: KubeObject, ctx: CommandContext) => { patch: unknown } | { error: string } | undefined;

async function patchEach(ctx: CommandContext, args: readonly string[], opts: RolloutPatchOptions, patcher: Patcher, done: string, unchanged: (name: string) => string): Promise<number> {
  return guarded(ctx, async () => {
    const errors: unknown[] = [];
    const targets = await selectTargets(ctx, args, opts.selector, errors);
    if (targets.length === 0 && errors.length === 0) {
      ctx.out.write(`No resources found in ${ctx.namespace} namespace.\n`);
      return OK;
    }
    for (const { info, obj } of targets) {
      const name = obj.metadata.name ?? '';
      const p = patcher(info, obj, ctx);
      if (p === undefined) {
        errors.push(new CliError(unchanged(name)));
        continue;
      }
      if ('error' in p) {
        errors.push(new CliError(`${qualifiedResource(info)} ${JSON.stringify(name)} ${p.error}`));
        continue;
      }
      try {
        await ctx.client.patch(info.resource, obj.metadata.namespace ?? '', name, p.patch);
        ctx.out.write(`${objectName(info, name)} ${done}\n`);
      } catch (e) {
        if (isConnectionError(e)) throw e;
        errors.push(new CliError(`failed to patch: ${messageOf(e)}`));
      }
    }
    return finish(ctx, errors);
  });
}

function templateOf(info: ResourceInfo, obj: KubeObject): PodTemplateSpec | undefined {
  switch (info.kind) {
    case 'Deployment':
      return (obj as Deployment).spec.template;
    case 'DaemonSet':
      return (obj as DaemonSet).spec.template;
    case 'StatefulSet':
      return (obj as StatefulSet).spec.template;
    default:
      return undefined;
  }
}

const restarter: Patcher = (info, obj, ctx) => {
  const template = templateOf(info, obj);
  if (!template) return { error: 'restarting is not supported' };
  if (info.kind === 'Deployment' && (obj as Deployment).spec.paused) return { error: "can't restart paused deployment (run rollout resume first)" };
  const now = formatRFC3339(ctx.clock.now(), ctx.localTime);
  if (template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === now) return undefined;
  return { patch: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: now } } } } } };
};

const pauser: Patcher = (info, obj) => {
  if (info.kind !== 'Deployment') return { error: 'pausing is not supported' };
  if ((obj as Deployment).spec.paused) return { error: 'is already paused' };
  return { patch: { spec: { paused: true } } };
};

const resumer: Patcher = (info, obj) => {
  if (info.kind !== 'Deployment') return { error: 'resuming is not supported' };
  if (!(obj as Deployment).spec.paused) return { error: 'is not paused' };
  return { patch: { spec: { paused: null } } };
};

/** `rollout restart`: a new `kubectl.kubernetes.io/restartedAt` in the pod template rolls every pod. */
export async function rolloutRestart(ctx: CommandContext, args: readonly string[], opts: RolloutPatchOptions = {}): Promise<number> {
  return patchEach(ctx, args, opts, restarter, 'restarted', (name) => `failed to create patch for ${name}: if restart has already been triggered within the past second, please wait before attempting to trigger another`);
}

export async function rolloutPause(ctx: CommandContext, args: readonly string[], opts: RolloutPatchOptions = {}): Promise<number> {
  return patchEach(ctx, args, opts, pauser, 'paused', (name) => `failed to create patch for ${name}: empty patch`);
}

export async function rolloutResume(ctx: CommandContext, args: readonly string[], opts: RolloutPatchOptions = {}): Promise<number> {
  return patchEach(ctx, args, opts, resumer, 'resumed', (name) => `failed to create patch for ${name}: empty patch`);
}
