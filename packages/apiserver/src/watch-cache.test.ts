import type { KubeObject } from '@mk/api';
import { ApiError } from '@mk/client';
import { CacheEvent, WatchCache, WatchEventOut } from './watch-cache';

const pod = (name: string, labels: Record<string, string> = {}, ns = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
});
const key = (name: string, ns = 'default') => `/registry/pods/${ns}/${name}`;
const ev = (type: CacheEvent['type'], name: string, revision: number, labels: Record<string, string> = {}, ns = 'default'): CacheEvent => ({
  type,
  key: key(name, ns),
  object: pod(name, labels, ns),
  revision,
});
const all = (_o: KubeObject): boolean => true;
const appWeb = (o: KubeObject) => o.metadata.labels?.app === 'web';

function collect(cache: WatchCache, fromRevision: number, matches = all, keyPrefix = '/registry/pods/', allowBookmarks = false) {
  const got: string[] = [];
  const ended: ApiError[] = [];
  const w = cache.watch(
    { fromRevision, matches, keyPrefix, allowBookmarks },
    (e: WatchEventOut) => got.push(e.type === 'BOOKMARK' ? `BOOKMARK@${e.object.metadata.resourceVersion}` : `${e.type} ${e.object.metadata.name}`),
    (err) => ended.push(err),
  );
  return { got, ended, w };
}

describe('WatchCache', () => {
  function started(): WatchCache {
    const c = new WatchCache('pods', 4);
    c.reset([{ key: key('a'), object: pod('a', { app: 'web' }), revision: 5 }], 10);
    return c;
  }

  it('a watch from 0 gets the current state as ADDED, then live events in order', () => {
    const c = started();
    const { got } = collect(c, 0);
    c.apply([ev('ADDED', 'b', 11), ev('MODIFIED', 'a', 12), ev('DELETED', 'b', 13)]);
    expect(got).toEqual(['ADDED a', 'ADDED b', 'MODIFIED a', 'DELETED b']);
    expect(c.resourceVersion).toBe(13);
  });

  it('a watch from a recent version replays exactly what came after it', () => {
    const c = started();
    c.apply([ev('ADDED', 'b', 11), ev('MODIFIED', 'a', 12), ev('ADDED', 'c', 14)]);
    expect(collect(c, 11).got).toEqual(['MODIFIED a', 'ADDED c']);
    expect(collect(c, 14).got).toEqual([]);
  });

  it('a watch from a version older than the window is Gone; at the window edge it is fine', () => {
    const c = started(); // capacity 4
    c.apply([ev('ADDED', 'b', 11), ev('ADDED', 'c', 12), ev('ADDED', 'd', 13), ev('ADDED', 'e', 14), ev('ADDED', 'f', 15)]);
    expect(() => collect(c, 10)).toThrow(/too old resource version: 10 \(11\)/);
    try {
      collect(c, 10);
    } catch (e) {
      expect((e as ApiError).reason).toBe('Gone');
    }
    expect(collect(c, 11).got).toEqual(['ADDED c', 'ADDED d', 'ADDED e', 'ADDED f']);
  });

  it('a watch from a version the cache has not reached yet skips events up to that version', () => {
    const c = started(); // at 10
    const { got } = collect(c, 12);
    c.apply([ev('ADDED', 'b', 11), ev('MODIFIED', 'b', 12), ev('MODIFIED', 'b', 13)]);
    expect(got).toEqual(['MODIFIED b']);
  });

  it('events a resumed store watch repeats are applied once', () => {
    const c = started();
    const { got } = collect(c, 0);
    c.apply([ev('ADDED', 'b', 11)]);
    c.apply([ev('ADDED', 'b', 11), ev('MODIFIED', 'b', 12)]);
    expect(got).toEqual(['ADDED a', 'ADDED b', 'MODIFIED b']);
  });

  it('selectors: starting to match is ADDED, stopping is DELETED, invisible changes are not sent', () => {
    const c = started();
    const { got } = collect(c, 0, appWeb);
    c.apply([
      ev('ADDED', 'x', 11, { app: 'db' }), // invisible
      ev('MODIFIED', 'x', 12, { app: 'web' }), // starts matching
      ev('MODIFIED', 'x', 13, { app: 'web' }), // still matching
      ev('MODIFIED', 'a', 14, { app: 'other' }), // stops matching
      ev('DELETED', 'a', 15, { app: 'other' }), // no longer visible
      ev('DELETED', 'x', 16, { app: 'web' }),
    ]);
    expect(got).toEqual(['ADDED a', 'ADDED x', 'MODIFIED x', 'DELETED a', 'DELETED x']);
  });

  it('a replay applies the same selector semantics as live delivery', () => {
    const c = new WatchCache('pods', 100);
    c.reset([], 1);
    c.apply([ev('ADDED', 'x', 2, { app: 'db' }), ev('MODIFIED', 'x', 3, { app: 'web' }), ev('MODIFIED', 'x', 4, { app: 'db' })]);
    expect(collect(c, 2, appWeb).got).toEqual(['ADDED x', 'DELETED x']);
    expect(collect(c, 3, appWeb).got).toEqual(['DELETED x']);
  });

  it('the key prefix limits a watch to one namespace', () => {
    const c = started();
    const { got } = collect(c, 0, all, '/registry/pods/prod/');
    c.apply([ev('ADDED', 'b', 11), ev('ADDED', 'p', 12, {}, 'prod')]);
    expect(got).toEqual(['ADDED p']);
  });

  it('bookmarks go only to watchers that asked, with the store revision', () => {
    const c = started();
    const plain = collect(c, 0);
    const marked = collect(c, 0, all, '/registry/pods/', true);
    c.progress(20);
    c.progress(15); // older: ignored
    c.bookmarkAll();
    expect(plain.got).toEqual(['ADDED a']);
    expect(marked.got).toEqual(['ADDED a', 'BOOKMARK@20', 'BOOKMARK@20']);
    expect(c.resourceVersion).toBe(20);
    // A watch from the bookmarked revision is not Gone: nothing happened in between.
    expect(collect(c, 20).got).toEqual([]);
  });

  it('a reload ends existing watchers with Gone and serves the new contents', () => {
    const c = started();
    const { ended } = collect(c, 0);
    c.reset([{ key: key('z'), object: pod('z'), revision: 30 }], 30);
    expect(ended.map((e) => e.reason)).toEqual(['Gone']);
    expect(c.watcherCount()).toBe(0);
    expect(c.list('/registry/pods/', all).map((o) => o.metadata.name)).toEqual(['z']);
  });

  it('stop detaches a watcher', () => {
    const c = started();
    const { got, w } = collect(c, 0);
    w.stop();
    c.apply([ev('ADDED', 'b', 11)]);
    expect(got).toEqual(['ADDED a']);
    expect(c.watcherCount()).toBe(0);
  });

  it('list and get serve the current objects in key order', () => {
    const c = started();
    c.apply([ev('ADDED', 'c', 11), ev('ADDED', 'b', 12, { app: 'web' })]);
    expect(c.list('/registry/pods/', all).map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(c.list('/registry/pods/', appWeb).map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(c.get(key('c'))?.metadata.name).toBe('c');
  });

  it('is not ready before its first list, and whenReady resolves after it', async () => {
    const c = new WatchCache('pods');
    expect(() => collect(c, 0)).toThrow(/not ready/);
    const ready = c.whenReady();
    c.reset([], 1);
    await expect(ready).resolves.toBeUndefined();
  });
});
