/** Helpers shared by the commands. */
import type { KubeObject, ResourceInfo } from '@mk/api';
import type { CommandContext } from '../context';
import { formatError, isConnectionError } from '../errors';

/** Exit codes, as kubectl's. */
export const OK = 0;
export const FAILED = 1;

/** Objects from the server carry apiVersion and kind; make sure (printing relies on them). */
export function withType<T extends KubeObject>(obj: T, info: ResourceInfo): T {
  if (!obj.kind) obj.kind = info.kind;
  if (!obj.apiVersion) obj.apiVersion = info.apiVersion;
  return obj;
}

/** Prints an error the way kubectl does; returns the failure exit code. */
export function printError(ctx: CommandContext, e: unknown): number {
  ctx.err.write(`${formatError(e)}\n`);
  return FAILED;
}

/**
 * kubectl's way with several objects: a failure is remembered and the others still go ahead; a
 * lost connection to the API servers ends the whole command.
 */
export async function tryEach(errors: unknown[], f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (isConnectionError(e)) throw e;
    errors.push(e);
  }
}

/** Prints the remembered failures, one line each; the exit code says whether there were any. */
export function finish(ctx: CommandContext, errors: readonly unknown[]): number {
  for (const e of errors) printError(ctx, e);
  return errors.length > 0 ? FAILED : OK;
}

/** Runs a command body; any error escaping it is printed and becomes exit code 1. */
export async function guarded(ctx: CommandContext, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    return printError(ctx, e);
  }
}

/** The namespace a namespaced object lives in, or '' for cluster-scoped kinds. */
export function namespaceFor(info: ResourceInfo, ns: string): string {
  return info.namespaced ? ns : '';
}
