import { Indexer, NAMESPACE_INDEX } from './store';
import { type KubeObjectLike, metaNamespaceKey, namespacedKey, splitMetaNamespaceKey } from './object';

interface Pod extends KubeObjectLike {
  spec?: { nodeName?: string };
}
const pod = (ns: string, name: string, nodeName?: string): Pod => ({ metadata: { name, ...(ns ? { namespace: ns } : {}) }, spec: nodeName ? { nodeName } : {} });

test('keys: namespace/name, name alone when cluster-scoped, and back', () => {
  expect(metaNamespaceKey(pod('default', 'web'))).toBe('default/web');
  expect(metaNamespaceKey(pod('', 'n1'))).toBe('n1');
  expect(namespacedKey(undefined, 'n1')).toBe('n1');
  expect(splitMetaNamespaceKey('default/web')).toEqual({ namespace: 'default', name: 'web' });
  expect(splitMetaNamespaceKey('n1')).toEqual({ namespace: '', name: 'n1' });
});

test('set, replace and delete keep every index exact (values move, empty ones vanish)', () => {
  const ix = new Indexer<Pod>({ node: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) });
  expect(ix.set(pod('a', 'p1', 'n1'))).toBeUndefined();
  ix.set(pod('a', 'p2', 'n1'));
  ix.set(pod('b', 'p3'));
  expect(ix.indexKeys('node', 'n1').sort()).toEqual(['a/p1', 'a/p2']);
  expect(ix.indexKeys(NAMESPACE_INDEX, 'a').sort()).toEqual(['a/p1', 'a/p2']);

  const old = ix.set(pod('a', 'p2', 'n2'));
  expect(old?.spec?.nodeName).toBe('n1');
  expect(ix.indexKeys('node', 'n1')).toEqual(['a/p1']);
  expect(ix.indexKeys('node', 'n2')).toEqual(['a/p2']);

  expect(ix.delete('a/p1')?.metadata.name).toBe('p1');
  expect(ix.delete('a/p1')).toBeUndefined();
  expect(ix.indexKeys('node', 'n1')).toEqual([]);
  expect(ix.size).toBe(2);
  expect(ix.list().map((p) => p.metadata.name)).toEqual(['p2', 'p3']);
  expect(ix.getByName('b', 'p3')?.metadata.name).toBe('p3');
});

test('an index function may give several values (or none)', () => {
  const ix = new Indexer<Pod>({ labels: (p) => Object.entries(p.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`) });
  ix.set({ metadata: { name: 'x', namespace: 'd', labels: { app: 'web', tier: 'front' } } });
  ix.set({ metadata: { name: 'y', namespace: 'd' } });
  expect(ix.indexKeys('labels', 'app=web')).toEqual(['d/x']);
  expect(ix.indexKeys('labels', 'tier=front')).toEqual(['d/x']);
  expect(ix.byIndex('labels', 'app=db')).toEqual([]);
});
