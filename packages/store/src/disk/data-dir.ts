import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataLossError, FailedPreconditionError, Logger } from '@mk/shared';
import { Level } from 'level';
import { DiskOp, FORMAT, KEY_FORMAT, KEY_MEMBER, text, untext } from './keys';

/** Who a data dir belongs to; written once, when the member first starts. */
export interface MemberIdentity {
  name: string;
  memberId: number;
  clusterId: number;
}

export type Db = Level<Uint8Array, Uint8Array>;

/**
 * An mk-store data dir: `<dir>/db` is a LevelDB holding the Raft log and the applied state. Opening
 * refuses anything that is not ours or is damaged, with a message saying what was found, and never
 * changes such a directory.
 */
export class DataDir {
  private constructor(
    readonly dir: string,
    readonly db: Db,
    /** True when this start created the database. */
    readonly fresh: boolean,
  ) {}

  static async open(dir: string, logger: Logger): Promise<DataDir> {
    const dbPath = path.join(dir, 'db');
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory()) throw new FailedPreconditionError(`data dir ${dir} is not a directory`);
      const found = readdirSync(dir).filter((f) => f !== 'db' && f !== 'lost+found');
      if (!existsSync(dbPath) && found.length > 0) {
        const hint = found.includes('member') ? ' (it looks like an etcd data dir: mk-store cannot read those)' : '';
        throw new FailedPreconditionError(
          `refusing data dir ${dir}: it is not empty and holds no mk-store database${hint}; found ${found.slice(0, 5).join(', ')}`,
        );
      }
    } else {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    const fresh = !existsSync(dbPath);
    const db: Db = new Level<Uint8Array, Uint8Array>(dbPath, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: fresh });
    try {
      await db.open();
    } catch (e) {
      const cause = (e as { cause?: { message?: string; code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED' || /lock .*(temporarily unavailable|held)/i.test(cause?.message ?? '')) {
        throw new FailedPreconditionError(`data dir ${dir} is in use by another process (is another mk-store running with --data-dir ${dir}?)`);
      }
      throw new DataLossError(
        `cannot open the database in data dir ${dir}: ${cause?.message ?? (e as Error).message}. The data dir is damaged; restore the member from a snapshot or remove it from the cluster and add it anew`,
      );
    }
    const marker = await db.get(KEY_FORMAT);
    if (fresh) {
      await db.put(KEY_FORMAT, text(FORMAT), { sync: true });
    } else if (marker === undefined) {
      await db.close();
      throw new FailedPreconditionError(`refusing data dir ${dir}: ${dbPath} is a LevelDB database but not an mk-store one (no format marker)`);
    } else if (untext(marker) !== FORMAT) {
      await db.close();
      throw new FailedPreconditionError(`refusing data dir ${dir}: its format is '${untext(marker)}', this mk-store reads '${FORMAT}'`);
    }
    logger.info(fresh ? 'created data dir' : 'opened data dir', { dir });
    return new DataDir(dir, db, fresh);
  }

  async identity(): Promise<MemberIdentity | undefined> {
    const raw = await this.db.get(KEY_MEMBER);
    if (raw === undefined) return undefined;
    try {
      const v = JSON.parse(untext(raw)) as MemberIdentity;
      if (typeof v.name !== 'string' || !Number.isSafeInteger(v.memberId) || !Number.isSafeInteger(v.clusterId)) throw new Error('bad shape');
      return v;
    } catch {
      throw new DataLossError(`data dir ${this.dir}: the member identity record is damaged`);
    }
  }

  identityOp(id: MemberIdentity): DiskOp {
    return { type: 'put', key: KEY_MEMBER, value: text(JSON.stringify(id)) };
  }

  async write(ops: DiskOp[], sync: boolean): Promise<void> {
    if (ops.length === 0) return;
    // A chained batch: abstract-level's array form costs several times more CPU per operation.
    const batch = this.db.batch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    await batch.write({ sync });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
