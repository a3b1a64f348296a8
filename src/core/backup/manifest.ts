/**
 * The backup folder and its manifest `backup.json` (docs/backup.md): what each file is, its size
 * and sha256, and when each part was taken. The manifest is read back strictly — it may have been
 * edited or damaged like any other file of the folder — and every path it names must be a plain
 * name inside the folder.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid, runtime, usage } from '../errors.js';
import { saveStateFile } from '../account/state-file.js';

export const MANIFEST_FILE = 'backup.json';
export const REPO_FILE = 'repo.car';
export const SNAPSHOT_DIR = 'snapshots';
export const BLOB_DIR = 'blobs';
export const PREFERENCES_FILE = 'preferences.json';
export const DID_DOCUMENT_FILE = 'did.json';
export const AUDIT_LOG_FILE = 'plc-audit-log.json';

export const MANIFEST_KIND = 'atcli-backup';
export const MANIFEST_VERSION = 1;
/** Largest manifest read (about a million blobs). */
export const MANIFEST_MAX_BYTES = 256 * 1024 * 1024;

/** A file of the folder: where it is (relative), its size, its sha256, when it was taken. */
export interface ManifestFile {
  file: string;
  bytes: number;
  sha256: string;
  takenAt: string;
}

export interface ManifestRepo extends ManifestFile {
  rev: string;
  commit: string;
  records: number;
  blocks: number;
  collections: Record<string, number>;
  /** The signing key the commit verified with when it was taken (null: could not be checked). */
  signingKey: string | null;
}

export interface ManifestSnapshot extends ManifestFile {
  rev: string;
  commit: string;
}

export interface ManifestBlob {
  cid: string;
  size: number;
  mimeType: string;
}

export interface BackupManifest {
  kind: string;
  version: number;
  did: string;
  handle: string;
  pds: string;
  createdAt: string;
  updatedAt: string;
  repo: ManifestRepo;
  /** Earlier verified snapshots kept (newest first). */
  snapshots: ManifestSnapshot[];
  blobs: {
    takenAt: string;
    count: number;
    bytes: number;
    /** Every blob the account listed (and every blob its records reference) at the last run. */
    items: ManifestBlob[];
    /** Blobs the host did not serve (not found) at the last run: referenced, but nobody has them. */
    unavailable: Array<{ cid: string; error: string }>;
    /** Blobs kept from earlier runs that the account no longer lists. */
    retired: ManifestBlob[];
  };
  /** Private preferences (only with a session of the account). */
  preferences: (ManifestFile & { count: number }) | null;
  didDocument: ManifestFile;
  /** did:plc only. */
  auditLog: (ManifestFile & { operations: number; head: string }) | null;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The blob file of a CID inside the folder. */
export function blobFile(cid: string): string {
  return `${BLOB_DIR}/${cid}`;
}

export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  await saveStateFile(join(dir, MANIFEST_FILE), manifest, 'the backup manifest');
}

// ------------------------------------------------------------------------------------------
// reading

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;

/** A path the manifest may name: one or two plain name segments (no "..", no absolute paths). */
export function isSafeRelativePath(p: string): boolean {
  const parts = p.split('/');
  return parts.length >= 1 && parts.length <= 2 && parts.every((s) => NAME_RE.test(s) && s !== '.' && s !== '..');
}

class ManifestReader {
  constructor(private readonly path: string) {}

  fail(where: string, what: string): never {
    throw invalid('InvalidBackupManifest', `the backup manifest ${this.path} is damaged: ${where} ${what}`, {
      hint: 'the folder cannot be trusted as it is; take a new backup into an empty folder',
    });
  }

  obj(v: unknown, where: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(where, 'is not an object');
    return v as Record<string, unknown>;
  }

  str(o: Record<string, unknown>, k: string, where: string): string {
    const v = o[k];
    if (typeof v !== 'string' || v.length > 4096) this.fail(`${where}.${k}`, 'is not a string');
    return v;
  }

  num(o: Record<string, unknown>, k: string, where: string): number {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(`${where}.${k}`, 'is not a whole number');
    return v;
  }

  file(o: Record<string, unknown>, where: string): ManifestFile {
    const file = this.str(o, 'file', where);
    if (!isSafeRelativePath(file)) this.fail(`${where}.file`, `names a path outside the folder (${JSON.stringify(file.slice(0, 100))})`);
    const sha256 = this.str(o, 'sha256', where);
    if (!SHA256_RE.test(sha256)) this.fail(`${where}.sha256`, 'is not a sha256 in hex');
    return { file, bytes: this.num(o, 'bytes', where), sha256, takenAt: this.str(o, 'takenAt', where) };
  }

