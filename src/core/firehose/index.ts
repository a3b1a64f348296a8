/**
 * Firehose (`com.atproto.sync.subscribeRepos`) core: frame decoding, typed events, sync 1.1
 * inversion and event verification. Pure functions over bytes: no I/O, no printing.
 */
export {
  DEFAULT_MAX_FRAME_BYTES,
  FIREHOSE_EVENT_TYPES,
  FrameError,
  decodeFrame,
  type DecodeFrameOptions,
  type FirehoseEventType,
  type Frame,
  type FrameErrorReason,
} from './frame.js';
export {
  EventError,
  KNOWN_ACCOUNT_STATUSES,
  MAX_COMMIT_BLOCKS_BYTES,
  MAX_COMMIT_OPS,
  MAX_RECORD_BYTES,
  MAX_SEQ_EXCLUSIVE,
  MAX_SYNC_BLOCKS_BYTES,
  REPO_OP_ACTIONS,
  checkCommitOps,
  opLabel,
  parseAccountEvent,
  parseCommitEvent,
  parseEvent,
  parseIdentityEvent,
  parseInfoEvent,
  parseSyncEvent,
  splitRepoPath,
  type AccountEvent,
  type CheckOpsOptions,
  type CommitEvent,
  type FirehoseEvent,
  type IdentityEvent,
  type InfoEvent,
  type RepoOp,
  type RepoOpAction,
  type SequencedEvent,
  type SyncEvent,
} from './events.js';
export { invertOp, invertOps } from './invert.js';
export {
  verifyCommitEvent,
  verifySyncEvent,
  type AccountState,
  type ChainStatus,
  type CommitVerifyResult,
  type EventVerifyResult,
  type SyncVerifyResult,
  type VerifiedOp,
  type VerifyEventOptions,
} from './verify.js';
export { IncompleteProofError, InvalidMstError, MutableMst, type MstBlockSource, type MutableMstOptions } from '../repo/mst-edit.js';
