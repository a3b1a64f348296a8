/**
 * Blob references (spec:blob, spec:data-model "blob" type) for local files: the CID is CIDv1 +
 * raw (0x55) + sha2-256 of the bytes, `size` their length, `mimeType` detected from the first
 * bytes or the file name. Detection only compares a few magic bytes; media is never parsed
 * (spec:blob "Security Considerations").
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { AtcliError, invalid, runtime, usage } from '../errors.js';
import { CODEC_RAW, Cid, MH_SHA256, cidForRaw, parseCid, type CborValue } from '../codec/index.js';

/** The lexicon `blob` object as it appears in records (atproto JSON form). */
export interface BlobRef {
  $type: 'blob';
  ref: { $link: string };
  mimeType: string;
  size: number;
}

export const OCTET_STREAM = 'application/octet-stream';

const TOKEN = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}";
const MIME_RE = new RegExp(`^${TOKEN}/${TOKEN}(?:\\s*;[\\x20-\\x7e]{0,200})?$`);

/** True if `s` looks like a MIME type (`type/subtype`, optional `; params`, printable ASCII). */
export function isMimeType(s: string): boolean {
  return MIME_RE.test(s);
}

/**
 * Checks a user-supplied MIME type (usage error when malformed) and returns it as a PDS stores it:
 * `type/subtype` in lower case, parameters dropped.
 */
export function checkMimeType(s: string): string {
  const t = s.trim();
  if (!isMimeType(t)) {
    throw usage('InvalidMimeType', `"${t.slice(0, 100)}" is not a MIME type`, { hint: 'use type/subtype, e.g. image/png or application/octet-stream' });
  }
  return t.split(';')[0]!.trim().toLowerCase();
}

const EXTENSIONS: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.json': 'application/json',
  '.txt': 'text/plain',
};

function startsWith(head: Uint8Array, bytes: number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[at + i] !== bytes[i]) return false;
  return true;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** MIME type from magic bytes (png, jpeg, gif, webp, mp4), else undefined. */
export function sniffMimeType(head: Uint8Array): string | undefined {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, ascii('ftyp'), 4)) return 'video/mp4';
  return undefined;
}

/**
 * The MIME type of a file: magic bytes first (a PNG named .jpg is a PNG), then the extension
 * (json, txt and the media types above), else application/octet-stream.
 */
export function detectMimeType(head: Uint8Array, name?: string): string {
  const sniffed = sniffMimeType(head);
  if (sniffed) return sniffed;
  const ext = name === undefined ? '' : extname(name).toLowerCase();
  return EXTENSIONS[ext] ?? OCTET_STREAM;
}

/** The blob reference of bytes in memory. */
export function blobRefForBytes(bytes: Uint8Array, mimeType: string): BlobRef {
  return { $type: 'blob', ref: { $link: cidForRaw(bytes).toString() }, mimeType, size: bytes.byteLength };
}

/** The size of a regular file; usage errors for a missing file or a folder. */
async function regularFileSize(path: string): Promise<number> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw usage('FileNotFound', `no such file "${path}"`);
    throw runtime('ReadFailed', `could not read ${path}: ${err.code ?? err.message}`, { cause: err });
  });
  if (!info.isFile()) throw usage('NotAFile', `${path} is not a regular file`);
  return info.size;
}

/** A local file to upload as a blob, read whole; refused (usage 'FileTooLarge') above `maxBytes`. */
export async function readBlobFile(path: string, maxBytes: number): Promise<Uint8Array> {
  if ((await regularFileSize(path)) > maxBytes) throw usage('FileTooLarge', `${path} is larger than ${maxBytes} bytes, the most a blob may have here`);
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw runtime('ReadFailed', `could not read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

/** The blob reference of a local file, hashed as a stream (any size). */
export async function blobRefForFile(path: string, opts: { mimeType?: string } = {}): Promise<BlobRef> {
  await regularFileSize(path);
  const hash = createHash('sha256');
  let head = new Uint8Array(0);
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      if (head.length < 16) head = Buffer.concat([head, chunk.subarray(0, 16 - head.length)]);
      hash.update(chunk);
      size += chunk.length;
    }
  } catch (err) {
    if (err instanceof AtcliError) throw err;
    throw runtime('ReadFailed', `could not read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  const cid = Cid.create(CODEC_RAW, MH_SHA256, new Uint8Array(hash.digest()));
  const mimeType = opts.mimeType !== undefined ? checkMimeType(opts.mimeType) : detectMimeType(head, path);
  return { $type: 'blob', ref: { $link: cid.toString() }, mimeType, size };
}

/**
 * A CID that names a blob: CIDv1 raw sha2-256 (the only blessed blob CID). Throws invalid
 * 'InvalidBlobCid' for anything else, so a blob can always be checked against its name.
 */
export function blobCid(cid: Cid | string): Cid {
  let c: Cid;
  if (typeof cid === 'string') {
    try {
      c = parseCid(cid);
    } catch (err) {
      throw invalid('InvalidBlobCid', `"${cid.slice(0, 120)}" is not a valid CID`, { cause: err, details: { cid: cid.slice(0, 120) } });
    }
  } else {
    c = cid;
  }
  if (!c.isRawBlob) {
    throw invalid('InvalidBlobCid', `${c.toString()} is not a blob CID (blobs are CIDv1, raw codec, sha2-256)`, { details: { cid: c.toString() } });
  }
  return c;
}

/**
 * The blobs a record references (spec:data-model "blob"): `{$type: "blob", ref: <cid-link>}`
 * objects anywhere in it, and the legacy `{cid: "<string>", mimeType}` form. Each is added to
 * `out` as a CID string; references that are not blob CIDs are skipped. The walk is iterative
 * and visits each value once.
 */
export function blobRefsIn(value: CborValue, out: Set<string>): void {
  const stack: CborValue[] = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array || v instanceof Cid) continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    const ref = v['ref'];
    if (v['$type'] === 'blob' && ref instanceof Cid) {
      if (ref.isRawBlob) out.add(ref.toString());
      continue;
    }
    const legacy = v['cid'];
    if (v['$type'] === undefined && typeof legacy === 'string' && typeof v['mimeType'] === 'string') {
      try {
        out.add(blobCid(legacy).toString());
      } catch {
        /* not a blob reference */
      }
      continue;
    }
    for (const k in v) stack.push(v[k]!);
  }
}
