/**
 * Adapts the generated service descriptors (`services` from ./generated/services) to @grpc/grpc-js,
 * with types that follow each method's messages and streaming kind:
 *
 *   const server = new grpc.Server();
 *   addService(server, services.etcdserverpb.KV, {
 *     Range(call, callback) { callback(null, { header, kvs, count }); },  // call.request: RangeRequest
 *   });
 *
 *   const KVClient = makeClientConstructor(services.etcdserverpb.KV);
 *   const kv = new KVClient('127.0.0.1:2379', grpc.credentials.createInsecure());
 *   const res = await unaryCall(kv.Range.bind(kv), { key: Buffer.from('foo') });  // RangeResponse
 *
 * Messages go over the wire exactly as the generated code encodes them (`Type.encode(m).finish()`),
 * so the bytes are those of the .proto files' field numbers.
 */
import * as grpc from '@grpc/grpc-js';
import { type MessageClass, type MessageOf, type MethodDescriptor, type PropsOf, type ServiceDescriptor, serviceName } from './descriptor';

// What each side handles for method M: the receiver gets decoded messages (every field present),
// the sender may give plain objects with optional fields.
type RequestOf<M> = M extends MethodDescriptor<infer Q, MessageClass, boolean, boolean> ? MessageOf<Q> : never;
type RequestPropsOf<M> = M extends MethodDescriptor<infer Q, MessageClass, boolean, boolean> ? PropsOf<Q> : never;
type ResponseOf<M> = M extends MethodDescriptor<MessageClass, infer S, boolean, boolean> ? MessageOf<S> : never;
type ResponsePropsOf<M> = M extends MethodDescriptor<MessageClass, infer S, boolean, boolean> ? PropsOf<S> : never;

/** The grpc-js handler a server provides for method M (unary, server-, client- or bidi-streaming). */
export type Handler<M> =
  M extends MethodDescriptor<MessageClass, MessageClass, true, true>
    ? grpc.handleBidiStreamingCall<RequestOf<M>, ResponsePropsOf<M>>
    : M extends MethodDescriptor<MessageClass, MessageClass, true, false>
      ? grpc.handleClientStreamingCall<RequestOf<M>, ResponsePropsOf<M>>
      : M extends MethodDescriptor<MessageClass, MessageClass, false, true>
        ? grpc.handleServerStreamingCall<RequestOf<M>, ResponsePropsOf<M>>
        : grpc.handleUnaryCall<RequestOf<M>, ResponsePropsOf<M>>;

/** A server's implementation of service S: one handler per method, under the .proto method name. */
export type ServiceImplementation<S extends ServiceDescriptor> = { [K in keyof S]: Handler<S[K]> };

type CallOptions = Partial<grpc.CallOptions>;

export interface UnaryMethod<Req, Res> {
  (request: Req, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
  (request: Req, metadata: grpc.Metadata, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
  (request: Req, options: CallOptions, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
  (request: Req, metadata: grpc.Metadata, options: CallOptions, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
}
export interface ServerStreamingMethod<Req, Res> {
  (request: Req, options?: CallOptions): grpc.ClientReadableStream<Res>;
  (request: Req, metadata: grpc.Metadata, options?: CallOptions): grpc.ClientReadableStream<Res>;
}
export interface ClientStreamingMethod<Req, Res> {
  (callback: grpc.requestCallback<Res>): grpc.ClientWritableStream<Req>;
  (metadata: grpc.Metadata, callback: grpc.requestCallback<Res>): grpc.ClientWritableStream<Req>;
  (options: CallOptions, callback: grpc.requestCallback<Res>): grpc.ClientWritableStream<Req>;
  (metadata: grpc.Metadata, options: CallOptions, callback: grpc.requestCallback<Res>): grpc.ClientWritableStream<Req>;
}
export interface BidiStreamingMethod<Req, Res> {
  (options?: CallOptions): grpc.ClientDuplexStream<Req, Res>;
  (metadata: grpc.Metadata, options?: CallOptions): grpc.ClientDuplexStream<Req, Res>;
}

/** The client-side function for method M. */
export type ClientMethod<M> =
  M extends MethodDescriptor<MessageClass, MessageClass, true, true>
    ? BidiStreamingMethod<RequestPropsOf<M>, ResponseOf<M>>
    : M extends MethodDescriptor<MessageClass, MessageClass, true, false>
      ? ClientStreamingMethod<RequestPropsOf<M>, ResponseOf<M>>
      : M extends MethodDescriptor<MessageClass, MessageClass, false, true>
        ? ServerStreamingMethod<RequestPropsOf<M>, ResponseOf<M>>
        : UnaryMethod<RequestPropsOf<M>, ResponseOf<M>>;

/** A grpc-js client for service S, with one method per rpc under its .proto name. */
export type ServiceClient<S extends ServiceDescriptor> = grpc.Client & { readonly [K in keyof S]: ClientMethod<S[K]> };

export interface ServiceClientConstructor<S extends ServiceDescriptor> {
  new (address: string, credentials: grpc.ChannelCredentials, options?: Partial<grpc.ChannelOptions>): ServiceClient<S>;
  readonly service: grpc.ServiceDefinition;
  readonly serviceName: string;
}

/** protobufjs' writer gives a Buffer under Node already; this only avoids trusting that. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The grpc-js definition of service S: paths, streaming kinds and protobuf (de)serializers. */
export function serviceDefinition<S extends ServiceDescriptor>(service: S): grpc.ServiceDefinition<ServiceImplementation<S>> {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service)) {
    const { requestType, responseType } = method;
    definition[name] = {
      path: method.path,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: (message) => toBuffer(requestType.encode(message).finish()),
      requestDeserialize: (bytes) => requestType.decode(bytes),
      responseSerialize: (message) => toBuffer(responseType.encode(message).finish()),
      responseDeserialize: (bytes) => responseType.decode(bytes),
    };
  }
  return definition as grpc.ServiceDefinition<ServiceImplementation<S>>;
}

/**
 * Registers an implementation of service S on `server`. A method left out answers UNIMPLEMENTED
 * (grpc-js' default), which is how a server declines an rpc it does not support.
 */
export function addService<S extends ServiceDescriptor>(
  server: grpc.Server,
  service: S,
  implementation: Partial<ServiceImplementation<S>>,
): void {
  server.addService(serviceDefinition(service), implementation as grpc.UntypedServiceImplementation);
}

/** A client class for service S (grpc-js' makeGenericClientConstructor, typed). */
export function makeClientConstructor<S extends ServiceDescriptor>(service: S): ServiceClientConstructor<S> {
  return grpc.makeGenericClientConstructor(serviceDefinition(service), serviceName(service)) as unknown as ServiceClientConstructor<S>;
}

/**
 * Calls a unary method and returns a promise of its response; a failure rejects with the
 * grpc.ServiceError (its `code` is the gRPC status). Pass the method bound to its client:
 * `unaryCall(kv.Range.bind(kv), request)`.
 */
export function unaryCall<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  options: { metadata?: grpc.Metadata; callOptions?: CallOptions } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, options.metadata ?? new grpc.Metadata(), options.callOptions ?? {}, (err, response) => {
      if (err) reject(err);
      else if (response === undefined) reject(new Error('unary call finished without a response'));
      else resolve(response);
    });
  });
}
