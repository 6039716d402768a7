/** The pod network: a Docker bridge network per node, with the node's pod CIDR (pure part). */
import { FailedPreconditionError, InvalidArgumentError } from '@mk/shared';

export interface PodNetworkSpec {
  /** The Docker network's name (what SandboxConfig.network names). */
  name: string;
  /** The node's pod CIDR, e.g. 10.244.1.0/24. */
  subnet: string;
  /** The bridge's own address inside the subnet, e.g. 10.244.1.1. */
  gateway: string;
  /** The Linux bridge's name (at most 15 characters), e.g. mk-pods. */
  bridge: string;
  /** No traffic leaves the bridge (Docker's internal network): for tests that must stay on the machine. */
  internal?: boolean;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(value: string, what: string): number {
  const m = IPV4.exec(value);
  const octets = m?.slice(1).map(Number);
  if (octets === undefined || octets.some((o) => o > 255)) {
    throw new InvalidArgumentError(`${what} ${JSON.stringify(value)} is not an IPv4 address`);
  }
  return octets.reduce((n, o) => n * 256 + o, 0);
}

/** Throws naming the field that is wrong. */
export function validatePodNetworkSpec(spec: PodNetworkSpec): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(spec.name)) {
    throw new InvalidArgumentError(`pod network name ${JSON.stringify(spec.name)} is not a valid Docker network name`);
  }
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(spec.bridge)) {
    throw new InvalidArgumentError(`bridge name ${JSON.stringify(spec.bridge)} must be 1-15 letters, digits, '_', '.' or '-'`);
  }
  const [address = '', prefixText = '', ...rest] = spec.subnet.split('/');
  const prefix = Number(prefixText);
  if (rest.length > 0 || !/^\d{1,2}$/.test(prefixText) || prefix > 30) {
    throw new InvalidArgumentError(`subnet ${JSON.stringify(spec.subnet)} is not an IPv4 CIDR with a prefix of at most /30`);
  }
  const base = ipv4(address, 'subnet address');
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) {
    throw new InvalidArgumentError(`subnet ${spec.subnet} has host bits set`);
  }
  const gw = ipv4(spec.gateway, 'gateway');
  if (gw <= base || gw >= base + size - 1) {
    throw new InvalidArgumentError(`gateway ${spec.gateway} is not a host address inside ${spec.subnet}`);
  }
}

/** What Docker holds under the network's name. */
export interface ExistingNetwork {
  subnets: string[];
  /** Containers attached to it. */
  containers: number;
}

export type NetworkPlan = 'create' | 'keep' | 'recreate';

/** Keep a network with the same subnet; replace one with another subnet only while nothing uses it. */
export function planPodNetwork(spec: PodNetworkSpec, existing: ExistingNetwork | undefined): NetworkPlan {
  if (existing === undefined) return 'create';
  if (existing.subnets.includes(spec.subnet)) return 'keep';
  if (existing.containers === 0) return 'recreate';
  throw new FailedPreconditionError(
    `Docker network ${spec.name} exists with subnet ${existing.subnets.join(', ') || '(none)'}, not ${spec.subnet}, ` +
      `and ${existing.containers} container(s) use it: remove them (or the network) first`,
  );
}
