/**
 * `backup verify`: checks a backup folder offline (docs/backup.md) —
 * - every file the manifest names is there with its size and sha256; every blob hashes to its
 *   CID and its recorded size and MIME type match;
 * - the saved audit log replays, and the repository verifies (structure, DID) and its commit is
 *   signed by the key in force when it was taken according to that log (signature.ts);
 * - every blob a record references is in the folder;
 * and names each file that is missing or damaged. Files the manifest does not know are reported
 * as warnings.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { usage } from '../errors.js';
import { BlobStore, blobCid } from '../blob/index.js';
import { parseDidDocument } from '../identity/index.js';
import { verifyAuditLog } from '../plc/index.js';
import { signingKeyHistory, type SigningKeyHistory } from '../plc/key-history.js';
import type { CheckStatus } from '../repo/verify.js';
import { fileSha256 } from '../util/file-chunks.js';
import {
  BLOB_DIR,
  MANIFEST_FILE,
  SNAPSHOT_DIR,
  blobFile,
  readManifest,
  type ManifestFile,
} from './manifest.js';
import { scanRepoCar } from './scan.js';
import { savedKeySource, type SignatureVerdict } from './signature.js';

/** Names listed at most per kind of problem (the rest are counted). */
const MAX_LISTED = 100;

/** One check, as in repository verification (docs/verdicts.md). */
export interface BackupCheck {
  name: string;
  status: CheckStatus;
  /** status === 'ok' */
  ok: boolean;
  detail: string;
  level?: 'warning';
}

export interface BackupVerifyResult {
  status: 'valid' | 'invalid' | 'unchecked';
  /** status === 'valid' (a historical signature is valid, with a warning) */
  valid: boolean;
  /** Why the verdict is unchecked; null otherwise. */
  reason: string | null;
  dir: string;
  did: string;
  handle: string;
  rev: string;
  commit: string;
  takenAt: string;
  checks: BackupCheck[];
  /** Files (relative paths) the manifest names that are not there. */
  missing: string[];
  /** Files that are there but not what the manifest says. */
  damaged: Array<{ file: string; reason: string }>;
  /** How many more of each were found than are listed. */
  more: { missing: number; damaged: number };
  /** Files of the folder the manifest does not name (a warning). */
  unexpected: string[];
  repo: { records: number; blocks: number; signature: SignatureVerdict | null };
  blobs: { listed: number; referenced: number; checked: number; unavailable: number };
  auditLog: { operations: number; valid: boolean } | null;
  errors: string[];
  warnings: string[];
}

export type BackupVerifyProgress = { phase: 'files' | 'blobs' | 'repo'; done: number; total: number };

function mode(m: number): string {
  return `0${(m & 0o777).toString(8)}`;
}

