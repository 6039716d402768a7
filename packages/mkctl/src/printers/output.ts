/**
 * `-o yaml|json|name|jsonpath=…`: one object as itself, several as a `List`, as kubectl prints them.
 * YAML keys are sorted and lists are not indented (sigs.k8s.io/yaml's style); JSON is indented by
 * four spaces with `<`, `>` and `&` escaped (Go's encoding/json).
 */
import type { KubeObject } from '@mk/api';
import { stringify } from 'yaml';
import { CliError } from '../errors';
import { infoOf, objectName } from '../resources';
import { JsonPath } from './jsonpath';

export type OutputFormat = { kind: 'table'; wide: boolean } | { kind: 'yaml' } | { kind: 'json' } | { kind: 'name' } | { kind: 'jsonpath'; path: JsonPath };

/** Parses `-o`: wide, yaml, json, name, jsonpath=TEMPLATE (also jsonpath='…' quoted). */
export function parseOutput(o: string | undefined, allowed: readonly string[] = ['wide', 'yaml', 'json', 'name', 'jsonpath']): OutputFormat {
  if (o === undefined || o === '') return { kind: 'table', wide: false };
  const eq = o.indexOf('=');
  const name = eq >= 0 ? o.slice(0, eq) : o;
  if (!allowed.includes(name)) {
    throw new CliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: ${[...allowed].sort().join(',')}`);
  }
  switch (name) {
    case 'wide':
      return { kind: 'table', wide: true };
    case 'yaml':
      return { kind: 'yaml' };
    case 'json':
      return { kind: 'json' };
    case 'name':
      return { kind: 'name' };
    default: {
      const template = eq >= 0 ? o.slice(eq + 1) : '';
      if (template === '') throw new CliError('template format specified but no template given');
      return { kind: 'jsonpath', path: new JsonPath(template) };
    }
  }
}

export function toYaml(v: unknown): string {
  return stringify(v, { sortMapEntries: true, indentSeq: false, lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

export function toJson(v: unknown): string {
  return `${JSON.stringify(v, null, 4).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** The List kubectl wraps several objects in. */
export function asList(items: readonly KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/**
 * Prints objects in a non-table format. `single`: one object was asked for by name, so it prints
 * as itself rather than as a List.
 */
export function printObjects(format: Exclude<OutputFormat, { kind: 'table' }>, items: readonly KubeObject[], single: boolean): string {
  switch (format.kind) {
    case 'name':
      return items.map((o) => `${objectName(infoOf(o), o.metadata.name ?? '')}\n`).join('');
    case 'yaml':
      return toYaml(single && items.length === 1 ? items[0] : asList(items));
    case 'json':
      return toJson(single && items.length === 1 ? items[0] : asList(items));
    case 'jsonpath':
      return format.path.execute(single && items.length === 1 ? items[0] : asList(items));
  }
}
