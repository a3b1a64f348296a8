/**
 * Private keys kept in files the user asked for: a rotation key held offline for recovery, the
 * signing key a restore generates. The file holds the private multikey and a newline, mode 0600,
 * written atomically; an existing file is never overwritten (a key that may already be in use
 * must not be lost). Nothing here prints or returns the private key.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runtime, usage } from '../errors.js';
import { fileExists, writeFileAtomic } from '../util/atomic-file.js';
import type { KeyType } from './curves.js';
import { parsePrivateKeyText } from './key-text.js';
import type { PrivateKey } from './private-key.js';

/** Largest key file read (a multikey is ~50 characters; the JSON and PEM forms a few hundred). */
export const KEY_FILE_MAX_BYTES = 8 * 1024;

export interface WrittenKeyFile {
  path: string;
  type: KeyType;
  /** The public half (did:key). */
  publicKey: string;
}

/**
 * Writes `key` to `path` (0600). Throws usage 'FileExists' when the file exists, whatever it
 * holds. The folder is created (0700) when missing.
 */
export async function writePrivateKeyFile(path: string, key: PrivateKey): Promise<WrittenKeyFile> {
  if (await fileExists(path)) {
    throw usage('FileExists', `${path} already exists; a key file is never overwritten`, { hint: 'choose another path, or move the old file away once you are sure its key is not in use' });
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${key.multikey()}\n`, { mode: 0o600, overwrite: false });
  return { path, type: key.type, publicKey: key.publicKey.did() };
}

/**
 * Reads a private key file (multikey, hex with `type`, or the JSON `key generate` prints). Throws
 * usage 'KeyFileNotFound' for a missing file, invalid 'InvalidPrivateKey' for one
 * that holds no usable key; messages never repeat the file's content.
 */
export async function readPrivateKeyFile(path: string, type?: KeyType): Promise<PrivateKey> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) throw usage('KeyFileNotFound', `no key file ${path}`);
  if (info.size > KEY_FILE_MAX_BYTES) throw usage('InvalidKeyFile', `${path} is ${info.size} bytes, too large to be a key file`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw runtime('ReadFailed', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parsePrivateKeyText(text, { source: path, ...(type !== undefined ? { type } : {}) });
}
