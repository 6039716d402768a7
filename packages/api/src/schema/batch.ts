import type * as t from '../types/batch';
import { arr, bool, int, obj, oneOf, req, str, time } from './dsl';
import { conditionStatus, labelSelectorSchema, objectMetaSchema, objectReferenceSchema } from './meta';
import { podTemplateSpecSchema } from './pod';

const top = { apiVersion: req(str()), kind: req(str()), metadata: objectMetaSchema };

const jobSpec = obj<t.JobSpec>('JobSpec', {
  parallelism: int(),
  completions: int(),
  activeDeadlineSeconds: int(),
  backoffLimit: int(),
  selector: labelSelectorSchema,
  manualSelector: bool(),
  template: req(podTemplateSpecSchema),
  ttlSecondsAfterFinished: int(),
  completionMode: oneOf('NonIndexed', 'Indexed'),
  suspend: bool(),
});

export const jobSchema = obj<t.Job>('Job', {
  ...top,
  spec: req(jobSpec),
  status: obj<t.JobStatus>('JobStatus', {
    conditions: arr(
      obj<t.JobCondition>('JobCondition', {
        type: req(str()),
        status: conditionStatus(),
        lastProbeTime: time(),
        lastTransitionTime: time(),
        reason: str(),
        message: str(),
      }),
    ),
    startTime: time(),
    completionTime: time(),
    active: int(),
    succeeded: int(),
    failed: int(),
    ready: int(),
    completedIndexes: str(),
  }),
});

export const cronJobSchema = obj<t.CronJob>('CronJob', {
  ...top,
  spec: req(
    obj<t.CronJobSpec>('CronJobSpec', {
      schedule: req(str()),
      startingDeadlineSeconds: int(),
      concurrencyPolicy: oneOf('Allow', 'Forbid', 'Replace'),
      suspend: bool(),
      jobTemplate: req(obj<t.JobTemplateSpec>('JobTemplateSpec', { metadata: objectMetaSchema, spec: req(jobSpec) })),
      successfulJobsHistoryLimit: int(),
      failedJobsHistoryLimit: int(),
    }),
  ),
  status: obj<t.CronJobStatus>('CronJobStatus', {
    active: arr(objectReferenceSchema),
    lastScheduleTime: time(),
    lastSuccessfulTime: time(),
  }),
});