export async function verifyBackup(dir: string, opts: { onProgress?: (p: BackupVerifyProgress) => void } = {}): Promise<BackupVerifyResult> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) throw usage('NotABackup', `${dir} is not a folder`);
  const manifest = await readManifest(dir);
  if (manifest === null) throw usage('NotABackup', `${dir} is not an atcli backup (it has no ${MANIFEST_FILE})`);

  const checks: BackupCheck[] = [];
  const missing: string[] = [];
  const damaged: Array<{ file: string; reason: string }> = [];
  const more = { missing: 0, damaged: 0 };
  const warnings: string[] = [];
  const check = (name: string, ok: boolean, detail: string, level?: 'warning' | 'unchecked'): void => {
    const status: CheckStatus = ok ? 'ok' : level === undefined ? 'failed' : level;
    checks.push(status === 'warning' ? { name, status, ok, detail, level: 'warning' } : { name, status, ok, detail });
    if (status === 'warning') warnings.push(`${name}: ${detail}`);
  };
  const addMissing = (file: string): void => {
    if (missing.length < MAX_LISTED) missing.push(file);
    else more.missing++;
  };
  const addDamaged = (file: string, reason: string): void => {
    if (damaged.length < MAX_LISTED) damaged.push({ file, reason });
    else more.damaged++;
  };
  const known = new Set<string>([MANIFEST_FILE]);

  // --- files named by the manifest
  const files: ManifestFile[] = [manifest.repo, ...manifest.snapshots, manifest.didDocument];
  if (manifest.preferences !== null) files.push(manifest.preferences);
  if (manifest.auditLog !== null) files.push(manifest.auditLog);
  let done = 0;
  for (const f of files) {
    known.add(f.file);
    const sum = await fileSha256(join(dir, f.file)).catch(() => undefined);
    if (sum === undefined) addMissing(f.file);
    else if (sum.bytes !== f.bytes) addDamaged(f.file, `${sum.bytes} bytes, the manifest says ${f.bytes}`);
    else if (sum.sha256 !== f.sha256) addDamaged(f.file, `sha256 ${sum.sha256}, the manifest says ${f.sha256}`);
    opts.onProgress?.({ phase: 'files', done: ++done, total: files.length });
  }

  // --- blobs
  const store = new BlobStore(join(dir, BLOB_DIR));
  const blobs = [...manifest.blobs.items, ...manifest.blobs.retired];
  const present = new Set<string>();
  done = 0;
  for (const b of blobs) {
    const file = blobFile(b.cid);
    known.add(file);
    known.add(`${file}.json`);
    let ok = false;
    try {
      const size = (await stat(join(dir, file)).catch(() => undefined))?.size;
      if (size === undefined) addMissing(file);
      else if (size !== b.size) addDamaged(file, `${size} bytes, the manifest says ${b.size}`);
      else if (!(await store.has(blobCid(b.cid)))) addDamaged(file, `its bytes do not hash to ${b.cid}`);
      else ok = true;
    } catch (err) {
      addDamaged(file, err instanceof Error ? err.message : String(err));
    }
    if (ok) {
      present.add(b.cid);
      const meta = await store.meta(b.cid);
      if (meta === undefined) addDamaged(`${file}.json`, 'missing or unreadable (the MIME type is kept in the manifest too)');
      else if (meta.mimeType !== b.mimeType || meta.size !== b.size) addDamaged(`${file}.json`, `says ${meta.mimeType}, ${meta.size} bytes; the manifest says ${b.mimeType}, ${b.size} bytes`);
    }
    opts.onProgress?.({ phase: 'blobs', done: ++done, total: blobs.length });
  }

  // --- the audit log and the DID document
  let history: SigningKeyHistory | null = null;
  let auditLog: BackupVerifyResult['auditLog'] = null;
  if (manifest.auditLog !== null) {
    const text = await readFile(join(dir, manifest.auditLog.file), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      let entries: unknown;
      try {
        entries = JSON.parse(text);
      } catch {
        entries = undefined;
      }
      if (!Array.isArray(entries)) {
        check('audit log', false, `${manifest.auditLog.file} is not a JSON list of operations`);
      } else {
        const log = verifyAuditLog(manifest.did, entries);
        auditLog = { operations: entries.length, valid: log.valid };
        const headOk = log.head?.cid === manifest.auditLog.head;
        check('audit log', log.valid && headOk, log.valid ? (headOk ? `${entries.length} operations replay; head ${log.head!.cid}` : `the head ${log.head?.cid ?? 'none'} is not the one recorded (${manifest.auditLog.head})`) : log.problems.slice(0, 3).join('; '));
        if (log.valid) history = signingKeyHistory(manifest.did, entries);
      }
    } else {
      check('audit log', false, `${manifest.auditLog.file} cannot be read`);
    }
  } else if (manifest.did.startsWith('did:plc:')) {
    check('audit log', false, 'the backup of a did:plc has no audit log');
  }
  let documentKey: string | null = null;
  const docText = await readFile(join(dir, manifest.didDocument.file), 'utf8').catch(() => undefined);
  try {
    const doc = parseDidDocument(manifest.did, JSON.parse(docText ?? 'null'), { dev: true });
    documentKey = doc.signingKey?.did() ?? null;
    check('DID document', true, `the document of ${manifest.did}${documentKey ? ` (signing key ${documentKey})` : ''}`);
  } catch (err) {
    check('DID document', false, `${manifest.didDocument.file}: ${err instanceof Error ? err.message : String(err)}`);
  }

  // --- the repository
  opts.onProgress?.({ phase: 'repo', done: 0, total: 1 });
  const repoPath = join(dir, manifest.repo.file);
  let signature: SignatureVerdict | null = null;
  let records = 0;
  let blocks = 0;
  let referenced = 0;
  if (missing.includes(manifest.repo.file)) {
    check('repository', false, `${manifest.repo.file} is missing`);
  } else {
    const scan = await scanRepoCar(repoPath, { expectedDid: manifest.did, signingKeys: savedKeySource(history, documentKey, manifest.repo.takenAt) });
    const r = scan.report;
    records = r.records;
    blocks = r.blocks;
    signature = r.signature;
    const same = r.rev === manifest.repo.rev && r.commit === manifest.repo.commit;
    const broken = r.checks.filter((c) => c.status === 'failed' && c.name !== 'signature').map((c) => `${c.name}: ${c.detail}`);
    check('repository', broken.length === 0 && same, broken.length > 0 ? `${manifest.repo.file}: ${broken.slice(0, 3).join('; ')}` : same ? `${r.records} records in ${r.blocks} blocks, rev ${r.rev}` : `holds commit ${r.commit} (rev ${r.rev}), the manifest says ${manifest.repo.commit} (rev ${manifest.repo.rev})`);
    // historical: valid with a warning; unchecked: no key of the DID is in the backup.
    const sig = signature?.status ?? 'unchecked';
    check('signature', sig === 'valid', signature?.detail ?? 'the commit could not be judged', sig === 'invalid' ? undefined : sig === 'historical' ? 'warning' : 'unchecked');
    // Every blob a record references must be here.
    referenced = scan.blobs.size;
    const unavailable = new Set(manifest.blobs.unavailable.map((u) => u.cid));
    let absent = 0;
    let declared = 0;
    for (const [cid, path] of scan.blobs) {
      if (present.has(cid)) continue;
      if (unavailable.has(cid)) {
        declared++;
        continue;
      }
      absent++;
      if (!missing.includes(blobFile(cid)) && !damaged.some((d) => d.file === blobFile(cid))) addMissing(blobFile(cid));
      if (absent <= 3) warnings.push(`blob ${cid} (referenced by ${path}) is not in the backup`);
    }
    check('referenced blobs', absent === 0, absent === 0 ? `all ${referenced - declared} blobs the records reference are present and hash right` : `${absent} of the ${referenced} blobs the records reference are missing or damaged`);
    if (declared > 0) check('unavailable blobs', false, `${declared} referenced blob${declared === 1 ? ' was' : 's were'} not served by the host when the backup was taken`, 'warning');
  }
  opts.onProgress?.({ phase: 'repo', done: 1, total: 1 });

  // --- what else is in the folder, and who may read it
  const unexpected: string[] = [];
  const skip = (name: string): boolean => name.startsWith('.') || name === `${MANIFEST_FILE}.lock`;
  for (const name of await readdir(dir)) {
    if (skip(name)) continue;
    if (name === BLOB_DIR || name === SNAPSHOT_DIR) {
      for (const inner of await readdir(join(dir, name)).catch(() => [] as string[])) {
        if (!skip(inner) && !known.has(`${name}/${inner}`) && unexpected.length < MAX_LISTED) unexpected.push(`${name}/${inner}`);
      }
    } else if (!known.has(name) && unexpected.length < MAX_LISTED) unexpected.push(name);
  }
  if (unexpected.length > 0) check('unexpected files', false, `${unexpected.length} file${unexpected.length === 1 ? '' : 's'} the manifest does not name: ${unexpected.slice(0, 5).join(', ')}`, 'warning');
  if (process.platform !== 'win32') {
    const dirMode = (await stat(dir)).mode;
    const manifestMode = (await stat(join(dir, MANIFEST_FILE))).mode;
    const open = (dirMode & 0o077) !== 0 || (manifestMode & 0o077) !== 0;
    check('permissions', !open, open ? `others may read the backup (folder ${mode(dirMode)}, manifest ${mode(manifestMode)}; expected 0700 and 0600)` : 'folder 0700, manifest 0600', 'warning');
  }

  const filesOk = missing.length === 0 && damaged.length === 0;
  check('files', filesOk, filesOk ? `${files.length} files and ${blobs.length} blobs match the manifest` : `${missing.length + more.missing} missing, ${damaged.length + more.damaged} damaged`);
  const errors = checks.filter((c) => c.status === 'failed').map((c) => `${c.name}: ${c.detail}`);
  const unchecked = checks.filter((c) => c.status === 'unchecked');
  const status: BackupVerifyResult['status'] = errors.length > 0 ? 'invalid' : unchecked.length > 0 ? 'unchecked' : 'valid';
  return {
    status,
    valid: status === 'valid',
    reason: status === 'unchecked' ? unchecked.map((c) => `${c.name}: ${c.detail}`).join('; ') : null,
    dir,
    did: manifest.did,
    handle: manifest.handle,
    rev: manifest.repo.rev,
    commit: manifest.repo.commit,
    takenAt: manifest.repo.takenAt,
    checks,
    missing,
    damaged,
    more,
    unexpected,
    repo: { records, blocks, signature },
    blobs: { listed: manifest.blobs.items.length, referenced, checked: blobs.length, unavailable: manifest.blobs.unavailable.length },
    auditLog,
    errors,
    warnings,
  };
}

