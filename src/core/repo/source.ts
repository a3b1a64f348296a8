/**
 * What a repository argument names: a CAR file, or an account whose repository lives on its PDS.
 *
 * A file is anything that can be read as a stream of bytes: a regular file, a character device
 * (/dev/stdin, /dev/null) or a named pipe. Its content is judged by the CAR reader, so an empty
 * file is an invalid CAR, not a missing one. Read the bytes with `fileChunks` (codec/car.ts).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { runtime, usage } from '../errors.js';
import { checkAtIdentifier } from '../syntax/index.js';

export type RepoArgument =
  | {
      kind: 'file';
      path: string;
      /** Bytes of a regular file; null for devices and pipes, whose length is unknown until read. */
      size: number | null;
    }
  | {
      kind: 'account';
      /** A handle, a DID, or an at:// URI naming the account. */
      id: string;
    };

/** An argument that can only mean a file: a path with a slash, a leading dot, or a .car name. */
function looksLikePath(arg: string): boolean {
  return arg.endsWith('.car') || arg.includes('/') || arg.startsWith('.');
}

function quoted(arg: string): string {
  return JSON.stringify(arg.length > 200 ? `${arg.slice(0, 199)}…` : arg);
}

function fileError(arg: string, err: unknown): Error {
  const code = (err as { code?: string }).code ?? 'EIO';
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `${code}${err instanceof Error ? `: ${err.message}` : ''}`;
  return runtime('FileUnreadable', `cannot read ${quoted(arg)}: ${why}`, { cause: err });
}

/**
 * Classifies a `<car|id>` argument. Throws usage 'FileNotFound' (a path that does not exist),
 * 'NotAFile' (a directory or a socket), 'InvalidIdentifier' (neither a file nor an account);
 * runtime 'FileUnreadable' (it exists but cannot be read).
 */
export async function classifyRepoArgument(arg: string): Promise<RepoArgument> {
  if (arg.trim() === '') throw usage('InvalidIdentifier', 'empty argument: expected a CAR file or an account (handle or DID)');
  if (arg.startsWith('at://')) return { kind: 'account', id: arg };
  let info;
  try {
    info = await stat(arg);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ENAMETOOLONG') throw fileError(arg, err);
  }
  if (info !== undefined) {
    if (info.isDirectory()) throw usage('NotAFile', `${quoted(arg)} is a directory, not a CAR file`);
    if (!info.isFile() && !info.isCharacterDevice() && !info.isFIFO() && !info.isBlockDevice()) {
      throw usage('NotAFile', `${quoted(arg)} is ${info.isSocket() ? 'a socket' : 'not a regular file'}, not a CAR file`);
    }
    try {
      await access(arg, constants.R_OK);
    } catch (err) {
      throw fileError(arg, err);
    }
    return { kind: 'file', path: arg, size: info.isFile() ? info.size : null };
  }
  if (looksLikePath(arg)) throw usage('FileNotFound', `no such CAR file ${quoted(arg)}`);
  const id = arg.startsWith('@') ? arg.slice(1) : arg;
  const reason = checkAtIdentifier(id);
  if (reason !== null) {
    throw usage('InvalidIdentifier', `${quoted(arg)} is neither a CAR file nor an account (${reason})`, { hint: 'give a path to a CAR file, a handle, or a DID' });
  }
  return { kind: 'account', id };
}
