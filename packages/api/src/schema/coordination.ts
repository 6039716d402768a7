import type { Lease, LeaseSpec } from '../types/coordination';
import { int, obj, req, str, time } from './dsl';
import { objectMetaSchema } from './meta';

export const leaseSchema = obj<Lease>('Lease', {
  apiVersion: req(str()),
  kind: req(str()),
  metadata: objectMetaSchema,
  spec: obj<LeaseSpec>('LeaseSpec', {
    holderIdentity: str(),
    leaseDurationSeconds: int(),
    acquireTime: time(),
    renewTime: time(),
    leaseTransitions: int(),
  }),
});
