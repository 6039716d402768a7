/**
 * Kubernetes' ControllerRefManager: which of the objects a controller sees are its own. An object
 * controlled by another owner is left alone; one it controls but whose labels stopped matching is
 * released (its owner reference removed); an orphan that matches is adopted (an owner reference
 * added) — unless the controller is being deleted, or a fresh read shows it is.
 */
import { type KubeObject, type OwnerReference, controllerRef, newOwnerRef } from '@mk/api';
import { isNotFound } from '@mk/client';
import type { ControllerClient } from '../types';

export interface ClaimOptions<T extends KubeObject> {
  owner: KubeObject;
  objects: readonly T[];
  /** The owner's selector applied to an object. */
  matches: (obj: T) => boolean;
  /** Resource (plural) of the objects, for the patches. */
  resource: string;
  client: ControllerClient;
  /** A fresh check that the owner still exists (same uid) and is not being deleted. */
  canAdopt: () => Promise<boolean>;
}

/** The merge patch that sets ownerReferences, conditional on the version the caller saw. */
export function ownerRefsPatch(obj: KubeObject, refs: readonly OwnerReference[]): unknown {
  return { metadata: { resourceVersion: obj.metadata.resourceVersion, ownerReferences: refs.length > 0 ? refs : null } };
}

/** Returns the objects the owner controls after adoption and release. Throws the first write error. */
export async function claimObjects<T extends KubeObject>(o: ClaimOptions<T>): Promise<T[]> {
  const claimed: T[] = [];
  const errors: unknown[] = [];
  const ownerUid = o.owner.metadata.uid;
  const ownerDeleting = o.owner.metadata.deletionTimestamp !== undefined;
  let adoptable: Promise<boolean> | undefined;
  for (const obj of o.objects) {
    const ref = controllerRef(obj);
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (o.matches(obj)) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      try {
        const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
        await o.client.patch(o.resource, obj.metadata.namespace ?? '', obj.metadata.name ?? '', ownerRefsPatch(obj, refs));
      } catch (e) {
        if (!isNotFound(e)) errors.push(e);
      }
      continue;
    }
    if (ownerDeleting || !o.matches(obj) || obj.metadata.deletionTimestamp !== undefined) continue;
    if (o.owner.metadata.namespace && o.owner.metadata.namespace !== obj.metadata.namespace) continue;
    adoptable ??= o.canAdopt();
    if (!(await adoptable)) continue;
    try {
      const refs = [...(obj.metadata.ownerReferences ?? []), newOwnerRef(o.owner)];
      const adopted = await o.client.patch<T>(o.resource, obj.metadata.namespace ?? '', obj.metadata.name ?? '', ownerRefsPatch(obj, refs));
      claimed.push(adopted);
    } catch (e) {
      if (!isNotFound(e)) errors.push(e);
    }
  }
  if (errors.length > 0) throw errors[0];
  return claimed;
}

/** canAdopt for claimObjects: a live read of the owner (the cache may not show a deletion yet). */
export function recheckOwner(client: ControllerClient, resource: string, owner: KubeObject): () => Promise<boolean> {
  return async () => {
    try {
      const fresh = await client.get(resource, owner.metadata.namespace ?? '', owner.metadata.name ?? '');
      return fresh.metadata.uid === owner.metadata.uid && fresh.metadata.deletionTimestamp === undefined;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  };
}
