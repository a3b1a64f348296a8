/**
 * `backup`: a verified, incremental copy of an account in a private folder (docs/backup.md) —
 * the repository as a CAR (replaced only by a snapshot that verifies; earlier ones kept on
 * request), every blob (hash-checked, MIME types recorded, only new ones downloaded), the private
 * preferences when a session of the account is given, the DID document, the verified PLC audit
 * log, and the manifest `backup.json` with the size and sha256 of every file.
 *
 * Works from public data alone; nothing secret is ever written (a session is used, not stored).
 * The folder is 0700 and every file 0600. One run at a time per folder (a lock file).
 */
import { chmod, copyFile, link, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AtcliError, invalid, runtime, usage } from '../errors.js';
import { getPreferences } from '../account/admin.js';
import { lockStateFile, makePrivateDir, writePrivateFile } from '../account/state-file.js';
import { BlobStore, blobCid, listBlobs, syncBlobs, type SyncProgress } from '../blob/index.js';
import { resolveIdentity, type IdentityConfig } from '../identity/index.js';
import type { HttpConfig } from '../net/http.js';
import { PlcDirectoryClient } from '../plc/directory.js';
import { verifyAuditLog } from '../plc/index.js';
import { signingKeyHistory, type SigningKeyHistory } from '../plc/key-history.js';
import { fileSha256 } from '../util/file-chunks.js';
import { XrpcClient } from '../xrpc/index.js';
import {
  AUDIT_LOG_FILE,
  BLOB_DIR,
  DID_DOCUMENT_FILE,
  MANIFEST_FILE,
  MANIFEST_KIND,
  MANIFEST_VERSION,
  PREFERENCES_FILE,
  REPO_FILE,
  SNAPSHOT_DIR,
  readManifest,
  sha256Hex,
  writeManifest,
  type BackupManifest,
  type ManifestBlob,
  type ManifestFile,
  type ManifestSnapshot,
} from './manifest.js';
import { fetchRepoSnapshot, type RepoVia } from './repo.js';
import { scanRepoCar } from './scan.js';
import type { SignatureStatus } from './signature.js';

/** Largest repository downloaded by default. */
export const DEFAULT_MAX_REPO_BYTES = 8 * 1024 * 1024 * 1024;
/** Most blobs one account may list (a host listing more is not trusted). */
export const DEFAULT_MAX_BLOBS = 1_000_000;
/** Longest a whole run may take by default. */
export const DEFAULT_BACKUP_DEADLINE_MS = 6 * 60 * 60 * 1000;

export type BackupProgress =
  | { phase: 'identity' }
  | { phase: 'repo'; what: 'diff' | 'full'; done: number; total: number | null }
  | { phase: 'verify' }
  | { phase: 'blobs'; progress: SyncProgress }
  | { phase: 'preferences' }
  | { phase: 'manifest' };

export interface BackupOptions {
  http: HttpConfig;
  identity: IdentityConfig;
  /** Handle or DID. */
  id: string;
  dir: string;
  /** Earlier repository snapshots to keep beside the current one (default 0). */
  keep?: number;
  /** A session of the account itself (adds the private preferences). */
  session?: XrpcClient;
  blobConcurrency?: number;
  /** Hash the blobs already in the folder before skipping them (default true). */
  verifyExistingBlobs?: boolean;
  maxRepoBytes?: number;
  maxBlobBytes?: number;
  /** Most blobs accepted from the host's list (default a million). */
  maxBlobs?: number;
  /** Overall deadline of the run (default 6 hours). */
  deadlineMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: BackupProgress) => void;
}

