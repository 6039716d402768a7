/**
 * The iptables calls the proxier makes, behind a small interface so the proxier's loop is tested
 * with a fake. The real driver runs `iptables-restore -w 5 --noflush`, `iptables -w 5` and
 * `iptables-save`.
 */
import { execFile } from 'node:child_process';
import type { Table } from './rules';

export interface Iptables {
  /** Feeds `iptables-restore --noflush`; rejects with its error output. */
  restore(input: string): Promise<void>;
  /** Whether the rule exists (`iptables -C`). */
  check(table: Table, chain: string, args: readonly string[]): Promise<boolean>;
  /** Inserts the rule first in the chain (`iptables -I`). */
  insert(table: Table, chain: string, args: readonly string[]): Promise<void>;
  /** Deletes one copy of the rule; false when there was none (`iptables -D`). */
  delete(table: Table, chain: string, args: readonly string[]): Promise<boolean>;
  /** Names of the chains in the table (`iptables-save -t`). */
  chains(table: Table): Promise<string[]>;
}

interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: readonly string[], input?: string): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, [...args], { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code !== 0 ? err.message : '') });
    });
    // A command that exits without reading its input (or fails early) closes the pipe: its exit
    // status reports that, so EPIPE here is not an error of its own (and must not crash us).
    child.stdin?.on('error', () => undefined);
    if (input === undefined) child.stdin?.end();
    else child.stdin?.end(input);
  });
}

/** `iptables -C`/`-D` exit with 1 when the rule (or its chain) is not there; other codes are failures. */
const NOT_THERE = /does a matching rule exist|No chain\/target\/match|doesn't exist|does not exist|Bad rule/i;

export class ExecIptables implements Iptables {
  constructor(private readonly waitSeconds = 5) {}

  async restore(input: string): Promise<void> {
    const r = await exec('iptables-restore', ['-w', String(this.waitSeconds), '--noflush'], input);
    if (r.code !== 0) throw new Error(`iptables-restore failed (exit ${r.code}): ${r.stderr.trim()}`);
  }

  async check(table: Table, chain: string, args: readonly string[]): Promise<boolean> {
    const r = await this.iptables(['-t', table, '-C', chain, ...args]);
    if (r.code === 0) return true;
    if (r.code === 1 || NOT_THERE.test(r.stderr)) return false;
    throw new Error(`iptables -t ${table} -C ${chain} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }

  async insert(table: Table, chain: string, args: readonly string[]): Promise<void> {
    const r = await this.iptables(['-t', table, '-I', chain, ...args]);
    if (r.code !== 0) throw new Error(`iptables -t ${table} -I ${chain} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }

  async delete(table: Table, chain: string, args: readonly string[]): Promise<boolean> {
    const r = await this.iptables(['-t', table, '-D', chain, ...args]);
    if (r.code === 0) return true;
    if (r.code === 1 || NOT_THERE.test(r.stderr)) return false;
    throw new Error(`iptables -t ${table} -D ${chain} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }

  async chains(table: Table): Promise<string[]> {
    const r = await exec('iptables-save', ['-t', table]);
    if (r.code !== 0) throw new Error(`iptables-save -t ${table} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return parseSaveChains(r.stdout);
  }

  private iptables(args: string[]): Promise<ExecResult> {
    return exec('iptables', ['-w', String(this.waitSeconds), ...args]);
  }
}

/** The chain names declared in `iptables-save` output (`:NAME POLICY [p:b]`). */
export function parseSaveChains(save: string): string[] {
  const out: string[] = [];
  for (const line of save.split('\n')) {
    const m = /^:(\S+)\s/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}
