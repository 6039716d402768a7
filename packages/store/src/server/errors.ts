import * as grpc from '@grpc/grpc-js';
import { ProposalDroppedError } from '@mk/raft';
import { ErrorCode, MkError } from '@mk/shared';

/**
 * etcd's client-visible errors (etcdserver/api/v3rpc/rpctypes): the gRPC code and the exact
 * message, which etcdctl prints and clients match on.
 */
export class EtcdError extends MkError {}

const err = (code: ErrorCode, message: string) => () => new EtcdError(code, message);

export const Errors = {
  noLeader: err(ErrorCode.Unavailable, 'etcdserver: no leader'),
  timeout: err(ErrorCode.Unavailable, 'etcdserver: request timed out'),
  stopped: err(ErrorCode.Unavailable, 'etcdserver: server stopped'),
  requestTooLarge: err(ErrorCode.InvalidArgument, 'etcdserver: request is too large'),
  memberNotFound: err(ErrorCode.NotFound, 'etcdserver: member not found'),
  memberExists: err(ErrorCode.FailedPrecondition, 'etcdserver: member ID already exist'),
  peerUrlExists: err(ErrorCode.FailedPrecondition, 'etcdserver: Peer URLs already exists'),
  memberNotLearner: err(ErrorCode.FailedPrecondition, 'etcdserver: can only promote a learner member'),
  learnerNotSupported: err(ErrorCode.Unimplemented, 'etcdserver: learner members are not supported by mk-store'),
  unhealthyCluster: err(ErrorCode.Unavailable, 'etcdserver: unhealthy cluster'),
  notLeader: err(ErrorCode.FailedPrecondition, 'etcdserver: not leader'),
  badLeaderTransferee: err(ErrorCode.FailedPrecondition, 'etcdserver: bad leader transferee'),
  leaseNotFound: err(ErrorCode.NotFound, 'etcdserver: requested lease not found'),
  authNotEnabled: err(ErrorCode.FailedPrecondition, 'etcdserver: authentication is not enabled'),
  invalidPeerUrl: (url: string) => new EtcdError(ErrorCode.InvalidArgument, `etcdserver: invalid peer URL ${url}`),
};

/** A gRPC status for any error a handler hit; unexpected ones are Unknown, with their message. */
export function toServiceError(e: unknown): Partial<grpc.StatusObject> {
  if (e instanceof ProposalDroppedError) return { code: grpc.status.UNAVAILABLE, details: 'etcdserver: no leader' };
  if (e instanceof MkError) return { code: e.code as number as grpc.status, details: e.message };
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'number' && code >= 1 && code <= 16) return { code, details: (e as Error).message };
  return { code: grpc.status.UNKNOWN, details: (e as Error)?.message ?? String(e) };
}

/**
 * etcd's require-leader check: a call whose metadata says `hasleader: true` (clientv3's
 * WithRequireLeader) fails at once with "no leader" while this member has none, instead of
 * waiting for a request timeout.
 */
export function requireLeaderInterceptor(hasLeader: () => boolean): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            if (metadata.get('hasleader')[0] === 'true' && !hasLeader()) {
              call.sendStatus({ code: grpc.status.UNAVAILABLE, details: Errors.noLeader().message });
              return;
            }
            mdNext(metadata);
          },
        }),
    });
}
