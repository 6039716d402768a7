/**
 * IntOrString: a number, a named port, or a percentage. Percentages scale against a total the way
 * Kubernetes' intstr.GetScaledValueFromIntOrPercent does.
 */
import { InvalidArgumentError } from '@mk/shared';
import type { IntOrString } from './types/meta';

export type { IntOrString };

export function isPercent(v: IntOrString): v is string {
  return typeof v === 'string' && /^[0-9]+%$/.test(v);
}

/**
 * The integer value of `v` against `total`: an integer as is, "25%" of `total`, rounded up or down.
 * Throws for any other string, with Kubernetes' message.
 */
export function scaledValue(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (!v.endsWith('%')) {
    throw new InvalidArgumentError(`invalid value for IntOrString: invalid type: string is not a percentage`, { value: v });
  }
  const digits = v.slice(0, -1);
  if (!/^-?[0-9]+$/.test(digits)) {
    throw new InvalidArgumentError(`invalid value ${JSON.stringify(v)}: strconv.Atoi: parsing ${JSON.stringify(digits)}: invalid syntax`, {
      value: v,
    });
  }
  const scaled = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * A rolling update's bounds (Kubernetes' ResolveFenceposts): how many pods above `desired` may
 * exist (surge, rounded up) and how many below it may be unavailable (rounded down). Both zero
 * would stall the rollout, so unavailable becomes 1.
 */
export function resolveFenceposts(
  maxSurge: IntOrString | undefined,
  maxUnavailable: IntOrString | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** A port given as a number or a name, resolved against named ports (a container's ports). */
export function resolvePort(
  port: IntOrString,
  named: readonly { name?: string; containerPort: number }[],
): number | undefined {
  if (typeof port === 'number') return port;
  if (/^[0-9]+$/.test(port)) return Number(port);
  return named.find((p) => p.name === port)?.containerPort;
}
