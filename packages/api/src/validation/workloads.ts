/** Validation of workload kinds: Deployment, ReplicaSet, DaemonSet, StatefulSet, Job, CronJob, HPA, Lease. */
import { CronSchedule } from '../cron';
import { GoLiteral, goLabelSelector } from '../errors';
import { isPercent } from '../intstr';
import { selectorFromLabelSelector } from '../labels';
import { jsonEqual } from '../merge-patch';
import type {
  CronJob,
  DaemonSet,
  Deployment,
  HorizontalPodAutoscaler,
  HPAScalingRules,
  IntOrString,
  Job,
  JobSpec,
  LabelSelector,
  Lease,
  MetricTarget,
  PodTemplateSpec,
  ReplicaSet,
  StatefulSet,
} from '../types';
import {
  type Errs,
  E,
  FieldPath,
  immutable,
  nonNegative,
  positive,
  validateLabelSelector,
  validateNonEmptySelector,
} from './common';
import { validatePodTemplate } from './pod';
import { validatePVCSpec } from './core';

const spec = FieldPath.of('spec');

/** The template's labels must match the selector (when the selector is usable). */
function selectorMatchesTemplate(selector: LabelSelector | undefined, template: PodTemplateSpec | undefined, path: FieldPath): Errs {
  if (!selector || !template) return [];
  let matches: boolean;
  try {
    const sel = selectorFromLabelSelector(selector);
    if (sel.isEverything()) return [];
    matches = sel.matches(template.metadata?.labels);
  } catch {
    return []; // an invalid selector is reported by validateLabelSelector
  }
  const labels = template.metadata?.labels;
  return matches ? [] : [E.invalid(path.child('metadata', 'labels'), labels ?? new GoLiteral('map[string]string(nil)'), '`selector` does not match template `labels`')];
}

function restartPolicyIn(template: PodTemplateSpec | undefined, path: FieldPath, allowed: readonly string[]): Errs {
  const policy = template?.spec?.restartPolicy;
  const p = path.child('spec', 'restartPolicy');
  if (!policy) return [E.required(p, `valid values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`)];
  return allowed.includes(policy) ? [] : [E.notSupported(p, policy, allowed)];
}

