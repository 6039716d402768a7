/**
 * Node selectors of pod specs (Kubernetes' component-helpers nodeaffinity): `nodeSelector` (every
 * label equal) and node affinity terms. A NodeSelector's terms are ORed, the requirements inside a
 * term ANDed; an empty term matches nothing. matchFields supports `metadata.name`, the one field
 * Kubernetes allows.
 */
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm } from '@mk/api';

type Labels = Readonly<Record<string, string>> | undefined;

const INTEGER = /^-?[0-9]+$/;

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const has = value !== undefined;
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(value);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const bound = r.values?.[0];
      if (!has || bound === undefined || !INTEGER.test(value) || !INTEGER.test(bound)) return false;
      return r.operator === 'Gt' ? Number(value) > Number(bound) : Number(value) < Number(bound);
    }
    default:
      return false;
  }
}

function labelValue(labels: Labels, key: string): string | undefined {
  return labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/** One term: every matchExpression against the labels, every matchField against the node; empty: false. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, nodeName: string, labels: Labels): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) if (!requirementMatches(r, labelValue(labels, r.key))) return false;
  for (const r of fields) {
    if (r.key !== 'metadata.name') return false;
    if (!requirementMatches(r, nodeName)) return false;
  }
  return true;
}

/** A required NodeSelector: any term matches. */
export function nodeSelectorMatches(sel: NodeSelector, nodeName: string, labels: Labels): boolean {
  for (const term of sel.nodeSelectorTerms ?? []) if (nodeSelectorTermMatches(term, nodeName, labels)) return true;
  return false;
}

/** A pod's `nodeSelector` map: every key present with the same value. */
export function nodeSelectorMapMatches(selector: Readonly<Record<string, string>> | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labelValue(labels, k) !== v) return false;
  return true;
}

export function nodeName(node: Node): string {
  return node.metadata.name ?? '';
}
