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
