/**
 * The resource table: every kind mk serves, with the names a kubectl user may type for it.
 * `mkctl api-resources` prints it; the API server derives store keys (`/registry/<resource>/...`)
 * and URL-ish names from it.
 */
import { NotFoundError } from '@mk/shared';
import type { KindName } from './types';

export interface ResourceInfo {
  /** API group, '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** `v1`, `apps/v1`, ... */
  readonly apiVersion: string;
  readonly kind: KindName;
  /** Plural, lower case: `deployments`. */
  readonly resource: string;
  /** Lower-case singular: `deployment`. */
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  /** Has a status subresource (status is written only through it). */
  readonly hasStatus: boolean;
  /** Categories such as `all` (what `mkctl get all` lists). */
  readonly categories: readonly string[];
}

type Row = [group: string, version: string, kind: KindName, resource: string, shortNames: string[], namespaced: boolean, hasStatus: boolean, all: boolean];

// prettier-ignore
const rows: Row[] = [
  ['', 'v1', 'Namespace', 'namespaces', ['ns'], false, true, false],
  ['', 'v1', 'Node', 'nodes', ['no'], false, true, false],
  ['', 'v1', 'Pod', 'pods', ['po'], true, true, true],
  ['', 'v1', 'Service', 'services', ['svc'], true, true, true],
  ['', 'v1', 'Endpoints', 'endpoints', ['ep'], true, false, false],
  ['', 'v1', 'ConfigMap', 'configmaps', ['cm'], true, false, false],
  ['', 'v1', 'Secret', 'secrets', [], true, false, false],
  ['', 'v1', 'Event', 'events', ['ev'], true, false, false],
  ['', 'v1', 'PersistentVolume', 'persistentvolumes', ['pv'], false, true, false],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', ['pvc'], true, true, false],
  ['apps', 'v1', 'Deployment', 'deployments', ['deploy'], true, true, true],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', ['rs'], true, true, true],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', ['ds'], true, true, true],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', ['sts'], true, true, true],
  ['batch', 'v1', 'Job', 'jobs', [], true, true, true],
  ['batch', 'v1', 'CronJob', 'cronjobs', ['cj'], true, true, true],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', ['hpa'], true, true, true],
  ['coordination.k8s.io', 'v1', 'Lease', 'leases', [], true, false, false],
];

/** Every resource, in the order above (core first, then by group). */
export const resources: readonly ResourceInfo[] = rows.map(
  ([group, version, kind, resource, shortNames, namespaced, hasStatus, all]) =>
    Object.freeze({
      group,
      version,
      apiVersion: group ? `${group}/${version}` : version,
      kind,
      resource,
      singular: kind.toLowerCase(),
      shortNames: Object.freeze(shortNames),
      namespaced,
      hasStatus,
      categories: Object.freeze(all ? ['all'] : []),
    }),
);

const byKind = new Map<string, ResourceInfo>(resources.map((r) => [r.kind, r]));
const byResource = new Map<string, ResourceInfo>(resources.map((r) => [r.resource, r]));
/** Every lower-case name (plural, singular, short, kind) → resources; a name is unique today. */
const byName = new Map<string, ResourceInfo>();
for (const r of resources) {
  for (const name of [r.resource, r.singular, ...r.shortNames]) byName.set(name, r);
}

/** The resource of a kind (`Deployment`), optionally requiring its apiVersion to match. */
export function resourceForKind(kind: string, apiVersion?: string): ResourceInfo | undefined {
  const r = byKind.get(kind);
  if (!r || (apiVersion !== undefined && r.apiVersion !== apiVersion)) return undefined;
  return r;
}

/** The resource by its plural name (`deployments`). */
export function resourceByPlural(resource: string): ResourceInfo | undefined {
  return byResource.get(resource);
}

/**
 * Any name a kubectl user may type: `po`, `pod`, `pods`, `Pod`, `deploy`, `deployments.apps`,
 * `deployment.v1.apps`, `Deployment.apps`. Case-insensitive. A group suffix must match.
 */
export function findResource(name: string): ResourceInfo | undefined {
  const lower = name.trim().toLowerCase();
  if (lower === '') return undefined;
  const direct = byName.get(lower);
  if (direct) return direct;
  const dot = lower.indexOf('.');
  if (dot <= 0) return undefined;
  const head = lower.slice(0, dot);
  let rest = lower.slice(dot + 1);
  const r = byName.get(head);
  if (!r) return undefined;
  // `<name>.<version>.<group>` or `<name>.<group>`; the core group may be written `<name>.v1`.
  const versionPrefix = `${r.version}.`;
  if (rest === r.version && r.group === '') return r;
  if (rest.startsWith(versionPrefix)) rest = rest.slice(versionPrefix.length);
  return rest === r.group ? r : undefined;
}

/** Like findResource, but throws kubectl's error for an unknown name. */
export function resolveResource(name: string): ResourceInfo {
  const r = findResource(name);
  if (!r) throw new NotFoundError(`the server doesn't have a resource type ${JSON.stringify(name)}`, { resource: name });
  return r;
}

/** Resources in a category (`all`), as `mkctl get all` lists them. */
export function resourcesInCategory(category: string): ResourceInfo[] {
  return resources.filter((r) => r.categories.includes(category));
}

/** `deployments.apps`, or `pods` for the core group: the name kubectl prints in messages. */
export function qualifiedResource(r: ResourceInfo): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** True when mk serves this kind (at any version). */
export function isKnownKind(kind: string): kind is KindName {
  return byKind.has(kind);
}

/**
 * The `mkctl api-resources` table, aligned the way kubectl aligns it:
 * NAME  SHORTNAMES  APIVERSION  NAMESPACED  KIND
 */
export function formatApiResources(list: readonly ResourceInfo[] = resources): string {
  const header = ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'];
  const rows = [...list]
    .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0))
    .map((r) => [r.resource, r.shortNames.join(','), r.apiVersion, String(r.namespaced), r.kind]);
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  return table
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3))).join(''))
    .join('\n');
}
