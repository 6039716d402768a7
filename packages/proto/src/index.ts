/**
 * Wire formats generated from proto/ (see scripts/gen-proto.js). uint64 fields are plain numbers:
 * `./runtime` configures protobufjs for that and must be imported before the generated code.
 */
import './runtime';

export { raftpb } from './generated/protos';
