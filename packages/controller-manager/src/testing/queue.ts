/** Takes every key that is queued and due now, in order (and marks each done). */
export async function drain(c: { queue: { len(): number; get(): Promise<string | undefined>; done(k: string): void } }): Promise<string[]> {
  const out: string[] = [];
  while (c.queue.len() > 0) {
    const k = await c.queue.get();
    if (k === undefined) break;
    out.push(k);
    c.queue.done(k);
  }
  return out;
}

/** Syncs every queued key (and those the syncs queue) until the queue is empty; returns the keys synced. */
export async function runQueue(c: { queue: { len(): number; get(): Promise<string | undefined>; done(k: string): void }; sync(key: string): Promise<void> }, max = 1000): Promise<string[]> {
  const out: string[] = [];
  while (c.queue.len() > 0) {
    if (out.length >= max) throw new Error('queue did not drain');
    const k = await c.queue.get();
    if (k === undefined) break;
    out.push(k);
    try {
      await c.sync(k);
    } finally {
      c.queue.done(k);
    }
  }
  return out;
}
