// @mk/proxy: Services as iptables rules (ClusterIP, NodePort) and cluster DNS, on every node.
export * from './rules';
export * from './iptables';
export * from './proxier';
export * from './dns';
export * from './metrics';