/** The template of a ReplicaSet-like controller (Deployment, ReplicaSet, DaemonSet, StatefulSet). */
function validateControllerTemplate(template: PodTemplateSpec | undefined, selector: LabelSelector | undefined, path: FieldPath): Errs {
  if (!template) return [];
  const errs = validatePodTemplate(template, path);
  errs.push(...selectorMatchesTemplate(selector, template, path));
  errs.push(...restartPolicyIn(template, path, ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(E.forbidden(path.child('spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  return errs;
}

const PERCENT_MSG =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** An int ≥ 0 or a percentage ("25%"). */
function validateIntOrPercent(v: IntOrString | undefined, path: FieldPath): Errs {
  if (v === undefined) return [];
  if (typeof v === 'number') return nonNegative(v, path);
  return isPercent(v) ? [] : [E.invalid(path, v, PERCENT_MSG)];
}

function notMoreThan100Percent(v: IntOrString | undefined, path: FieldPath): Errs {
  if (typeof v !== 'string' || !isPercent(v)) return [];
  return Number(v.slice(0, -1)) > 100 ? [E.invalid(path, v, 'must not be greater than 100%')] : [];
}

const isZero = (v: IntOrString | undefined) => v === 0 || v === '0%';

function validateReplicated(
  s: { replicas?: number; selector?: LabelSelector; template?: PodTemplateSpec; minReadySeconds?: number },
  what: string,
): Errs {
  const errs = nonNegative(s.replicas, spec.child('replicas'));
  errs.push(...validateNonEmptySelector(s.selector, spec.child('selector'), what));
  errs.push(...validateLabelSelector(s.selector, spec.child('selector')));
  errs.push(...validateControllerTemplate(s.template, s.selector, spec.child('template')));
  errs.push(...nonNegative(s.minReadySeconds, spec.child('minReadySeconds')));
  return errs;
}

function selectorImmutable(o: LabelSelector | undefined, n: LabelSelector | undefined): Errs {
  return immutable(o, n, spec.child('selector'), goLabelSelector(n));
}

// ---- Deployment ----

export function validateDeployment(d: Deployment): Errs {
  const s = d.spec;
  if (!s) return [];
  const errs = validateReplicated(s, 'deployment');
  const strategy = s.strategy;
  if (strategy?.type === 'Recreate' && strategy.rollingUpdate) {
    errs.push(E.forbidden(spec.child('strategy', 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"));
  }
  const ru = strategy?.rollingUpdate;
  if (ru && strategy?.type !== 'Recreate') {
    const p = spec.child('strategy', 'rollingUpdate');
    errs.push(...validateIntOrPercent(ru.maxUnavailable, p.child('maxUnavailable')));
    errs.push(...validateIntOrPercent(ru.maxSurge, p.child('maxSurge')));
    errs.push(...notMoreThan100Percent(ru.maxUnavailable, p.child('maxUnavailable')));
    if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
      errs.push(E.invalid(p.child('maxUnavailable'), ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  errs.push(...nonNegative(s.revisionHistoryLimit, spec.child('revisionHistoryLimit')));
  errs.push(...nonNegative(s.progressDeadlineSeconds, spec.child('progressDeadlineSeconds')));
  if (s.progressDeadlineSeconds !== undefined && s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
    errs.push(E.invalid(spec.child('progressDeadlineSeconds'), s.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export function validateDeploymentUpdate(o: Deployment, n: Deployment): Errs {
  return selectorImmutable(o.spec?.selector, n.spec?.selector);
}

// ---- ReplicaSet ----

export function validateReplicaSet(rs: ReplicaSet): Errs {
  return rs.spec ? validateReplicated(rs.spec, 'replicaset') : [];
}

export function validateReplicaSetUpdate(o: ReplicaSet, n: ReplicaSet): Errs {
  return selectorImmutable(o.spec?.selector, n.spec?.selector);
}

// ---- DaemonSet ----

export function validateDaemonSet(ds: DaemonSet): Errs {
  const s = ds.spec;
  if (!s) return [];
  const errs = validateReplicated(s, 'daemonset');
  const ru = s.updateStrategy?.rollingUpdate;
  if (ru && s.updateStrategy?.type === 'RollingUpdate') {
    const p = spec.child('updateStrategy', 'rollingUpdate');
    errs.push(...validateIntOrPercent(ru.maxUnavailable, p.child('maxUnavailable')));
    errs.push(...validateIntOrPercent(ru.maxSurge, p.child('maxSurge')));
    errs.push(...notMoreThan100Percent(ru.maxUnavailable, p.child('maxUnavailable')));
    errs.push(...notMoreThan100Percent(ru.maxSurge, p.child('maxSurge')));
    const surge = ru.maxSurge ?? 0;
    const unavailable = ru.maxUnavailable ?? 0;
    if (isZero(unavailable) && isZero(surge)) {
      errs.push(E.invalid(p.child('maxUnavailable'), unavailable, 'may not be 0 when `maxSurge` is 0'));
    } else if (!isZero(unavailable) && !isZero(surge)) {
      errs.push(E.invalid(p.child('maxUnavailable'), unavailable, 'may not be set when maxSurge is non-zero'));
    }
  }
  errs.push(...nonNegative(s.revisionHistoryLimit, spec.child('revisionHistoryLimit')));
  return errs;
}

export function validateDaemonSetUpdate(o: DaemonSet, n: DaemonSet): Errs {
  return selectorImmutable(o.spec?.selector, n.spec?.selector);
}

// ---- StatefulSet ----

export function validateStatefulSet(ss: StatefulSet): Errs {
  const s = ss.spec;
  if (!s) return [];
  const errs = validateReplicated(s, 'statefulset');
  const us = s.updateStrategy;
  if (us?.type === 'OnDelete' && us.rollingUpdate) {
    errs.push(E.invalid(spec.child('updateStrategy', 'rollingUpdate'), us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  }
  errs.push(...nonNegative(us?.rollingUpdate?.partition, spec.child('updateStrategy', 'rollingUpdate', 'partition')));
  errs.push(...nonNegative(s.revisionHistoryLimit, spec.child('revisionHistoryLimit')));
  (s.volumeClaimTemplates ?? []).forEach((t, i) => {
    const p = spec.child('volumeClaimTemplates').index(i);
    if (!t.metadata?.name) errs.push(E.required(p.child('metadata', 'name')));
    if (t.spec) errs.push(...validatePVCSpec(t.spec, p.child('spec')));
  });
  return errs;
}

export function validateStatefulSetUpdate(o: StatefulSet, n: StatefulSet): Errs {
  if (!o.spec || !n.spec) return [];
  const strip = (s: StatefulSet['spec']) => {
    const { replicas: _r, template: _t, updateStrategy: _u, persistentVolumeClaimRetentionPolicy: _p, minReadySeconds: _m, ...rest } = s;
    return rest;
  };
  if (jsonEqual(strip(o.spec), strip(n.spec))) return [];
  return [
    E.forbidden(
      spec,
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

// ---- Job, CronJob ----

function validateJobSpec(s: JobSpec, path: FieldPath): Errs {
  const errs: Errs = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    errs.push(...nonNegative(s[f], path.child(f)));
  }
  if (s.manualSelector === true && !s.selector) errs.push(E.required(path.child('selector')));
  errs.push(...validateLabelSelector(s.selector, path.child('selector')));
  if (s.completionMode === 'Indexed' && s.completions === undefined) {
    errs.push(E.required(path.child('completions'), 'when completion mode is Indexed'));
  }
  if (s.template) {
    const tp = path.child('template');
    errs.push(...validatePodTemplate(s.template, tp));
    errs.push(...selectorMatchesTemplate(s.selector, s.template, tp));
    errs.push(...restartPolicyIn(s.template, tp, ['OnFailure', 'Never']));
  }
  return errs;
}

export function validateJob(job: Job): Errs {
  return job.spec ? validateJobSpec(job.spec, spec) : [];
}

export function validateJobUpdate(o: Job, n: Job): Errs {
  if (!o.spec || !n.spec) return [];
  const errs = selectorImmutable(o.spec.selector, n.spec.selector);
  errs.push(...immutable(o.spec.completions, n.spec.completions, spec.child('completions')));
  errs.push(...immutable(o.spec.completionMode, n.spec.completionMode, spec.child('completionMode')));
  if (!jsonEqual(o.spec.template, n.spec.template)) {
    errs.push(E.invalid(spec.child('template'), new GoLiteral('core.PodTemplateSpec{...}'), 'field is immutable'));
  }
  return errs;
}

export const CRONJOB_NAME_MAX = 52;

export function validateCronJob(cj: CronJob): Errs {
  const errs: Errs = [];
  const name = cj.metadata.name;
  if (name && name.length > CRONJOB_NAME_MAX) {
    errs.push(E.invalid(FieldPath.of('metadata', 'name'), name, `must be no more than ${CRONJOB_NAME_MAX} characters`));
  }
  const s = cj.spec;
  if (!s) return errs;
  if (s.schedule) {
    try {
      CronSchedule.parse(s.schedule);
    } catch (e) {
      errs.push(E.invalid(spec.child('schedule'), s.schedule, (e as Error).message));
    }
  }
  errs.push(...nonNegative(s.startingDeadlineSeconds, spec.child('startingDeadlineSeconds')));
  errs.push(...nonNegative(s.successfulJobsHistoryLimit, spec.child('successfulJobsHistoryLimit')));
  errs.push(...nonNegative(s.failedJobsHistoryLimit, spec.child('failedJobsHistoryLimit')));
  if (s.jobTemplate?.spec) errs.push(...validateJobSpec(s.jobTemplate.spec, spec.child('jobTemplate', 'spec')));
  return errs;
}

// ---- HorizontalPodAutoscaler ----

function validateTarget(t: MetricTarget | undefined, path: FieldPath, resource: boolean): Errs {
  const errs: Errs = [];
  if (!t) return errs;
  const field = t.type === 'Utilization' ? 'averageUtilization' : t.type === 'AverageValue' ? 'averageValue' : 'value';
  if (t.type === 'Utilization' && !resource) errs.push(E.notSupported(path.child('type'), t.type, ['AverageValue', 'Value']));
  if (t[field] === undefined) errs.push(E.required(path.child(field), `must set ${field} when type is ${t.type}`));
  for (const other of ['averageUtilization', 'averageValue', 'value'] as const) {
    if (other !== field && t[other] !== undefined) errs.push(E.forbidden(path.child(other), `may not be set when type is ${t.type}`));
  }
  errs.push(...positive(t.averageUtilization, path.child('averageUtilization')));
  return errs;
}

function validateScalingRules(r: HPAScalingRules | undefined, path: FieldPath): Errs {
  const errs: Errs = [];
  if (!r) return errs;
  const w = r.stabilizationWindowSeconds;
  if (w !== undefined && (w < 0 || w > 3600)) {
    errs.push(E.invalid(path.child('stabilizationWindowSeconds'), w, w < 0 ? 'must be greater than or equal to zero' : 'must be less than or equal to 3600'));
  }
  (r.policies ?? []).forEach((p, i) => {
    const pp = path.child('policies').index(i);
    if (p.value !== undefined && p.value <= 0) errs.push(E.invalid(pp.child('value'), p.value, 'must be greater than zero'));
    if (p.periodSeconds !== undefined && (p.periodSeconds <= 0 || p.periodSeconds > 1800)) {
      errs.push(E.invalid(pp.child('periodSeconds'), p.periodSeconds, 'must be greater than zero and less than or equal to 1800'));
    }
  });
  return errs;
}

const supportedMetricTypes = ['Resource', 'Pods'];

export function validateHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): Errs {
  const errs: Errs = [];
  const s = hpa.spec;
  if (!s) return errs;
  if (s.minReplicas !== undefined && s.minReplicas < 1) {
    errs.push(E.invalid(spec.child('minReplicas'), s.minReplicas, 'must be greater than or equal to 1'));
  }
  if (s.maxReplicas !== undefined) {
    if (s.maxReplicas < 1) errs.push(E.invalid(spec.child('maxReplicas'), s.maxReplicas, 'must be greater than 0'));
    else if (s.minReplicas !== undefined && s.maxReplicas < s.minReplicas) {
      errs.push(E.invalid(spec.child('maxReplicas'), s.maxReplicas, 'must be greater than or equal to `minReplicas`'));
    }
  }
  (s.metrics ?? []).forEach((m, i) => {
    const p = spec.child('metrics').index(i);
    if (m.type && !supportedMetricTypes.includes(m.type)) {
      errs.push(E.notSupported(p.child('type'), m.type, supportedMetricTypes));
      return;
    }
    const own = m.type === 'Resource' ? 'resource' : 'pods';
    if (m.type && m[own] === undefined) errs.push(E.required(p.child(own), 'must populate information for the given metric source'));
    for (const other of ['resource', 'pods'] as const) {
      if (other !== own && m[other] !== undefined) errs.push(E.forbidden(p.child(other), 'must populate the given metric source only'));
    }
    if (m.type === 'Resource' && m.resource) {
      const name = m.resource.name;
      if (name && name !== 'cpu' && name !== 'memory') errs.push(E.notSupported(p.child('resource', 'name'), name, ['cpu', 'memory']));
      errs.push(...validateTarget(m.resource.target, p.child('resource', 'target'), true));
    }
    if (m.type === 'Pods' && m.pods) errs.push(...validateTarget(m.pods.target, p.child('pods', 'target'), false));
  });
  errs.push(...validateScalingRules(s.behavior?.scaleUp, spec.child('behavior', 'scaleUp')));
  errs.push(...validateScalingRules(s.behavior?.scaleDown, spec.child('behavior', 'scaleDown')));
  return errs;
}

// ---- Lease ----

export function validateLease(lease: Lease): Errs {
  const errs: Errs = [];
  const s = lease.spec;
  if (!s) return errs;
  errs.push(...positive(s.leaseDurationSeconds, spec.child('leaseDurationSeconds')));
  errs.push(...nonNegative(s.leaseTransitions, spec.child('leaseTransitions')));
  return errs;
}
