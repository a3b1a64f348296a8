/**
 * Lexicons over the network (spec: lexicon "Lexicon Publication and Resolution"): resolution
 * through DNS `_lexicon` TXT → DID → PDS → `com.atproto.lexicon.schema` record with its proof
 * verified, pulling to a closure with a lock file, publishing behind lint / DNS / evolution gates
 * with compare-and-swap writes, status and DNS checks. The offline model is in `index.ts`.
 */
export {
  LEXICON_COLLECTION,
  LexiconResolver,
  checkLexiconNsid,
  groupAuthority,
  lexiconAuthority,
  lexiconFileText,
  lexiconGroup,
  lexiconTxtName,
  lexiconTxtRecord,
  lookupLexiconAuthority,
  parsePullTarget,
  readSchemaRecord,
  resolveClosure,
} from './resolve.js';
export type {
  ClosureOptions,
  ClosureResult,
  LexiconAuthority,
  LexiconHost,
  LexiconResolverOptions,
  PullTarget,
  RepoSource,
  ResolvedLexicon,
  ResolverProgress,
  SchemaRecordRead,
} from './resolve.js';
export { readLocalSchemas, schemaRecord, schemaRecordCid } from './local.js';
export type { LocalSchema, LocalSchemas } from './local.js';
export { LOCK_FILE_NAME, compareWithLock, lockPathFor, parseLock, readLock, serializeLock, updateLock, writeLock } from './lock.js';
export type { LexiconLock, LockDrift, LockDriftKind, LockEntry } from './lock.js';
export { pullLexicons } from './pull.js';
export type { LocalDrift, PullFileStatus, PullOptions, PullResult, PulledLexicon } from './pull.js';
export { applyPublish, parseSavedPlan, planPublish, preparePublish, refuseBlocked, selectPublishable } from './publish.js';
export type { ApplyPublishOptions, DnsCheck, ForeignSchema, PlanPublishOptions, PreparePublishOptions, PreparedPublish, PublishAction, PublishItem, PublishPlan, PublishProgress, PublishResult, PublishedItem, SavedPlan } from './publish.js';
export { checkLexiconDns, compareWithPublished, lexiconStatus, summarizeStatus } from './status.js';
export type { DnsRow, DnsStatus, PublishedComparison, StatusRow, StatusSummary, SyncStatus } from './status.js';
export { SchemaFinder } from './schemas.js';
export type { SchemaFinderOptions, SchemaLookup, SchemaOrigin } from './schemas.js';
export { validateAccountRepository, validateRecordAtUri, validateRepository } from './remote.js';
export type {
  AccountRepoOptions,
  CollectionReport,
  RecordCheckOptions,
  RecordCheckResult,
  RecordCounts,
  RecordProblem,
  RecordStatus,
  RepoValidationOptions,
  RepoValidationReport,
} from './remote.js';
