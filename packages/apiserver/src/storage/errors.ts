/**
 * The typed errors of the API server's store access. Each is an MkError whose `code` is the gRPC
 * status it should travel as (Kubernetes' Status reasons map onto the same codes: AlreadyExists,
 * Conflict = Aborted, Gone = OutOfRange, RequestEntityTooLarge = ResourceExhausted,
 * ServiceUnavailable = Unavailable), so the API server can translate them without guessing.
 */
import { ErrorCode, MkError } from '@mk/shared';
import type { StoredItem } from './store';

/** Every error this folder throws (or hands to a watch's onError) is one of these. */
export class StoreError extends MkError {}

/** create (or a txn compare "absent") found the key. */
export class KeyExistsError extends StoreError {
  constructor(
    readonly key: string,
    /** The existing key's mod revision, when the store told us. */
    readonly modRevision?: number,
  ) {
    super(ErrorCode.AlreadyExists, `key ${key} already exists${modRevision ? ` (mod revision ${modRevision})` : ''}`, { key, modRevision });
  }
}

/** An unconditional delete of a key that does not exist. */
export class KeyNotFoundError extends StoreError {
  constructor(readonly key: string) {
    super(ErrorCode.NotFound, `key ${key} not found`, { key });
  }
}

/**
 * update/delete with an expected mod revision that is not the key's: either the key changed
 * (`current` holds what is there now) or it is gone (`notFound`).
 */
export class RevisionMismatchError extends StoreError {
  readonly notFound: boolean;
  /** The key's mod revision now; undefined when it does not exist. */
  readonly actualModRevision: number | undefined;
  constructor(
    readonly key: string,
    readonly expectedModRevision: number,
    /** The key as it is now (undefined: not found). */
    readonly current: StoredItem | undefined,
  ) {
    const why = current ? `its mod revision is ${current.modRevision}` : 'it does not exist';
    super(ErrorCode.Aborted, `key ${key}: expected mod revision ${expectedModRevision}, but ${why}`, {
      key,
      expectedModRevision,
      actualModRevision: current?.modRevision,
      notFound: current === undefined,
    });
    this.notFound = current === undefined;
    this.actualModRevision = current?.modRevision;
  }
}

/**
 * The revision asked for (a list at a revision, a watch's start) has been compacted away.
 * `compactRevision` is known for watches (etcd reports it); a Range error does not carry it.
 */
export class CompactedError extends StoreError {
  constructor(
    readonly compactRevision: number | undefined,
    readonly requestedRevision?: number,
  ) {
    const which = requestedRevision === undefined ? 'required revision' : `revision ${requestedRevision}`;
    const at = compactRevision ? ` (compacted at ${compactRevision})` : '';
    super(
      ErrorCode.OutOfRange,
      `${which} has been compacted${at}`,
      { compactRevision, requestedRevision },
    );
  }
}

/** A list (or compaction) at a revision the store has not reached yet. */
export class FutureRevisionError extends StoreError {
  constructor(
    readonly requestedRevision: number | undefined,
    readonly currentRevision?: number,
  ) {
    super(
      ErrorCode.OutOfRange,
      `required revision ${requestedRevision ?? ''} is a future revision${currentRevision ? ` (current revision ${currentRevision})` : ''}`,
      { requestedRevision, currentRevision },
    );
  }
}

/** The request is bigger than the store accepts (etcd's --max-request-bytes, or gRPC's message limit). */
export class RequestTooLargeError extends StoreError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.ResourceExhausted, `request is too large: ${message}`, details);
  }
}

/** The store refused the request as malformed (duplicate keys in a txn, too many operations, ...). */
export class InvalidStoreRequestError extends StoreError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.InvalidArgument, message, details);
  }
}

/**
 * The store could not be reached or did not answer in time (no leader, timeouts, every endpoint
 * down, the client closed). For a write, `mayHaveSucceeded` says whether the request may have been
 * applied anyway (it reached a member, and the answer was lost): the caller must then find out
 * (read the key) rather than blindly repeat it. For reads it is always false.
 */
export class StoreUnavailableError extends StoreError {
  constructor(
    message: string,
    readonly mayHaveSucceeded: boolean,
    /** The endpoints tried, each with what went wrong there. */
    readonly attempts: ReadonlyArray<{ endpoint: string; error: string }> = [],
  ) {
    super(ErrorCode.Unavailable, message, { mayHaveSucceeded, attempts });
  }
}
