/**
 * Waiting in tests over real sockets: polls a condition (real time passes only so that I/O can
 * happen; nothing is asserted about how long it takes). `step` runs before each poll, e.g. to
 * advance a FakeClock so back-off timers fire.
 */
export async function waitFor(cond: () => boolean, what: string, opts: { step?: () => void; limitMs?: number } = {}): Promise<void> {
  const limit = Date.now() + (opts.limitMs ?? 10_000);
  for (;;) {
    if (cond()) return;
    if (Date.now() > limit) throw new Error(`gave up waiting for ${what}`);
    opts.step?.();
    await new Promise((r) => setTimeout(r, 5));
  }
}
