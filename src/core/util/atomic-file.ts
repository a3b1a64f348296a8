/**
 * Atomic file writes: data goes to a temp file beside the target (same directory, so the
 * rename cannot cross file systems), is fsynced, then renamed over the target. A reader never
 * sees a half-written file, and an interrupted write leaves the target untouched.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { runtime, usage } from '../errors.js';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644; sessions and keys use 0o600). */
  mode?: number;
  /** Replace an existing target (default false: refuse). */
  overwrite?: boolean;
  signal?: AbortSignal;
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
  if (!options.overwrite && (await fileExists(target))) {
    throw usage('FileExists', `${target} already exists`, { hint: 'choose another path with -o, or pass --force to replace it' });
  }
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
    await rename(tmp, target);
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
