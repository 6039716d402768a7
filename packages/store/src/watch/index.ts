/** The etcd v3 Watch service of mk-store (see README.md). */
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_STREAM_BUFFER_BYTES,
  INVALID_WATCH_ID,
  WATCH_BATCH_MAX_REVS,
  WatchHub,
  WatchMessages,
  type WatchHubDeps,
} from './watch-hub';
