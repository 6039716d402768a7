/**
 * Randomness as an injected dependency. Everything random in a core (election timeouts, load
 * balancing choices, simulated faults) comes from an Rng, so a seed replays a run exactly.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/**
 * A small, fast, seedable generator (mulberry32). Not for cryptography; for reproducible
 * simulations and jitter.
 */
export class SeededRng implements Rng {
  private state: number;

  constructor(readonly seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** An independent generator derived from this one, so sub-systems do not perturb each other. */
  fork(): SeededRng {
    return new SeededRng(Math.floor(this.next() * 0xffffffff));
  }
}

/** Returns the same value forever; for tests that must not depend on randomness at all. */
export class FixedRng implements Rng {
  constructor(private readonly value = 0) {
    if (value < 0 || value >= 1) throw new RangeError(`a fixed random value must be in [0, 1), got ${value}`);
  }
  next(): number {
    return this.value;
  }
  int(n: number): number {
    return Math.floor(this.value * n);
  }
}

/** Math.random, for production shells that do not need replay. */
export const systemRng: Rng = {
  next: () => Math.random(),
  int: (n) => Math.floor(Math.random() * n),
};
