/**
 * `mkctl exec [-i] [-t] POD [-c C] -- COMMAND [ARGS...]`: runs a command in a container through
 * the API server (mkapi.Pods.Exec). Output goes to stdout/stderr as it comes; with -i stdin is
 * piped to the command; with -t (and a terminal on stdin) the terminal is put into raw mode.
 * mkctl exits with the command's exit code, as kubectl does.
 */
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { guarded, printError } from './common';
import { attachablePod } from './logs';

export interface ExecOptions {
  container?: string;
  stdin?: boolean;
  tty?: boolean;
}

const USAGE = "expected 'exec (POD | TYPE/NAME) COMMAND [ARG1] [ARG2] ... [ARGN]'.\nPOD or TYPE/NAME and COMMAND are required arguments for the exec command";

export async function exec(ctx: CommandContext, args: readonly string[], opts: ExecOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    const [podArg, ...command] = args;
    if (podArg === undefined || command.length === 0) throw new CliError(USAGE);
    const pod = await attachablePod(ctx, podArg);
    const term = ctx.terminal;
    const stdin = opts.stdin === true;
    let tty = opts.tty === true;
    if (tty && !(stdin && term.stdinIsTTY)) {
      ctx.err.write('Unable to use a TTY - input is not a terminal or the right kind of file\n');
      tty = false;
    }
    const session = await ctx.client.podExec(ctx.namespace, pod, { container: opts.container ?? '', command, stdin, tty });
    const restore = tty ? term.makeRaw() : () => undefined;
    let stopResize = (): void => undefined;
    let done = false;
    try {
      if (tty) {
        const resize = (): void => {
          const size = term.size();
          if (size) session.resize(size.rows, size.cols);
        };
        resize();
        stopResize = term.onResize(resize);
      }
      if (stdin) {
        void (async () => {
          try {
            for await (const chunk of term.stdin()) {
              if (done) return;
              session.write(chunk);
            }
          } catch (e) {
            printError(ctx, e);
          }
          if (!done) session.closeStdin();
        })();
      }
      void ctx.interrupted.then(() => session.cancel());
      for await (const chunk of session.output) {
        if (chunk.stream === 2) term.writeErr(chunk.data);
        else term.writeOut(chunk.data);
      }
      const code = await session.exitCode;
      if (code !== 0) ctx.err.write(`command terminated with exit code ${code}\n`);
      return code;
    } finally {
      done = true;
      stopResize();
      restore();
    }
  });
}
