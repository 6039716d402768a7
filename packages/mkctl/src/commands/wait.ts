/**
 * `mkctl wait --for=condition=Ready|delete|jsonpath='{...}'=VALUE TYPE/NAME…` and
 * `mkctl rollout status deployment|daemonset|statefulset NAME`: kubectl's waiting commands, by
 * polling the objects (every half second on the injected clock), with kubectl's messages.
 */
import type { DaemonSet, Deployment, KubeObject, ResourceInfo, StatefulSet } from '@mk/api';
import { ApiError } from '@mk/client';
import type { CommandContext } from '../context';
import { CliError, isConnectionError } from '../errors';
import { JsonPath } from '../printers/jsonpath';
import { objectName, parseResourceArgs } from '../resources';
import { FAILED, finish, guarded, namespaceFor, OK } from './common';
import { parseDuration } from './delete';

const POLL_MS = 500;

type Condition = { kind: 'delete' } | { kind: 'condition'; type: string; value: string } | { kind: 'jsonpath'; path: JsonPath; value: string | undefined };

export function parseFor(spec: string | undefined): Condition {
  if (!spec) throw new CliError('--for must be specified: --for=delete, --for=condition=COND[=VALUE] or --for=jsonpath=\'{JSONPATH}\'=VALUE');
  if (spec.toLowerCase() === 'delete') return { kind: 'delete' };
  if (spec.startsWith('condition=')) {
    const rest = spec.slice('condition='.length);
    const eq = rest.indexOf('=');
    const type = eq >= 0 ? rest.slice(0, eq) : rest;
    if (type === '') throw new CliError('--for=condition=CONDITION: the condition is missing');
    return { kind: 'condition', type, value: eq >= 0 ? rest.slice(eq + 1) : 'true' };
  }
  if (spec.startsWith('jsonpath=')) {
    const rest = spec.slice('jsonpath='.length);
    const close = rest.lastIndexOf('}');
    const expr = close >= 0 ? rest.slice(0, close + 1) : rest;
    const after = close >= 0 ? rest.slice(close + 1) : '';
    const value = after.startsWith('=') ? after.slice(1) : undefined;
    return { kind: 'jsonpath', path: new JsonPath(expr), value };
  }
  throw new CliError(`unrecognized condition: ${JSON.stringify(spec)}`);
}

