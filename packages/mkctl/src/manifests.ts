/**
 * `-f FILE|DIR|-` as kubectl reads it: a file, every .yaml/.yml/.json file of a directory (its
 * subdirectories too with -R), or standard input; each document decoded with its file and line.
 */
import { posix } from 'node:path';
import { type ManifestEntry, parseManifestsSettled } from '@mk/api';
import type { CommandContext } from './context';
import { CliError } from './errors';

const EXTENSIONS = ['.json', '.yaml', '.yml'];

function listFiles(ctx: CommandContext, dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const name of ctx.io.readDir(dir).sort()) {
    const p = posix.join(dir, name);
    if (ctx.io.isDirectory(p)) {
      if (recursive) out.push(...listFiles(ctx, p, recursive));
    } else if (EXTENSIONS.some((e) => name.endsWith(e))) out.push(p);
  }
  return out;
}

/** The sources of `-f` arguments, in order; throws kubectl's error for a path that does not exist. */
export function expandFilenames(ctx: CommandContext, filenames: readonly string[], recursive: boolean): string[] {
  const out: string[] = [];
  for (const f of filenames) {
    if (f === '-') {
      out.push('-');
      continue;
    }
    let dir: boolean;
    try {
      dir = ctx.io.isDirectory(f);
    } catch {
      throw new CliError(`the path ${JSON.stringify(f)} does not exist`);
    }
    if (dir) out.push(...listFiles(ctx, f, recursive));
    else out.push(f);
  }
  return out;
}

/** Every document of every source, or why it could not be read. */
export async function readManifests(ctx: CommandContext, filenames: readonly string[], recursive: boolean): Promise<ManifestEntry[]> {
  if (filenames.length === 0) throw new CliError('must specify one of -f and -k');
  const entries: ManifestEntry[] = [];
  for (const source of expandFilenames(ctx, filenames, recursive)) {
    const text = source === '-' ? await ctx.io.readStdin() : ctx.io.readFile(source);
    entries.push(...parseManifestsSettled(text, source === '-' ? 'STDIN' : source));
  }
  return entries;
}

/** kubectl's wording for a document that could not be read. */
export function manifestErrorText(entry: Extract<ManifestEntry, { ok: false }>): string {
  const e = entry.error;
  return e.errors.length > 0 ? `error validating ${JSON.stringify(entry.fileName)}: ${e.message}` : `error parsing ${entry.fileName}: ${e.message}`;
}
