/** Cache indexes several controllers share (registered once per informer, whoever asks first). */
import { type KubeObject, type Pod, controllerRef } from '@mk/api';
import type { IndexFunc } from '@mk/client';
import type { InformerLike } from '../types';

/** Objects by the uid of their controller (ownerReference with controller: true). */
export const CONTROLLER_UID_INDEX = 'controllerUid';
/** Pods by spec.nodeName. */
export const NODE_NAME_INDEX = 'nodeName';

export const byControllerUid: IndexFunc<KubeObject> = (o) => {
  const ref = controllerRef(o);
  return ref ? [ref.uid] : [];
};

export const byNodeName: IndexFunc<Pod> = (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []);

/** Adds each index unless the informer already has one of that name. */
export function ensureIndexes<T extends KubeObject>(inf: InformerLike<T>, indexers: Readonly<Record<string, IndexFunc<T>>>): void {
  for (const [name, fn] of Object.entries(indexers)) {
    try {
      inf.addIndexers({ [name]: fn });
    } catch (e) {
      if (!(e instanceof RangeError && /already exists/.test(e.message))) throw e;
    }
  }
}
