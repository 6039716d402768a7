/** /metrics of mk-proxy, in kube-proxy's names where one exists. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DnsObserver, RcodeName } from './dns';
import type { ProxierObserver, SyncResult } from './proxier';

export class ProxyMetrics implements ProxierObserver, DnsObserver {
  readonly registry = new Registry();
  private readonly syncs: Counter<'result'>;
  private readonly syncDuration: Histogram;
  private readonly rules: Gauge<'table'>;
  private readonly servicePorts: Gauge;
  private readonly lastSync: Gauge;
  private readonly dnsQueries: Counter<'transport' | 'rcode'>;

  constructor(processMetrics = true) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.syncs = new Counter({ name: 'mkproxy_sync_proxy_rules_total', help: 'Full syncs of the proxy rules, by result.', labelNames: ['result'] as const, registers });
    this.syncDuration = new Histogram({
      name: 'kubeproxy_sync_proxy_rules_duration_seconds',
      help: 'How long a full sync of the proxy rules took.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.rules = new Gauge({ name: 'kubeproxy_sync_proxy_rules_iptables_total', help: 'Rules written by the last successful sync, per table.', labelNames: ['table'] as const, registers });
    this.servicePorts = new Gauge({ name: 'mkproxy_service_ports', help: 'Service ports with rules after the last successful sync.', registers });
    this.lastSync = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: 'When the last successful sync ended (Unix seconds).', registers });
    this.dnsQueries = new Counter({ name: 'mkproxy_dns_queries_total', help: 'DNS queries answered (or dropped), by transport and response code.', labelNames: ['transport', 'rcode'] as const, registers });
  }

  syncDone(r: SyncResult): void {
    this.syncs.inc({ result: r.ok ? 'success' : 'error' });
    this.syncDuration.observe(r.durationMs / 1000);
    if (!r.ok) return;
    this.rules.set({ table: 'nat' }, r.ruleCounts?.nat ?? 0);
    this.rules.set({ table: 'filter' }, r.ruleCounts?.filter ?? 0);
    this.servicePorts.set(r.servicePorts ?? 0);
    this.lastSync.setToCurrentTime();
  }

  query(transport: 'udp' | 'tcp', rcode: RcodeName | 'dropped'): void {
    this.dnsQueries.inc({ transport, rcode });
  }
}
