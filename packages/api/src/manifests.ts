/**
 * Manifests: the text of a YAML (multi-document) or JSON file → decoded objects, each with the file
 * and line it came from. `kind: List` (and `PodList`, ...) is unwrapped; empty documents are
 * skipped. Errors name the file and line: `web.yaml:12: error decoding Deployment "web":
 * spec.replicas: expected integer, got string` — the line of the offending field when it can be
 * found, else of the document.
 *
 * YAML is read as YAML 1.1, like Kubernetes (go-yaml): `0644` is octal, `yes`/`no` are booleans;
 * timestamps and sexagesimal numbers stay strings.
 */
import { InvalidArgumentError } from '@mk/shared';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode, type Tags } from 'yaml';
import { decodeError, tryDecodeObject } from './decode';
import type { FieldError } from './errors';
import type { PathSegment } from './field-path';
import { isKnownKind } from './registry';
import type { AnyObject } from './types';

export interface Manifest {
  object: AnyObject;
  fileName: string;
  /** 1-based line where the object starts. */
  line: number;
}

export type ManifestFieldError = FieldError & { readonly line: number };

/** A problem in a manifest file, located by file and line. */
export class ManifestError extends InvalidArgumentError {
  constructor(
    readonly fileName: string,
    /** The line the message points at: the offending field's, else the document's. */
    readonly line: number,
    /** The line where the document (or List item) starts. */
    readonly documentLine: number,
    detail: string,
    /** Field errors from decoding, each with its own line; empty for YAML syntax errors. */
    readonly errors: readonly ManifestFieldError[] = [],
  ) {
    super(`${fileName}:${line}: ${detail}`, {
      fileName,
      line,
      causes: errors.map((e) => ({ field: e.path, type: e.type, message: e.message, line: e.line })),
    });
  }
}

/** One document (or List item): its object, or why it could not be read. */
export type ManifestEntry =
  | ({ ok: true } & Manifest)
  | { ok: false; fileName: string; line: number; error: ManifestError };

// go-yaml resolves neither timestamps nor base-60 numbers; drop those YAML 1.1 tags.
const customTags = (tags: Tags): Tags =>
  tags.filter((t) => typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME'));

function firstLine(message: string): string {
  const at = message.indexOf(' at line ');
  return (at >= 0 ? message.slice(0, at) : message.split('\n')[0] ?? message).trim();
}

/** The YAML node at a field path, and the line of its key (or of the node itself). */
function lineOfPath(root: unknown, segments: readonly PathSegment[] | undefined, lc: LineCounter, fallback: number): number {
  let node = root;
  let line = fallback;
  const lineAt = (n: unknown): number | undefined => {
    const range = (n as YamlNode | null)?.range;
    return range ? lc.linePos(range[0]).line : undefined;
  };
  for (const seg of segments ?? []) {
    if (seg.kind === 'index') {
      if (!isSeq(node)) break;
      node = node.items[seg.index];
      line = lineAt(node) ?? line;
    } else {
      if (!isMap(node)) break;
      const name = seg.kind === 'field' ? seg.name : seg.key;
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
      if (!pair) break;
      line = lineAt(pair.key) ?? line;
      node = pair.value;
    }
  }
  return line;
}

/** Reads every document of a file without stopping at the first bad one. */
export function parseManifestsSettled(text: string, fileName: string): ManifestEntry[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { version: '1.1', merge: true, lineCounter: lc, customTags }) as Document[];
  const out: ManifestEntry[] = [];
  const fail = (line: number, docLine: number, detail: string, errors: readonly ManifestFieldError[] = []) =>
    out.push({ ok: false, fileName, line, error: new ManifestError(fileName, line, docLine, detail, errors) });

  for (const doc of docs) {
    const start = (doc.contents as YamlNode | null)?.range?.[0] ?? doc.range?.[0] ?? 0;
    const docLine = lc.linePos(start).line;
    const syntax = doc.errors[0];
    if (syntax) {
      const line = syntax.linePos?.[0]?.line ?? docLine;
      fail(line, docLine, firstLine(syntax.message));
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      fail(docLine, docLine, (e as Error).message);
      continue;
    }
    if (value === null || value === undefined) continue;

    // Unwrap lists: `kind: List` / `PodList` with items, or a bare JSON array.
    let items: { value: unknown; node: unknown }[];
    const isList =
      typeof value === 'object' &&
      !Array.isArray(value) &&
      typeof (value as { kind?: unknown }).kind === 'string' &&
      Array.isArray((value as { items?: unknown }).items) &&
      ((value as { kind: string }).kind === 'List' || isKnownKind((value as { kind: string }).kind.replace(/List$/, '')));
    if (isList) {
      const seq = doc.get('items', true);
      items = ((value as { items: unknown[] }).items).map((v, i) => ({ value: v, node: isSeq(seq) ? seq.items[i] : undefined }));
    } else if (Array.isArray(value)) {
      const seq = doc.contents;
      items = value.map((v, i) => ({ value: v, node: isSeq(seq) ? seq.items[i] : undefined }));
    } else {
      items = [{ value, node: doc.contents }];
    }

    for (const item of items) {
      const range = (item.node as YamlNode | undefined)?.range;
      const line = range ? lc.linePos(range[0]).line : docLine;
      if (item.value === null || item.value === undefined) continue;
      const result = tryDecodeObject(item.value);
      if (result.object) {
        out.push({ ok: true, object: result.object, fileName, line });
        continue;
      }
      const errors = result.errors.map((e) => ({ ...e, line: lineOfPath(item.node, e.segments, lc, line) }));
      const detail = decodeError(item.value, result.errors).message;
      fail(errors[0]?.line ?? line, line, detail, errors);
    }
  }
  return out;
}

/**
 * Parses a manifest file into decoded objects, in file order. Throws the first ManifestError
 * (YAML syntax, unknown kind, unknown field, wrong type), located by file and line.
 */
export function parseManifests(text: string, fileName: string): Manifest[] {
  const out: Manifest[] = [];
  for (const entry of parseManifestsSettled(text, fileName)) {
    if (!entry.ok) throw entry.error;
    out.push({ object: entry.object, fileName: entry.fileName, line: entry.line });
  }
  return out;
}
