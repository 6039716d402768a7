/**
 * The shape of the generated service descriptors (`./generated/services`): one `MethodDescriptor`
 * per rpc, saying where it lives on the wire and which generated message classes carry its request
 * and response. Nothing here depends on a gRPC library; `./grpc` adapts descriptors to grpc-js.
 */
import type { Reader, Writer } from 'protobufjs/minimal';

/**
 * A generated message class (e.g. `etcdserverpb.RangeRequest`), seen through the two static methods
 * a transport needs. `Props` is what `encode` accepts (plain objects with optional fields), `Message`
 * is what `decode` returns (every field present, defaults filled in).
 */
export interface MessageClass<Props = unknown, Message = unknown> {
  encode(message: Props, writer?: Writer): Writer;
  decode(reader: Reader | Uint8Array, length?: number): Message;
}

/** What `encode` of message class `C` accepts. */
export type PropsOf<C> = C extends MessageClass<infer P, unknown> ? P : never;
/** What `decode` of message class `C` returns. */
export type MessageOf<C> = C extends MessageClass<unknown, infer M> ? M : never;

export interface MethodDescriptor<
  Req extends MessageClass = MessageClass,
  Res extends MessageClass = MessageClass,
  RequestStream extends boolean = boolean,
  ResponseStream extends boolean = boolean,
> {
  /** The gRPC path, `/<package>.<Service>/<Method>`, e.g. `/etcdserverpb.KV/Range`. */
  readonly path: string;
  readonly requestStream: RequestStream;
  readonly responseStream: ResponseStream;
  readonly requestType: Req;
  readonly responseType: Res;
}

/** A service: its methods by their .proto names. */
export type ServiceDescriptor = { readonly [method: string]: MethodDescriptor };

/** `/etcdserverpb.KV/Range` → `etcdserverpb.KV`. */
export function serviceName(service: ServiceDescriptor): string {
  const first = Object.values(service)[0];
  const match = first === undefined ? null : /^\/([^/]+)\/[^/]+$/.exec(first.path);
  if (match?.[1] === undefined) throw new Error('a service descriptor needs at least one method with a /<service>/<method> path');
  return match[1];
}
