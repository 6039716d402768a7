/**
 * A pod's volumes on the node's disk, under `<root-dir>/pods/<uid>/volumes/`: emptyDir (a directory
 * that lives as long as the pod; medium Memory is a directory too, not a tmpfs), hostPath (checked
 * or created as its `type` says), configMap and secret (their keys written as files). Every
 * container of the pod mounts the same directory, which is how containers of a pod share a volume.
 */
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyToPath, Pod, Volume } from '@mk/api';
import { ContainerConfigError, type PodReferences } from './container-config';

const DEFAULT_MODE = 0o644;

async function kindOf(p: string): Promise<'dir' | 'file' | 'socket' | 'char' | 'block' | 'other' | undefined> {
  try {
    const s = await stat(p);
    if (s.isDirectory()) return 'dir';
    if (s.isFile()) return 'file';
    if (s.isSocket()) return 'socket';
    if (s.isCharacterDevice()) return 'char';
    if (s.isBlockDevice()) return 'block';
    return 'other';
  } catch {
    return undefined;
  }
}

async function hostPathVolume(v: Volume & { hostPath: NonNullable<Volume['hostPath']> }): Promise<string> {
  const p = v.hostPath.path;
  const type = v.hostPath.type ?? '';
  const kind = await kindOf(p);
  const fail = (want: string): never => {
    throw new ContainerConfigError(`volume ${v.name}: hostPath type check failed: ${p} is not a ${want}`);
  };
  switch (type) {
    case '':
      break;
    case 'DirectoryOrCreate':
      if (kind === undefined) await mkdir(p, { recursive: true, mode: 0o755 });
      else if (kind !== 'dir') fail('directory');
      break;
    case 'Directory':
      if (kind !== 'dir') fail('directory');
      break;
    case 'FileOrCreate':
      if (kind === undefined) {
        await mkdir(path.dirname(p), { recursive: true, mode: 0o755 });
        await writeFile(p, '', { mode: DEFAULT_MODE });
      } else if (kind !== 'file') fail('file');
      break;
    case 'File':
      if (kind !== 'file') fail('file');
      break;
    case 'Socket':
      if (kind !== 'socket') fail('socket');
      break;
    case 'CharDevice':
      if (kind !== 'char') fail('character device');
      break;
    case 'BlockDevice':
      if (kind !== 'block') fail('block device');
      break;
    default:
      throw new ContainerConfigError(`volume ${v.name}: unknown hostPath type ${JSON.stringify(type)}`);
  }
  return p;
}

/** Writes `files` (relative path → content) into `dir`, leaving it holding exactly them. */
async function writeProjection(dir: string, files: Map<string, Buffer>, mode: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const [rel, content] of files) {
    const target = path.join(dir, rel);
    if (!target.startsWith(dir + path.sep)) throw new ContainerConfigError(`item path ${JSON.stringify(rel)} leaves the volume`);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    const old = await readFile(target).catch(() => undefined);
    if (old === undefined || !old.equals(content)) await writeFile(target, content);
    await chmod(target, mode);
  }
  const top = new Set([...files.keys()].map((rel) => rel.split('/')[0]!));
  for (const entry of await readdir(dir)) if (!top.has(entry)) await rm(path.join(dir, entry), { recursive: true, force: true });
}

function project(name: string, data: Map<string, Buffer>, items: KeyToPath[] | undefined, what: string): Map<string, Buffer> {
  if (items === undefined) return data;
  const out = new Map<string, Buffer>();
  for (const item of items) {
    const v = data.get(item.key);
    if (v === undefined) throw new ContainerConfigError(`volume ${name}: ${what} has no key ${JSON.stringify(item.key)}`);
    out.set(item.path, v);
  }
  return out;
}

export class PodVolumes {
  constructor(readonly rootDir: string) {}

  podDir(uid: string): string {
    return path.join(this.rootDir, 'pods', uid);
  }

  /** Makes every volume of `pod` ready; returns volume name → host path. */
  async prepare(pod: Pod, refs: PodReferences): Promise<Map<string, string>> {
    const uid = pod.metadata.uid ?? '';
    const base = path.join(this.podDir(uid), 'volumes');
    const out = new Map<string, string>();
    for (const v of pod.spec.volumes ?? []) {
      if (v.hostPath) {
        out.set(v.name, await hostPathVolume({ ...v, hostPath: v.hostPath }));
      } else if (v.configMap) {
        const name = v.configMap.name ?? '';
        const cm = refs.configMaps.get(name);
        if (cm === undefined && v.configMap.optional !== true) throw new ContainerConfigError(`volume ${v.name}: configmap "${name}" not found`);
        const data = new Map<string, Buffer>();
        for (const [k, s] of Object.entries(cm?.data ?? {})) data.set(k, Buffer.from(s));
        for (const [k, s] of Object.entries(cm?.binaryData ?? {})) data.set(k, Buffer.from(s, 'base64'));
        const dir = path.join(base, 'configmap', v.name);
        await writeProjection(dir, project(v.name, data, v.configMap.items, `configmap "${name}"`), v.configMap.defaultMode ?? DEFAULT_MODE);
        out.set(v.name, dir);
      } else if (v.secret) {
        const name = v.secret.secretName ?? '';
        const secret = refs.secrets.get(name);
        if (secret === undefined && v.secret.optional !== true) throw new ContainerConfigError(`volume ${v.name}: secret "${name}" not found`);
        const data = new Map<string, Buffer>();
        for (const [k, s] of Object.entries(secret?.data ?? {})) data.set(k, Buffer.from(s, 'base64'));
        const dir = path.join(base, 'secret', v.name);
        await writeProjection(dir, project(v.name, data, v.secret.items, `secret "${name}"`), v.secret.defaultMode ?? DEFAULT_MODE);
        out.set(v.name, dir);
      } else if (v.persistentVolumeClaim) {
        throw new ContainerConfigError(`volume ${v.name}: persistentVolumeClaim volumes are not supported by this kubelet yet`);
      } else {
        // emptyDir (the default source).
        const dir = path.join(base, 'empty-dir', v.name);
        await mkdir(dir, { recursive: true, mode: 0o777 });
        await chmod(dir, 0o777);
        out.set(v.name, dir);
      }
    }
    return out;
  }

  /** Removes the pod's directory (its emptyDirs and projections; hostPaths are left alone). */
  async cleanup(uid: string): Promise<void> {
    if (uid === '' || uid.includes('/') || uid.includes('..')) return;
    await rm(this.podDir(uid), { recursive: true, force: true });
  }

  /** The uids that have a directory here. */
  async podUids(): Promise<string[]> {
    return readdir(path.join(this.rootDir, 'pods')).catch(() => []);
  }
}
