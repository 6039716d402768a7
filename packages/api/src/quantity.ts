/**
 * resource.Quantity: "100m", "0.5", "128Mi", "1G", "1e3". Held exactly as an integer number of
 * nano-units (bigint), so 0.1 + 0.2 is 300m and "1.5Gi" is exactly 1610612736. Precision finer than
 * a nano-unit rounds up, as in Kubernetes. Formatting is Kubernetes' canonical form, keeping the
 * input's family (binary, decimal, exponent): "1.5Gi" → "1536Mi", "0.5" → "500m", "1000" → "1k".
 */
import { InvalidArgumentError } from '@mk/shared';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

const NANO = 1_000_000_000n;
/** Exponents beyond this are refused: no real resource needs them and 10^1e9 must not be computed. */
const MAX_EXPONENT = 40;

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binaryByExponent = new Map(Object.entries(binarySuffixes).map(([s, e]) => [e, s]));

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** a / b rounded away from zero (b > 0). */
function divAwayFromZero(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n ? q : a < 0n ? q - 1n : q + 1n;
}

/** a / b rounded towards +infinity (b > 0). */
function divCeil(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

export class Quantity {
  private constructor(
    /** The value in nano-units (1 = 10^-9). */
    readonly nanos: bigint,
    readonly format: QuantityFormat,
  ) {}

  static readonly zero = new Quantity(0n, 'DecimalSI');

  /** Parses a quantity string (or a JSON number, as decoding allows); throws InvalidArgumentError. */
  static parse(input: string | number): Quantity {
    const q = Quantity.tryParse(input);
    if (typeof q === 'string') throw new InvalidArgumentError(q, { quantity: String(input) });
    return q;
  }

  /** The parsed quantity, or the error message. */
  static tryParse(input: string | number): Quantity | string {
    const s = typeof input === 'number' ? numberToString(input) : input;
    const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(s);
    if (!m || s === '') return QUANTITY_FORMAT_ERROR;
    const [, sign = '', whole = '', frac = '', suffix = ''] = m;
    if (whole === '' && frac === '') return QUANTITY_FORMAT_ERROR;
    if (!/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) return QUANTITY_FORMAT_ERROR;

    let format: QuantityFormat;
    let exp10 = 0;
    let exp2 = 0;
    if (suffix in binarySuffixes) {
      format = 'BinarySI';
      exp2 = binarySuffixes[suffix] as number;
    } else if (suffix in decimalSuffixes) {
      format = 'DecimalSI';
      exp10 = decimalSuffixes[suffix] as number;
    } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
      format = 'DecimalExponent';
      exp10 = Number(suffix.slice(1));
      if (Math.abs(exp10) > MAX_EXPONENT) return `quantity exponent out of range: ${s}`;
    } else {
      return QUANTITY_SUFFIX_ERROR;
    }

    // value = digits × 10^(exp10 - frac.length) × 2^exp2, in nano-units: × 10^9.
    const num = BigInt(`${whole}${frac}` || '0') * 2n ** BigInt(exp2);
    const scale = exp10 - frac.length + 9;
    let nanos = scale >= 0 ? num * pow10(scale) : divAwayFromZero(num, pow10(-scale));
    if (sign === '-') nanos = -nanos;
    return new Quantity(nanos, format);
  }

  static fromNanos(nanos: bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(nanos, format);
  }

  /** A quantity of whole milli-units, e.g. CPU millicores: fromMilli(250) is "250m". */
  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli) * 1_000_000n, format);
  }

  /** A quantity of whole units, e.g. bytes: fromValue(1024, 'BinarySI') is "1Ki". */
  static fromValue(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value) * NANO, format);
  }

  /** The value in whole units, rounded up (Kubernetes' Value()): bytes, cores, pods. */
  value(): number {
    return Number(divCeil(this.nanos, NANO));
  }

  /** The value in milli-units, rounded up (Kubernetes' MilliValue()): millicores. */
  milliValue(): number {
    return Number(divCeil(this.nanos, 1_000_000n));
  }

  /** The value as a float, for ratios and percentages only. */
  approximate(): number {
    return Number(this.nanos) / 1e9;
  }

  sign(): -1 | 0 | 1 {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }

  isZero(): boolean {
    return this.nanos === 0n;
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** Sum, in this quantity's format (Kubernetes keeps the receiver's format too). */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }

  /** The canonical string. */
  toString(): string {
    const n = this.nanos;
    if (n === 0n) return '0';
    const sign = n < 0n ? '-' : '';
    const a = abs(n);
    if (this.format === 'BinarySI' && a >= 1024n * NANO && a % NANO === 0n) {
      // The largest power of 1024 that divides the value; small values read better as decimals.
      let units = a / NANO;
      let exp = 0;
      while (exp < 60 && units % 1024n === 0n) {
        units /= 1024n;
        exp += 10;
      }
      return `${sign}${units}${binaryByExponent.get(exp) ?? ''}`;
    }
    // Decimal: the largest multiple-of-3 exponent that leaves an integer mantissa.
    let mantissa = a;
    let exp = -9;
    const maxExp = this.format === 'DecimalExponent' ? Infinity : 18; // "E" is the largest SI suffix
    while (exp < maxExp && mantissa % 1000n === 0n) {
      mantissa /= 1000n;
      exp += 3;
    }
    if (this.format === 'DecimalExponent') return `${sign}${mantissa}${exp === 0 ? '' : `e${exp}`}`;
    return `${sign}${mantissa}${decimalByExponent.get(exp) ?? ''}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function numberToString(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  // JS prints 1e21 and above with an exponent ("1e+21"), which the grammar spells "1e21".
  return String(n).replace('e+', 'e');
}

/** Parses a quantity; throws InvalidArgumentError with Kubernetes' message. */
export function parseQuantity(input: string | number): Quantity {
  return Quantity.parse(input);
}

/** Kubernetes' error message for a malformed quantity, or undefined when it parses. */
export function quantityError(input: string | number): string | undefined {
  const q = Quantity.tryParse(input);
  return typeof q === 'string' ? q : undefined;
}

/** Compares two quantity strings: -1, 0 or 1. Throws on malformed input. */
export function compareQuantities(a: string | number, b: string | number): -1 | 0 | 1 {
  return Quantity.parse(a).cmp(Quantity.parse(b));
}

/** The canonical form of a quantity string ("0.5" → "500m", "1.5Gi" → "1536Mi"). */
export function canonicalQuantity(input: string | number): string {
  return Quantity.parse(input).toString();
}
