/**
 * An in-memory Iptables: chains and rules per table, as iptables-restore --noflush and
 * iptables -C/-I/-D would leave them (rules are the `-A` lines' text). Records every call; a
 * test can make the next calls fail.
 */
import type { Iptables } from '../iptables';
import type { Table } from '../rules';

const BUILTIN: Record<Table, string[]> = { nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], filter: ['INPUT', 'FORWARD', 'OUTPUT'] };

export class FakeIptables implements Iptables {
  readonly tables: Record<Table, Map<string, string[]>> = {
    nat: new Map(BUILTIN.nat.map((c) => [c, []])),
    filter: new Map(BUILTIN.filter.map((c) => [c, []])),
  };
  readonly calls: string[] = [];
  readonly restores: string[] = [];
  /** The next this-many calls throw. */
  failNext = 0;

  async restore(input: string): Promise<void> {
    this.call('restore');
    this.restores.push(input);
    let table: Map<string, string[]> | undefined;
    const deletes: Array<[Map<string, string[]>, string]> = [];
    for (const line of input.split('\n')) {
      if (line.startsWith('*')) table = this.tables[line.slice(1) as Table];
      else if (line.startsWith(':')) table!.set(line.slice(1).split(' ')[0]!, []);
      else if (line.startsWith('-A ')) {
        const [, chain, ...rest] = line.split(' ');
        if (!table!.has(chain!)) throw new Error(`restore: no chain ${chain}`);
        table!.get(chain!)!.push(rest.join(' '));
      } else if (line.startsWith('-X ')) deletes.push([table!, line.slice(3)]);
    }
    for (const [t, c] of deletes) {
      for (const rules of t.values()) if (rules.some((r) => r.endsWith(`-j ${c}`))) throw new Error(`restore: chain ${c} is still referenced`);
      t.delete(c);
    }
  }

  async check(table: Table, chain: string, args: readonly string[]): Promise<boolean> {
    this.call(`check ${table} ${chain}`);
    return (this.tables[table].get(chain) ?? []).includes(args.join(' '));
  }

  async insert(table: Table, chain: string, args: readonly string[]): Promise<void> {
    this.call(`insert ${table} ${chain}`);
    const target = args[args.length - 1]!;
    if (!this.tables[table].has(target)) throw new Error(`insert: no chain ${target}`);
    this.tables[table].get(chain)!.unshift(args.join(' '));
  }

  async delete(table: Table, chain: string, args: readonly string[]): Promise<boolean> {
    this.call(`delete ${table} ${chain}`);
    const rules = this.tables[table].get(chain) ?? [];
    const i = rules.indexOf(args.join(' '));
    if (i < 0) return false;
    rules.splice(i, 1);
    return true;
  }

  async chains(table: Table): Promise<string[]> {
    this.call(`chains ${table}`);
    return [...this.tables[table].keys()];
  }

  /** Chains of a table whose name starts with MK-. */
  ours(table: Table): string[] {
    return [...this.tables[table].keys()].filter((c) => c.startsWith('MK-'));
  }

  rules(table: Table, chain: string): string[] {
    return this.tables[table].get(chain) ?? [];
  }

  private call(what: string): void {
    this.calls.push(what);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error(`injected failure: ${what}`);
    }
  }
}