export interface BackupResult {
  /** 'partial' when some blobs could not be downloaded (they are named; run again). */
  status: 'complete' | 'partial';
  dir: string;
  manifest: string;
  did: string;
  handle: string;
  pds: string;
  repo: {
    via: RepoVia;
    rev: string;
    commit: string;
    previousRev: string | null;
    records: number;
    blocks: number;
    bytes: number;
    /** Bytes received for the repository this run. */
    downloadedBytes: number;
    /** Incremental run: blocks and record blocks taken from the diff, and reused from the saved snapshot. */
    diff?: { bytes: number; blocks: number; blocksReused: number; recordBlocks: number; recordBlocksReused: number };
    fallback?: string;
    signature: { status: SignatureStatus | 'unchanged'; key: string | null; detail: string };
  };
  blobs: {
    total: number;
    downloaded: number;
    reused: number;
    downloadedBytes: number;
    bytes: number;
    failed: Array<{ cid: string; error: string; code: string }>;
    unavailable: number;
    /** Referenced by a record but not listed by the host (fetched anyway when it serves them). */
    referencedUnlisted: number;
    retired: number;
  };
  preferences: { saved: boolean; count: number | null; note: string };
  identity: { didDocument: 'saved' | 'unchanged'; auditLog: { operations: number; head: string; saved: boolean } | null };
  snapshots: { kept: string[]; removed: string[] };
  startedAt: string;
  finishedAt: string;
  warnings: string[];
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    const names = await readdir(dir);
    return names.length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw usage('NotADirectory', `${dir} is not a folder`);
    throw err;
  }
}

/** A small part of the folder (document, log, preferences): written only when its content changed. */
async function savePart(dir: string, name: string, text: string, previous: ManifestFile | null | undefined, at: string): Promise<{ file: ManifestFile; changed: boolean }> {
  const sha256 = sha256Hex(text);
  const unchanged = previous !== undefined && previous !== null && previous.sha256 === sha256 && (await fileSha256(join(dir, name)).catch(() => undefined))?.sha256 === sha256;
  if (unchanged) return { file: previous, changed: false };
  const written = await writePrivateFile(dir, name, text);
  return { file: { file: name, bytes: written.bytes, sha256, takenAt: at }, changed: true };
}

/** Keeps `file` as an earlier snapshot (a hard link where possible, else a copy). */
async function keepSnapshot(dir: string, from: string, name: string): Promise<void> {
  await makePrivateDir(join(dir, SNAPSHOT_DIR));
  const target = join(dir, SNAPSHOT_DIR, name);
  await unlink(target).catch(() => undefined);
  try {
    await link(from, target);
  } catch {
    await copyFile(from, target);
    await chmod(target, 0o600);
  }
}

export async function runBackup(opts: BackupOptions): Promise<BackupResult> {
  const startedAt = new Date().toISOString();
  const dir = opts.dir;
  const warnings: string[] = [];
  const existing = await readManifest(dir).catch((err: unknown) => {
    if (err instanceof AtcliError && err.code === 'InvalidBackupManifest') {
      throw new AtcliError('invalid', err.code, err.message, { hint: 'move the folder away and take a new backup into an empty one' });
    }
    throw err;
  });
  if (existing === null && !(await isEmptyOrMissing(dir))) {
    throw usage('NotABackupFolder', `${dir} is neither empty nor an atcli backup (it has no ${MANIFEST_FILE})`, { hint: 'give an empty or new folder' });
  }
  await makePrivateDir(dir);
  if (process.platform !== 'win32') await chmod(dir, 0o700);
  const release = await lockStateFile(join(dir, MANIFEST_FILE), { code: 'BackupLocked', activity: 'writing a backup into this folder' });

  const deadline = AbortSignal.timeout(opts.deadlineMs ?? DEFAULT_BACKUP_DEADLINE_MS);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const http: HttpConfig = { ...opts.http, signal };
  const identityConfig: IdentityConfig = { ...opts.identity, http };
  try {
    return await backupLocked(opts, existing, http, identityConfig, signal, startedAt, warnings);
  } catch (err) {
    if (deadline.aborted && !opts.signal?.aborted) {
      throw runtime('BackupDeadline', `the backup did not finish within ${Math.round((opts.deadlineMs ?? DEFAULT_BACKUP_DEADLINE_MS) / 60000)} minutes; what was saved stays, and the next run continues from it`);
    }
    throw err;
  } finally {
    await release();
  }
}