  blob(v: unknown, where: string): ManifestBlob {
    const o = this.obj(v, where);
    const cid = this.str(o, 'cid', where);
    if (!NAME_RE.test(cid)) this.fail(`${where}.cid`, 'is not a CID');
    return { cid, size: this.num(o, 'size', where), mimeType: this.str(o, 'mimeType', where) };
  }

  list<T>(v: unknown, where: string, each: (x: unknown, w: string) => T): T[] {
    if (!Array.isArray(v)) this.fail(where, 'is not a list');
    return v.map((x, i) => each(x, `${where}[${i}]`));
  }
}

/** Parses a manifest read from disk; throws invalid 'InvalidBackupManifest' naming the first problem. */
export function parseManifest(text: string, path: string): BackupManifest {
  const r: ManifestReader = new ManifestReader(path);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    r.fail('the file', 'is not JSON');
  }
  const o = r.obj(v, 'the manifest');
  if (o['kind'] !== MANIFEST_KIND) r.fail('"kind"', `is not "${MANIFEST_KIND}"`);
  if (o['version'] !== MANIFEST_VERSION) r.fail('"version"', `${String(o['version'])} is not supported (this atcli writes ${MANIFEST_VERSION})`);
  const repoObj = r.obj(o['repo'], 'repo');
  const collections: Record<string, number> = {};
  for (const [k, n] of Object.entries(r.obj(repoObj['collections'], 'repo.collections'))) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) r.fail(`repo.collections.${k.slice(0, 100)}`, 'is not a count');
    collections[k] = n;
  }
  const sk = repoObj['signingKey'];
  if (sk !== null && typeof sk !== 'string') r.fail('repo.signingKey', 'is not a string or null');
  const repo: ManifestRepo = {
    ...r.file(repoObj, 'repo'),
    rev: r.str(repoObj, 'rev', 'repo'),
    commit: r.str(repoObj, 'commit', 'repo'),
    records: r.num(repoObj, 'records', 'repo'),
    blocks: r.num(repoObj, 'blocks', 'repo'),
    collections,
    signingKey: sk as string | null,
  };
  const snapshots = r.list(o['snapshots'], 'snapshots', (x, w) => {
    const so = r.obj(x, w);
    return { ...r.file(so, w), rev: r.str(so, 'rev', w), commit: r.str(so, 'commit', w) };
  });
  const b = r.obj(o['blobs'], 'blobs');
  const blobs: BackupManifest['blobs'] = {
    takenAt: r.str(b, 'takenAt', 'blobs'),
    count: r.num(b, 'count', 'blobs'),
    bytes: r.num(b, 'bytes', 'blobs'),
    items: r.list(b['items'], 'blobs.items', (x, w) => r.blob(x, w)),
    unavailable: r.list(b['unavailable'], 'blobs.unavailable', (x, w) => {
      const u = r.obj(x, w);
      return { cid: r.str(u, 'cid', w), error: r.str(u, 'error', w) };
    }),
    retired: r.list(b['retired'], 'blobs.retired', (x, w) => r.blob(x, w)),
  };
  let preferences: BackupManifest['preferences'] = null;
  if (o['preferences'] !== null) {
    const p = r.obj(o['preferences'], 'preferences');
    preferences = { ...r.file(p, 'preferences'), count: r.num(p, 'count', 'preferences') };
  }
  let auditLog: BackupManifest['auditLog'] = null;
  if (o['auditLog'] !== null) {
    const a = r.obj(o['auditLog'], 'auditLog');
    auditLog = { ...r.file(a, 'auditLog'), operations: r.num(a, 'operations', 'auditLog'), head: r.str(a, 'head', 'auditLog') };
  }
  return {
    kind: MANIFEST_KIND,
    version: MANIFEST_VERSION,
    did: r.str(o, 'did', 'the manifest'),
    handle: r.str(o, 'handle', 'the manifest'),
    pds: r.str(o, 'pds', 'the manifest'),
    createdAt: r.str(o, 'createdAt', 'the manifest'),
    updatedAt: r.str(o, 'updatedAt', 'the manifest'),
    repo,
    snapshots,
    blobs,
    preferences,
    didDocument: r.file(r.obj(o['didDocument'], 'didDocument'), 'didDocument'),
    auditLog,
  };
}

/** Reads the folder's manifest; null when the folder has none. */
export async function readManifest(dir: string): Promise<BackupManifest | null> {
  const path = join(dir, MANIFEST_FILE);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return null;
  if (!info.isFile()) throw usage('NotABackup', `${path} is not a file`);
  if (info.size > MANIFEST_MAX_BYTES) throw invalid('InvalidBackupManifest', `the backup manifest ${path} is ${info.size} bytes, more than the ${MANIFEST_MAX_BYTES} allowed`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw runtime('ReadFailed', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseManifest(text, path);
}
