import type { HintTable } from './index.js';

/** Hints for the event streams: firehose, Jetstream and label streams. */
export const FIREHOSE_HINTS: HintTable = {
  FutureCursor: 'the cursor is from another host or the server was reset: pass a smaller --cursor, or none to start live (the cursor is never reset automatically)',
  FirehoseUnreachable: 'check --relay (e.g. wss://bsky.network), the network, and that the host serves com.atproto.sync.subscribeRepos',
  FirehoseRefused: 'the server refused the stream (HTTP status above): check --relay, the relay or PDS URL',
  JetstreamRefused: 'the server refused the stream (HTTP status above): check the --jetstream URL',
  LabelerRefused: "the labeler refused com.atproto.label.subscribeLabels: check the labeler's DID or service URL",
  AccountTooLargeToRecord: "this account's key history is too long to record; record without --verify",
  CursorFileMismatch: 'a seq is only meaningful for the host it came from: use another --cursor-file, or delete this one to start live',
};