async function backupLocked(
  opts: BackupOptions,
  existing: BackupManifest | null,
  http: HttpConfig,
  identityConfig: IdentityConfig,
  signal: AbortSignal,
  startedAt: string,
  warnings: string[],
): Promise<BackupResult> {
  const dir = opts.dir;
  const progress = opts.onProgress;

  // --- identity
  progress?.({ phase: 'identity' });
  const identity = await resolveIdentity(identityConfig, opts.id, { noCache: true });
  const did = identity.did;
  if (existing !== null && existing.did !== did) {
    throw usage('BackupDidMismatch', `${dir} holds a backup of ${existing.did}, not ${did}`, { hint: 'use one folder per account' });
  }
  if (identity.pds === undefined) throw invalid('NoPds', `the DID document of ${did} names no usable PDS`);
  const pds = identity.pds;
  const handle = identity.handleVerified ? identity.handle : (identity.claimedHandle ?? existing?.handle ?? 'handle.invalid');
  const at = new Date().toISOString();

  let history: SigningKeyHistory | null = null;
  let auditLog: BackupManifest['auditLog'] = null;
  let auditSaved = false;
  if (did.startsWith('did:plc:')) {
    const plc = new PlcDirectoryClient({ http, plcUrl: identityConfig.plcUrl });
    const entries = await plc.getAuditLog(did);
    const log = verifyAuditLog(did, entries);
    if (!log.valid || log.head === undefined) {
      throw invalid('AuditLogInvalid', `the PLC audit log of ${did} does not verify: ${log.problems.slice(0, 3).join('; ')}`, {
        hint: 'the directory serves a history that fails the replay; nothing was changed in the backup folder',
        details: { problems: log.problems.slice(0, 20) },
      });
    }
    history = signingKeyHistory(did, entries);
    const part = await savePart(dir, AUDIT_LOG_FILE, `${JSON.stringify(entries, null, 2)}\n`, existing?.auditLog, at);
    auditSaved = part.changed;
    auditLog = { ...part.file, operations: entries.length, head: log.head.cid };
  }
  const docPart = await savePart(dir, DID_DOCUMENT_FILE, `${JSON.stringify(identity.didDoc, null, 2)}\n`, existing?.didDocument, at);

  // --- repository
  const publicClient = new XrpcClient({ service: pds, http });
  let previous: { file: string; rev: string; commit: string } | null = null;
  if (existing !== null) {
    const file = join(dir, existing.repo.file);
    const sum = await fileSha256(file).catch(() => undefined);
    if (sum?.sha256 === existing.repo.sha256) previous = { file, rev: existing.repo.rev, commit: existing.repo.commit };
    else warnings.push(`the saved repository ${existing.repo.file} is ${sum === undefined ? 'missing' : 'damaged'}: downloading it in full`);
  }
  const fetched = await fetchRepoSnapshot({
    client: publicClient,
    did,
    dir,
    previous,
    keys: { history, documentKey: identity.signingKey ?? null },
    maxBytes: opts.maxRepoBytes ?? DEFAULT_MAX_REPO_BYTES,
    onBytes: (p) => progress?.({ phase: 'repo', ...p }),
  });
  if (fetched.fallback !== undefined) warnings.push(`incremental update not used (${fetched.fallback}): downloaded the whole repository`);
  if (fetched.signature?.status === 'historical') warnings.push(`repository ${fetched.signature.detail}`);
  if (fetched.signature?.status === 'unchecked') warnings.push(`the repository's signature could not be checked: ${fetched.signature.detail}`);

  let repo = existing?.repo;
  let referenced: Map<string, string> | undefined = fetched.scan?.blobs;
  const snapshots: ManifestSnapshot[] = [...(existing?.snapshots ?? [])];
  const removed: string[] = [];
  if (fetched.tempFile !== undefined && fetched.scan !== undefined) {
    const report = fetched.scan.report;
    const target = join(dir, REPO_FILE);
    const keep = Math.max(0, Math.floor(opts.keep ?? 0));
    if (existing !== null && previous !== null && keep > 0) {
      const name = `repo-${existing.repo.rev}.car`;
      await keepSnapshot(dir, previous.file, name);
      snapshots.unshift({ file: `${SNAPSHOT_DIR}/${name}`, bytes: existing.repo.bytes, sha256: existing.repo.sha256, takenAt: existing.repo.takenAt, rev: existing.repo.rev, commit: existing.repo.commit });
    }
    while (snapshots.length > keep) {
      const old = snapshots.pop()!;
      await unlink(join(dir, old.file)).catch(() => undefined);
      removed.push(old.file);
    }
    await rename(fetched.tempFile, target);
    const sum = await fileSha256(target);
    repo = {
      file: REPO_FILE,
      bytes: sum.bytes,
      sha256: sum.sha256,
      takenAt: fetched.takenAt,
      rev: report.rev ?? '',
      commit: report.commit ?? '',
      records: report.records,
      blocks: report.blocks,
      collections: report.collections,
      signingKey: fetched.signature?.key ?? null,
    };
  } else if (repo !== undefined && referenced === undefined) {
    // Unchanged: the saved snapshot's references are still the ones that count.
    referenced = (await scanRepoCar(join(dir, repo.file), { expectedDid: did })).blobs;
  }
  if (repo === undefined || referenced === undefined) throw runtime('BackupRepoMissing', 'no repository snapshot was taken');

  // --- blobs
  const store = new BlobStore(join(dir, BLOB_DIR), { private: true });
  const listed: string[] = [];
  const maxBlobs = opts.maxBlobs ?? DEFAULT_MAX_BLOBS;
  for await (const cid of listBlobs(publicClient, did)) {
    if (listed.length >= maxBlobs) throw runtime('TooManyBlobs', `${new URL(pds).host} lists more than ${maxBlobs} blobs for ${did}`);
    listed.push(cid);
  }
  const listedSet = new Set(listed);
  const wanted = [...listed];
  let referencedUnlisted = 0;
  for (const cid of referenced.keys()) {
    if (!listedSet.has(cid)) {
      wanted.push(cid);
      referencedUnlisted++;
    }
  }
  const blobResult = await syncBlobs({
    client: publicClient,
    did,
    store,
    cids: wanted,
    ...(opts.blobConcurrency !== undefined ? { concurrency: opts.blobConcurrency } : {}),
    verifyExisting: opts.verifyExistingBlobs !== false,
    ...(opts.maxBlobBytes !== undefined ? { maxBytes: opts.maxBlobBytes } : {}),
    signal,
    onProgress: (p) => progress?.({ phase: 'blobs', progress: p }),
  });
  const failedCids = new Set(blobResult.failed.map((f) => f.cid));
  const unavailable = blobResult.failed.filter((f) => f.code === 'BlobNotFound').map((f) => ({ cid: f.cid, error: f.error }));
  const failed = blobResult.failed.filter((f) => f.code !== 'BlobNotFound');
  const items: ManifestBlob[] = [];
  let blobBytes = 0;
  const wantedSet = new Set(wanted);
  for (const cid of wanted) {
    if (failedCids.has(cid)) continue;
    const meta = await store.meta(cid);
    if (meta === undefined) continue;
    items.push({ cid: blobCid(cid).toString(), size: meta.size, mimeType: meta.mimeType });
    blobBytes += meta.size;
  }
  const retired: ManifestBlob[] = [];
  for await (const cid of store.list()) {
    if (wantedSet.has(cid)) continue;
    const meta = await store.meta(cid);
    if (meta !== undefined) retired.push({ cid, size: meta.size, mimeType: meta.mimeType });
  }

  // --- preferences (private: only with a session of the account)
  let preferences = existing?.preferences ?? null;
  let prefNote: string;
  let prefSaved = false;
  if (opts.session !== undefined) {
    progress?.({ phase: 'preferences' });
    const sessionDid = opts.session.auth ? (await opts.session.auth.session()).did : undefined;
    if (sessionDid !== did) {
      throw usage('SessionMismatch', `the session given is for ${sessionDid ?? 'no account'}, not ${did}: preferences are private to the account`, {
        hint: 'log in as the account being backed up, or back up without a session (public data only)',
      });
    }
    const prefs = await getPreferences(opts.session);
    const part = await savePart(dir, PREFERENCES_FILE, `${JSON.stringify({ preferences: prefs }, null, 2)}\n`, existing?.preferences, new Date().toISOString());
    preferences = { ...part.file, count: prefs.length };
    prefSaved = true;
    prefNote = `${prefs.length} preference entr${prefs.length === 1 ? 'y' : 'ies'} saved`;
  } else {
    prefNote = preferences !== null ? `not logged in as the account: kept the preferences taken ${preferences.takenAt}` : 'not logged in as the account: private preferences not included';
  }

  // --- manifest
  progress?.({ phase: 'manifest' });
  const now = new Date().toISOString();
  const manifest: BackupManifest = {
    kind: MANIFEST_KIND,
    version: MANIFEST_VERSION,
    did,
    handle,
    pds,
    createdAt: existing?.createdAt ?? startedAt,
    updatedAt: now,
    repo,
    snapshots,
    blobs: { takenAt: now, count: items.length, bytes: blobBytes, items, unavailable, retired },
    preferences,
    didDocument: docPart.file,
    auditLog,
  };
  await writeManifest(dir, manifest);
  if (unavailable.length > 0) warnings.push(`${unavailable.length} blob${unavailable.length === 1 ? '' : 's'} referenced by records could not be found on ${new URL(pds).host} (${unavailable.slice(0, 3).map((u) => u.cid).join(', ')})`);

  const signature = fetched.signature;
  return {
    status: failed.length > 0 ? 'partial' : 'complete',
    dir,
    manifest: join(dir, MANIFEST_FILE),
    did,
    handle,
    pds,
    repo: {
      via: fetched.via,
      rev: repo.rev,
      commit: repo.commit,
      previousRev: existing?.repo.rev ?? null,
      records: repo.records,
      blocks: repo.blocks,
      bytes: repo.bytes,
      downloadedBytes: fetched.downloadedBytes,
      ...(fetched.diff !== undefined ? { diff: fetched.diff } : {}),
      ...(fetched.fallback !== undefined ? { fallback: fetched.fallback } : {}),
      signature:
        signature === undefined
          ? { status: 'unchanged', key: repo.signingKey, detail: 'the saved snapshot is still the latest commit' }
          : signature === null
            ? { status: 'unchecked', key: null, detail: 'the commit could not be judged' }
            : { status: signature.status, key: signature.key, detail: signature.detail },
    },
    blobs: {
      total: wanted.length,
      downloaded: blobResult.downloaded,
      reused: blobResult.skipped,
      downloadedBytes: blobResult.bytes,
      bytes: blobBytes,
      failed: failed.slice(0, 100),
      unavailable: unavailable.length,
      referencedUnlisted,
      retired: retired.length,
    },
    preferences: { saved: prefSaved, count: preferences?.count ?? null, note: prefNote },
    identity: { didDocument: docPart.changed ? 'saved' : 'unchanged', auditLog: auditLog !== null ? { operations: auditLog.operations, head: auditLog.head, saved: auditSaved } : null },
    snapshots: { kept: snapshots.map((s) => s.file), removed },
    startedAt,
    finishedAt: now,
    warnings,
  };
}
