import { ErrorCode, MkError } from '@mk/shared';

/** The requested index is below the first index kept in the log: it was compacted away. */
export class CompactedError extends MkError {
  constructor(index: number, firstIndex: number) {
    super(ErrorCode.OutOfRange, `raft: index ${index} is compacted (first available index is ${firstIndex})`, { index, firstIndex });
  }
}

/** The requested index is beyond the last index of the log. */
export class UnavailableIndexError extends MkError {
  constructor(index: number, lastIndex: number) {
    super(ErrorCode.OutOfRange, `raft: index ${index} is unavailable (last index is ${lastIndex})`, { index, lastIndex });
  }
}

/** A snapshot older than the one already held was offered. */
export class SnapshotOutOfDateError extends MkError {
  constructor(index: number, current: number) {
    super(ErrorCode.FailedPrecondition, `raft: snapshot at index ${index} is older than the current one at ${current}`, { index, current });
  }
}

/** Storage cannot produce a snapshot right now; the leader retries later. */
export class SnapshotTemporarilyUnavailableError extends MkError {
  constructor() {
    super(ErrorCode.Unavailable, 'raft: snapshot is temporarily unavailable');
  }
}

/** A proposal was not accepted (no leader known, leadership transfer in progress, ...). */
export class ProposalDroppedError extends MkError {
  constructor(reason: string) {
    super(ErrorCode.Unavailable, `raft: proposal dropped: ${reason}`, { reason });
  }
}

/** The caller broke the API contract (e.g. stepped a local message type). */
export class RaftUsageError extends MkError {
  constructor(message: string) {
    super(ErrorCode.FailedPrecondition, `raft: ${message}`);
  }
}
