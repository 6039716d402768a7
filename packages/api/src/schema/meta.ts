import type {
  LabelSelector,
  LabelSelectorRequirement,
  ListMeta,
  LocalObjectReference,
  ObjectMeta,
  ObjectReference,
  OwnerReference,
} from '../types/meta';
import { any, arr, bool, int, obj, oneOf, req, str, stringList, stringMap, time } from './dsl';

export const ownerReferenceSchema = obj<OwnerReference>('OwnerReference', {
  apiVersion: req(str()),
  kind: req(str()),
  name: req(str()),
  uid: req(str()),
  controller: bool(),
  blockOwnerDeletion: bool(),
});

export const objectMetaSchema = obj<ObjectMeta>('ObjectMeta', {
  name: str(),
  generateName: str(),
  namespace: str(),
  uid: str(),
  labels: stringMap(),
  annotations: stringMap(),
  ownerReferences: arr(ownerReferenceSchema),
  finalizers: stringList(),
  resourceVersion: str(),
  generation: int(),
  creationTimestamp: time(),
  deletionTimestamp: time(),
  deletionGracePeriodSeconds: int(),
  managedFields: arr(any()),
  selfLink: str(),
});

export const listMetaSchema = obj<ListMeta>('ListMeta', {
  resourceVersion: str(),
  continue: str(),
  remainingItemCount: int(),
  selfLink: str(),
});

export const labelSelectorRequirementSchema = obj<LabelSelectorRequirement>('LabelSelectorRequirement', {
  key: req(str()),
  operator: req(oneOf('In', 'NotIn', 'Exists', 'DoesNotExist')),
  values: stringList(),
});

export const labelSelectorSchema = obj<LabelSelector>('LabelSelector', {
  matchLabels: stringMap(),
  matchExpressions: arr(labelSelectorRequirementSchema),
});

export const objectReferenceSchema = obj<ObjectReference>('ObjectReference', {
  apiVersion: str(),
  kind: str(),
  namespace: str(),
  name: str(),
  uid: str(),
  resourceVersion: str(),
  fieldPath: str(),
});

export const localObjectReferenceSchema = obj<LocalObjectReference>('LocalObjectReference', { name: str() });

export const conditionStatus = () => req(oneOf('True', 'False', 'Unknown'));
