import * as grpc from '@grpc/grpc-js';
import { ServiceClient, etcdserverpb, makeClientConstructor, services, unaryCall } from '@mk/proto';

const KVClient = makeClientConstructor(services.etcdserverpb.KV);
const MaintenanceClient = makeClientConstructor(services.etcdserverpb.Maintenance);
const WatchClient = makeClientConstructor(services.etcdserverpb.Watch);

const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array | null | undefined): string => (b ? dec.decode(b) : '');

/**
 * A minimal etcd v3 client for tests: one member, explicit deadlines, no retries (the test decides
 * what a failure means). Speaks the same wire protocol as etcdctl.
 */
export class EtcdTestClient {
  readonly kv: ServiceClient<typeof services.etcdserverpb.KV>;
  readonly maintenance: ServiceClient<typeof services.etcdserverpb.Maintenance>;
  readonly watch: ServiceClient<typeof services.etcdserverpb.Watch>;

  constructor(readonly endpoint: string) {
    const creds = grpc.credentials.createInsecure();
    this.kv = new KVClient(endpoint, creds);
    this.maintenance = new MaintenanceClient(endpoint, creds);
    this.watch = new WatchClient(endpoint, creds);
  }

  private opts(timeoutMs: number) {
    return { callOptions: { deadline: Date.now() + timeoutMs } };
  }

  get(key: string, timeoutMs = 3000): Promise<etcdserverpb.RangeResponse> {
    return unaryCall(this.kv.Range.bind(this.kv), { key: bytes(key) }, this.opts(timeoutMs));
  }

  put(key: string, value: string, timeoutMs = 3000): Promise<etcdserverpb.PutResponse> {
    return unaryCall(this.kv.Put.bind(this.kv), { key: bytes(key), value: bytes(value) }, this.opts(timeoutMs));
  }

  /** Compare-and-set: put `value` if the key's value is `expected`. */
  cas(key: string, expected: string, value: string, timeoutMs = 3000): Promise<etcdserverpb.TxnResponse> {
    return unaryCall(
      this.kv.Txn.bind(this.kv),
      {
        compare: [{ key: bytes(key), target: etcdserverpb.Compare.CompareTarget.VALUE, result: etcdserverpb.Compare.CompareResult.EQUAL, value: bytes(expected) }],
        success: [{ requestPut: { key: bytes(key), value: bytes(value) } }],
      },
      this.opts(timeoutMs),
    );
  }

  status(timeoutMs = 2000): Promise<etcdserverpb.StatusResponse> {
    return unaryCall(this.maintenance.Status.bind(this.maintenance), {}, this.opts(timeoutMs));
  }

  close(): void {
    this.kv.close();
    this.maintenance.close();
    this.watch.close();
  }
}
