/**
 * A content-addressed folder of blobs: `<dir>/<cid>` holds the bytes, `<dir>/<cid>.json` the
 * metadata `{mimeType, size}` kept beside it.
 *
 * A file under a CID's name always hashes to that CID: bytes stream to a temp file (`.<cid>.<pid>.
 * <random>.atcli-tmp`) while being hashed, are fsynced, and are renamed into place only when the
 * hash matches; a mismatch deletes the temp file. An interrupted write (Ctrl-C, crash, SIGKILL)
 * leaves at most a temp file, which {@link BlobStore.sweep} removes once its process is gone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AtcliError, invalid, runtime } from '../errors.js';
import type { Cid } from '../codec/index.js';
import { blobCid, isMimeType } from './ref.js';

export interface BlobMeta {
  mimeType: string;
  size: number;
}

export interface BlobPutOptions {
  signal?: AbortSignal;
  /** refuse (and delete) a blob larger than this many bytes */
  maxBytes?: number;
}

const TEMP_RE = /^\.(.+)\.([0-9]+)\.[0-9a-f]{12}\.atcli-tmp$/;

function fsError(what: string, path: string, err: unknown): AtcliError {
  if (err instanceof AtcliError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return runtime(what === 'read' ? 'ReadFailed' : 'WriteFailed', `could not ${what} ${path}: ${code ?? String(err)}`, { cause: err, details: { path } });
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function digestMatches(cid: Cid, digest: Uint8Array): boolean {
  const want = cid.digest;
  if (want.length !== digest.length) return false;
  for (let i = 0; i < want.length; i++) if (want[i] !== digest[i]) return false;
  return true;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/**
 * The metadata file, written to a temp file and renamed (atomic for readers) but not fsynced: it
 * is small and self-healing — after a power loss a missing or torn metadata file makes the next
 * sync fetch that blob again — while an fsync per file would double the cost of storing a blob.
 * The blob bytes themselves are fsynced before their rename.
 */
async function writeMeta(path: string, meta: BlobMeta, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.atcli-tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(meta)}\n`, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw fsError('write', path, err);
  }
}

export interface BlobStoreOptions {
  /** Files readable by the owner only (0600) in a 0700 folder, for private copies such as backups. */
  private?: boolean;
}

export class BlobStore {
  readonly dir: string;
  private readonly fileMode: number;
  private readonly dirMode: number | undefined;

  constructor(dir: string, opts: BlobStoreOptions = {}) {
    this.dir = dir;
    this.fileMode = opts.private ? 0o600 : 0o644;
    this.dirMode = opts.private ? 0o700 : undefined;
  }

  /** Where the blob's bytes live (whether or not they are there yet). */
  path(cid: Cid | string): string {
    return join(this.dir, blobCid(cid).toString());
  }

  /** Where the blob's metadata (`{mimeType, size}`) lives. */
  metaPath(cid: Cid | string): string {
    return `${this.path(cid)}.json`;
  }

  /**
   * Whether the blob is present. With `verify` (the default) its bytes are hashed and must match
   * the CID; without, the file must exist and have the size its metadata records (if any).
   */
  async has(cid: Cid | string, opts: { verify?: boolean } = {}): Promise<boolean> {
    const c = blobCid(cid);
    const path = this.path(c);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return false;
    if (opts.verify === false) {
      const meta = await this.meta(c);
      return meta === undefined || meta.size === info.size;
    }
    const hash = createHash('sha256');
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) hash.update(chunk);
    } catch {
      return false;
    }
    return digestMatches(c, new Uint8Array(hash.digest()));
  }

  /** The recorded metadata, or undefined when missing or unreadable. */
  async meta(cid: Cid | string): Promise<BlobMeta | undefined> {
    let text: string;
    try {
      text = await readFile(this.metaPath(cid), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const v = JSON.parse(text) as Partial<BlobMeta> | null;
      if (v && typeof v.mimeType === 'string' && isMimeType(v.mimeType) && typeof v.size === 'number' && Number.isSafeInteger(v.size) && v.size >= 0) {
        return { mimeType: v.mimeType, size: v.size };
      }
    } catch {
      /* corrupt metadata counts as missing */
    }
    return undefined;
  }

  /** The MIME type recorded with the blob. */
  async mimeType(cid: Cid | string): Promise<string | undefined> {
    return (await this.meta(cid))?.mimeType;
  }

  /**
   * Stores a blob: streams `data` to a temp file while hashing it; renames it under the CID only
   * if the hash matches, else deletes it and throws invalid 'BlobHashMismatch'. The metadata is
   * written (atomically) before the rename, so a blob under its CID always has its MIME type.
   * Resolves to the number of bytes stored.
   */
  async put(cid: Cid | string, data: Uint8Array | AsyncIterable<Uint8Array>, mimeType: string, opts: BlobPutOptions = {}): Promise<number> {
    const c = blobCid(cid);
    const name = c.toString();
    const target = join(this.dir, name);
    const tmp = join(this.dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.atcli-tmp`);
    const source = data instanceof Uint8Array ? once(data) : data;
    let fh: FileHandle | undefined;
    let size = 0;
    try {
      await mkdir(this.dir, { recursive: true, ...(this.dirMode !== undefined ? { mode: this.dirMode } : {}) }).catch((err: unknown) => {
        throw fsError('create', this.dir, err);
      });
      fh = await open(tmp, 'wx', this.fileMode).catch((err: unknown) => {
        throw fsError('write', tmp, err);
      });
      const hash = createHash('sha256');
      for await (const chunk of source) {
        opts.signal?.throwIfAborted();
        size += chunk.byteLength;
        if (opts.maxBytes !== undefined && size > opts.maxBytes) {
          throw runtime('BlobTooLarge', `blob ${name} is larger than the limit of ${opts.maxBytes} bytes`, { details: { cid: name, maxBytes: opts.maxBytes } });
        }
        hash.update(chunk);
        let off = 0;
        while (off < chunk.byteLength) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off).catch((err: unknown) => {
            throw fsError('write', tmp, err);
          });
          off += bytesWritten;
        }
      }
      opts.signal?.throwIfAborted();
      const digest = new Uint8Array(hash.digest());
      if (!digestMatches(c, digest)) {
        throw invalid('BlobHashMismatch', `the bytes received for blob ${name} do not match its CID (sha2-256 ${hex(digest)}, ${size} bytes)`, {
          hint: 'the server sent corrupted or different data; nothing was stored under that CID',
          details: { cid: name, sha256: hex(digest), size },
        });
      }
      await fh.sync().catch((err: unknown) => {
        throw fsError('write', tmp, err);
      });
      await fh.close();
      fh = undefined;
      await writeMeta(`${target}.json`, { mimeType, size }, this.fileMode);
      await rename(tmp, target).catch((err: unknown) => {
        throw fsError('write', target, err);
      });
      return size;
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      if (opts.signal?.aborted && !(err instanceof AtcliError && err.kind === 'interrupted')) {
        throw new AtcliError('interrupted', 'Interrupted', `interrupted while storing blob ${name}`, { cause: err });
      }
      throw err;
    }
  }

  /** Every blob CID in the folder (file names that are blob CIDs; metadata and temp files skipped). */
  async *list(): AsyncGenerator<string> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw fsError('read', this.dir, err);
    }
    for (const name of names.sort()) {
      if (name.startsWith('.') || name.endsWith('.json')) continue;
      try {
        if (blobCid(name).toString() === name) yield name;
      } catch {
        /* not a blob file */
      }
    }
  }

  /** Deletes temp files left behind by processes that no longer run. Returns how many. */
  async sweep(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const m = TEMP_RE.exec(name);
      if (!m || processAlive(Number(m[2]))) continue;
      await unlink(join(this.dir, name)).then(
        () => removed++,
        () => undefined,
      );
    }
    return removed;
  }
}
