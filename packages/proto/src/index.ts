/**
 * Wire formats generated from proto/ (see scripts/gen-proto.js): the messages of every package
 * (mk's raftpb, mkstorepb, mkapi and mkkubelet; etcd v3.4's etcdserverpb, mvccpb, authpb), the gRPC service descriptors, and the
 * helpers that serve and call those services with @grpc/grpc-js.
 *
 * 64-bit integers are plain numbers: `./runtime` configures protobufjs for that and must be
 * imported before the generated code.
 */
import './runtime';

export { authpb, etcdserverpb, mkapi, mkkubelet, mkstorepb, mvccpb, raftpb } from './generated/protos';
export { services } from './generated/services';
export type { MessageClass, MessageOf, MethodDescriptor, PropsOf, ServiceDescriptor } from './descriptor';
export { serviceName } from './descriptor';
export {
  addService,
  makeClientConstructor,
  serviceDefinition,
  unaryCall,
  type BidiStreamingMethod,
  type ClientMethod,
  type ClientStreamingMethod,
  type Handler,
  type ServerStreamingMethod,
  type ServiceClient,
  type ServiceClientConstructor,
  type ServiceImplementation,
  type UnaryMethod,
} from './grpc';
