/**
 * Atomic file writes: data goes to a temp file beside the target (same directory, so the
 * rename cannot cross file systems), is fsynced, then moved into place. A reader never sees a
 * half-written file, and an interrupted write leaves the target untouched.
 *
 * Without `overwrite`, an existing target is refused before anything is written and again at the
 * end: the temp file is hard-linked to the target name, which fails if the name was taken in the
 * meantime, so a file that appeared during a long download is never replaced.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type AtcliError, runtime, usage } from '../errors.js';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644; sessions and keys use 0o600). */
  mode?: number;
  /** Replace an existing target (default false: refuse with usage 'FileExists', also when it appears during the write). */
  overwrite?: boolean;
  signal?: AbortSignal;
}

function fileExistsError(target: string): AtcliError {
  return usage('FileExists', `${target} already exists`, { hint: 'it is only replaced when overwriting is asked for' });
}

/** Moves the finished temp file to `target` without ever replacing an existing file. */
async function linkIntoPlace(tmp: string, target: string): Promise<void> {
  try {
    await link(tmp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw fileExistsError(target);
    // File systems without hard links: the best remaining check, then a rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    if (await fileExists(target)) throw fileExistsError(target);
    await rename(tmp, target);
    return;
  }
  await unlink(tmp);
}

function tempPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.atcli-tmp`);
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Streams chunks into `target` atomically; returns the number of bytes written. */
export async function writeFileAtomic(target: string, data: Uint8Array | string | AsyncIterable<Uint8Array>, options: AtomicWriteOptions = {}): Promise<number> {
  if (!options.overwrite && (await fileExists(target))) throw fileExistsError(target);
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPath(target);
  let fh: FileHandle | undefined;
  let written = 0;
  try {
    fh = await open(tmp, 'wx', options.mode ?? 0o644);
    if (typeof data === 'string' || data instanceof Uint8Array) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      await fh.writeFile(bytes);
      written = bytes.length;
    } else {
      for await (const chunk of data) {
        options.signal?.throwIfAborted();
        let offset = 0;
        while (offset < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, offset, chunk.length - offset);
          offset += bytesWritten;
        }
        written += chunk.length;
      }
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    if (options.overwrite) await rename(tmp, target);
    else await linkIntoPlace(tmp, target);
    return written;
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (err instanceof Error && 'code' in err && typeof (err as NodeJS.ErrnoException).code === 'string' && !(err as { kind?: unknown }).kind) {
      throw runtime('WriteFailed', `could not write ${target}: ${(err as NodeJS.ErrnoException).code}`, { cause: err });
    }
    throw err;
  }
}
