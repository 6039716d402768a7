/**
 * Node IPAM (Kubernetes' nodeipam controller, range allocator): every Node without
 * spec.podCIDR gets a distinct subnet of the cluster CIDR (default 10.244.0.0/16 cut into /24s) in
 * spec.podCIDR and spec.podCIDRs. Nothing is stored but the Nodes: the allocations are rebuilt
 * from them when a controller manager starts leading, and a deleted Node's subnet is free again.
 */
import { type Node, keyOf } from '@mk/api';
import { deletedObject, isNotFound } from '@mk/client';
import { Controller } from '../controller';
import type { ControllerContext, InformerLike } from '../types';
import { CidrSet } from '../util/cidr';

export interface NodeIpamOptions {
  clusterCidr?: string;
  nodeCidrMaskSize?: number;
}

export const NODE_IPAM_DEFAULTS = { clusterCidr: '10.244.0.0/16', nodeCidrMaskSize: 24 } as const;

export class NodeIpamController extends Controller {
  readonly cidrs: CidrSet;
  private readonly nodes: InformerLike<Node>;
  /** Subnets handed to a node whose write has not reached the cache (or failed and will be retried). */
  private readonly pending = new Map<string, string>();

  constructor(ctx: ControllerContext, opts: NodeIpamOptions = {}) {
    super('nodeipam', ctx);
    this.cidrs = new CidrSet(opts.clusterCidr ?? NODE_IPAM_DEFAULTS.clusterCidr, opts.nodeCidrMaskSize ?? NODE_IPAM_DEFAULTS.nodeCidrMaskSize);
    this.nodes = ctx.informers.informer<Node>('nodes');
    // Handlers run for every node of the first list before any worker starts: by then every
    // subnet in use is marked.
    this.nodes.addEventHandler({
      onAdd: (n) => this.observe(n),
      onUpdate: (_o, n) => this.observe(n),
      onDelete: (obj) => {
        const n = deletedObject(obj);
        const name = n.metadata.name ?? '';
        const cidr = n.spec?.podCIDR ?? this.pending.get(name);
        this.pending.delete(name);
        if (cidr && !this.nodes.store.list().some((o) => o.spec?.podCIDR === cidr)) {
          this.cidrs.release(cidr);
          this.log.info('released the pod CIDR of a deleted node', { node: name, cidr });
        }
      },
    });
  }

  informerResources(): readonly string[] {
    return ['nodes'];
  }

  private observe(n: Node): void {
    const name = n.metadata.name ?? '';
    const cidr = n.spec?.podCIDR;
    if (cidr) {
      if (!this.cidrs.occupy(cidr)) this.log.warn('node has a pod CIDR outside the cluster CIDR', { node: name, cidr, clusterCidr: this.cidrs.clusterCidr });
      const mine = this.pending.get(name);
      if (mine && mine !== cidr) this.cidrs.release(mine);
      this.pending.delete(name);
      return;
    }
    this.enqueue(keyOf(n));
  }

  async sync(name: string): Promise<void> {
    const node = this.nodes.store.get(name);
    if (!node || node.spec?.podCIDR) return;
    let cidr = this.pending.get(name);
    if (!cidr) {
      cidr = this.cidrs.allocateNext();
      if (!cidr) {
        this.ctx.recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
        throw new Error(`no pod CIDR left in ${this.cidrs.clusterCidr} (/${this.cidrs.maskSize}) for node ${name}`);
      }
      this.pending.set(name, cidr);
    }
    try {
      await this.ctx.client.update<Node>('nodes', { ...node, spec: { ...(node.spec ?? {}), podCIDR: cidr, podCIDRs: [cidr] } });
      this.log.info('assigned a pod CIDR', { node: name, cidr });
      this.ctx.recorder.event(node, 'Normal', 'CIDRAssignmentSucceeded', `Assigned pod CIDR ${cidr} to node ${name}`);
    } catch (e) {
      if (isNotFound(e)) {
        this.pending.delete(name);
        this.cidrs.release(cidr);
        return;
      }
      throw e; // retried with the same subnet
    }
  }
}