function conditionMet(obj: KubeObject, c: Exclude<Condition, { kind: 'delete' }>): boolean {
  if (c.kind === 'jsonpath') {
    const got = c.path.execute(obj);
    return c.value === undefined ? got !== '' : got === c.value;
  }
  const conditions = (obj as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
  return conditions.some((x) => x.type.toLowerCase() === c.type.toLowerCase() && x.status.toLowerCase() === c.value.toLowerCase());
}

function sleep(ctx: CommandContext, ms: number): Promise<'slept' | 'interrupted'> {
  return new Promise((resolve) => {
    const cancel = ctx.clock.setTimer(ms, () => resolve('slept'));
    void ctx.interrupted.then(() => {
      cancel();
      resolve('interrupted');
    });
  });
}

export interface WaitOptions {
  for?: string;
  timeout?: string;
  selector?: string;
  all?: boolean;
  allNamespaces?: boolean;
}

export async function wait(ctx: CommandContext, args: readonly string[], opts: WaitOptions): Promise<number> {
  return guarded(ctx, async () => {
    const cond = parseFor(opts.for);
    const timeoutMs = parseDuration(opts.timeout ?? '30s', '--timeout');
    if (args.length === 0) throw new CliError('resource(s) were not provided');
    const { requests } = parseResourceArgs(args);
    const targets: { info: ResourceInfo; namespace: string; name: string }[] = [];
    for (const { info, names } of requests) {
      const ns = opts.allNamespaces ? '' : namespaceFor(info, ctx.namespace);
      if (names.length > 0) {
        for (const name of names) targets.push({ info, namespace: ns, name });
        continue;
      }
      if (!opts.selector && !opts.all) throw new CliError('resource(s) were provided, but no name was specified');
      const list = await ctx.client.listAll(info.resource, { namespace: ns, ...(opts.selector ? { labelSelector: opts.selector } : {}) });
      for (const o of list.items) targets.push({ info, namespace: namespaceFor(info, o.metadata.namespace ?? ''), name: o.metadata.name ?? '' });
    }
    if (targets.length === 0) throw new CliError('no matching resources found');

    const deadline = ctx.clock.now() + timeoutMs;
    const errors: unknown[] = [];
    for (const t of targets) {
      let uid: string | undefined;
      for (;;) {
        let obj: KubeObject | undefined;
        try {
          obj = await ctx.client.get(t.info.resource, t.namespace, t.name);
        } catch (e) {
          if (isConnectionError(e)) throw e;
          if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
          if (cond.kind !== 'delete' && uid === undefined) {
            errors.push(e);
            break;
          }
        }
        uid ??= obj?.metadata.uid ?? '';
        const met = cond.kind === 'delete' ? obj === undefined || obj.metadata.uid !== uid : obj !== undefined && conditionMet(obj, cond);
        if (met) {
          ctx.out.write(`${objectName(t.info, t.name)} condition met\n`);
          break;
        }
        if (ctx.clock.now() >= deadline) {
          errors.push(new CliError(`timed out waiting for the condition on ${t.info.resource}/${t.name}`));
          break;
        }
        if ((await sleep(ctx, Math.min(POLL_MS, Math.max(1, deadline - ctx.clock.now())))) === 'interrupted') return FAILED;
      }
    }
    return finish(ctx, errors);
  });
}

/** kubectl's rollout status text of an object, and whether the rollout is done. */
export function rolloutStatus(info: ResourceInfo, obj: KubeObject): { text: string; done: boolean } {
  const name = obj.metadata.name ?? '';
  const generation = obj.metadata.generation ?? 0;
  switch (info.kind) {
    case 'Deployment': {
      const d = obj as Deployment;
      const st = d.status ?? {};
      if (generation > (st.observedGeneration ?? 0)) return { text: 'Waiting for deployment spec update to be observed...\n', done: false };
      const progressing = st.conditions?.find((c) => c.type === 'Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded') throw new CliError(`deployment ${JSON.stringify(name)} exceeded its progress deadline`);
      const replicas = d.spec.replicas ?? 1;
      const updated = st.updatedReplicas ?? 0;
      if (updated < replicas) return { text: `Waiting for deployment ${JSON.stringify(name)} rollout to finish: ${updated} out of ${replicas} new replicas have been updated...\n`, done: false };
      if ((st.replicas ?? 0) > updated) return { text: `Waiting for deployment ${JSON.stringify(name)} rollout to finish: ${(st.replicas ?? 0) - updated} old replicas are pending termination...\n`, done: false };
      if ((st.availableReplicas ?? 0) < updated) return { text: `Waiting for deployment ${JSON.stringify(name)} rollout to finish: ${st.availableReplicas ?? 0} of ${updated} updated replicas are available...\n`, done: false };
      return { text: `deployment ${JSON.stringify(name)} successfully rolled out\n`, done: true };
    }
    case 'DaemonSet': {
      const ds = obj as DaemonSet;
      if (ds.spec.updateStrategy?.type && ds.spec.updateStrategy.type !== 'RollingUpdate') throw new CliError('rollout status is only available for RollingUpdate strategy type');
      const st = ds.status;
      if (generation > (st?.observedGeneration ?? 0)) return { text: 'Waiting for daemon set spec update to be observed...\n', done: false };
      const desired = st?.desiredNumberScheduled ?? 0;
      if ((st?.updatedNumberScheduled ?? 0) < desired) return { text: `Waiting for daemon set ${JSON.stringify(name)} rollout to finish: ${st?.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...\n`, done: false };
      if ((st?.numberAvailable ?? 0) < desired) return { text: `Waiting for daemon set ${JSON.stringify(name)} rollout to finish: ${st?.numberAvailable ?? 0} of ${desired} updated pods are available...\n`, done: false };
      return { text: `daemon set ${JSON.stringify(name)} successfully rolled out\n`, done: true };
    }
    case 'StatefulSet': {
      const ss = obj as StatefulSet;
      const st = ss.status;
      if (!st?.observedGeneration || generation > st.observedGeneration) return { text: 'Waiting for statefulset spec update to be observed...\n', done: false };
      const replicas = ss.spec.replicas ?? 1;
      if ((st.readyReplicas ?? 0) < replicas) return { text: `Waiting for ${replicas - (st.readyReplicas ?? 0)} pods to be ready...\n`, done: false };
      const ru = ss.spec.updateStrategy?.rollingUpdate;
      if ((ss.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && ru) {
        if (ru.partition !== undefined && (st.updatedReplicas ?? 0) < replicas - ru.partition) {
          return { text: `Waiting for partitioned roll out to finish: ${st.updatedReplicas ?? 0} out of ${replicas - ru.partition} new pods have been updated...\n`, done: false };
        }
        return { text: `partitioned roll out complete: ${st.updatedReplicas ?? 0} new pods have been updated...\n`, done: true };
      }
      if (st.updateRevision !== st.currentRevision) return { text: `waiting for statefulset rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision ?? ''}...\n`, done: false };
      return { text: `statefulset rolling update complete ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision ?? ''}...\n`, done: true };
    }
    default:
      throw new CliError(`no status viewer has been implemented for ${info.kind}`);
  }
}

export interface RolloutStatusOptions {
  timeout?: string;
  watch?: boolean;
}

export async function rolloutStatusCommand(ctx: CommandContext, args: readonly string[], opts: RolloutStatusOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    if (args.length === 0) throw new CliError('Required resource not specified.');
    const { requests } = parseResourceArgs(args);
    const targets = requests.flatMap(({ info, names }) => names.map((name) => ({ info, name })));
    if (targets.length !== 1) throw new CliError('rollout status is only supported on individual resources, one at a time');
    const { info, name } = targets[0]!;
    const timeoutMs = opts.timeout === undefined ? 0 : parseDuration(opts.timeout, '--timeout');
    const deadline = timeoutMs > 0 ? ctx.clock.now() + timeoutMs : Infinity;
    let last = '';
    for (;;) {
      const obj = await ctx.client.get(info.resource, namespaceFor(info, ctx.namespace), name);
      const { text, done } = rolloutStatus(info, obj);
      if (text !== last) ctx.out.write(text);
      last = text;
      if (done || opts.watch === false) return OK;
      if (ctx.clock.now() >= deadline) throw new CliError('timed out waiting for the condition');
      if ((await sleep(ctx, Math.min(POLL_MS, Math.max(1, deadline - ctx.clock.now())))) === 'interrupted') return FAILED;
    }
  });
}
