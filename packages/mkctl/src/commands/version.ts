/** `mkctl version [--client] [-o json|yaml]`: mkctl's version and the API server's. */
import type { VersionInfo } from '@mk/client';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { toJson, toYaml } from '../printers/output';
import { OK, printError } from './common';

export interface VersionOptions {
  client?: boolean;
  output?: string;
}

export async function version(ctx: CommandContext, opts: VersionOptions = {}): Promise<number> {
  if (opts.output !== undefined && opts.output !== 'json' && opts.output !== 'yaml') {
    return printError(ctx, new CliError(`--output must be 'yaml' or 'json'`));
  }
  const clientVersion = { gitVersion: ctx.clientVersion, platform: `${process.platform}/${process.arch}` };
  let serverVersion: VersionInfo | undefined;
  let failure: unknown;
  if (!opts.client) {
    try {
      serverVersion = await ctx.client.version();
    } catch (e) {
      failure = e;
    }
  }
  if (opts.output) {
    const doc = { clientVersion, ...(serverVersion ? { serverVersion } : {}) };
    ctx.out.write(opts.output === 'json' ? toJson(doc) : toYaml(doc));
  } else {
    ctx.out.write(`Client Version: ${clientVersion.gitVersion}\n`);
    if (serverVersion) ctx.out.write(`Server Version: ${serverVersion.gitVersion}\n`);
  }
  if (failure !== undefined) return printError(ctx, failure);
  return OK;
}
