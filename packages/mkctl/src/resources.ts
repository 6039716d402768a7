/**
 * Resource arguments as kubectl reads them: `pods`, `po,svc`, `deploy/web`, `all`, names after a
 * type; and the names kubectl prints for a kind (`deployment.apps/web`, `pod "web" deleted`).
 */
import { findResource, type KubeObject, resourceForKind, type ResourceInfo, resourcesInCategory } from '@mk/api';
import { CliError } from './errors';

/** One resource type and the names asked for (none: all of them). */
export interface ResourceRequest {
  info: ResourceInfo;
  names: string[];
}

export interface ResourceArgs {
  requests: ResourceRequest[];
  /** Several types were asked for (`po,svc`, `all`, `po/a svc/b`): names print with their kind. */
  multipleTypes: boolean;
}

/** kubectl's error for a type it does not know. */
export function unknownResource(name: string): CliError {
  return new CliError(`the server doesn't have a resource type ${JSON.stringify(name)}`);
}

export function resolveType(name: string): ResourceInfo {
  const r = findResource(name);
  if (!r) throw unknownResource(name);
  return r;
}

function typesOf(arg: string): ResourceInfo[] {
  const out: ResourceInfo[] = [];
  for (const part of arg.split(',')) {
    if (part === '') continue;
    const list = part.toLowerCase() === 'all' ? resourcesInCategory('all') : [resolveType(part)];
    for (const r of list) if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** Parses `TYPE[,TYPE…] [NAME…]` or `TYPE/NAME…`. */
export function parseResourceArgs(args: readonly string[]): ResourceArgs {
  const first = args[0];
  if (first === undefined) throw new CliError('Required resource not specified.');
  if (first.includes('/')) {
    const requests: ResourceRequest[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      if (slash <= 0 || slash === arg.length - 1) throw new CliError(`arguments in resource/name form must have a single resource and name`);
      const info = resolveType(arg.slice(0, slash));
      const name = arg.slice(slash + 1);
      const existing = requests.find((r) => r.info === info);
      if (existing) existing.names.push(name);
      else requests.push({ info, names: [name] });
    }
    return { requests, multipleTypes: requests.length > 1 };
  }
  const names = args.slice(1);
  if (names.some((n) => n.includes('/'))) {
    throw new CliError(
      `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'mkctl get resource/<resource_name>' instead of 'mkctl get resource resource/<resource_name>'`,
    );
  }
  const types = typesOf(first);
  const multipleTypes = types.length > 1 || first.toLowerCase() === 'all';
  return { requests: types.map((info) => ({ info, names: [...names] })), multipleTypes };
}

/** `deployment.apps`, `pod`: how kubectl names a kind in its messages. */
export function kindString(info: ResourceInfo): string {
  return info.group ? `${info.singular}.${info.group}` : info.singular;
}

/** `deployment.apps/web` */
export function objectName(info: ResourceInfo, name: string): string {
  return `${kindString(info)}/${name}`;
}

/** The resource of an object, from its kind. */
export function infoOf(obj: KubeObject): ResourceInfo {
  const r = resourceForKind(obj.kind);
  if (!r) throw new CliError(`no resource of kind ${JSON.stringify(obj.kind)} is known`);
  return r;
}
