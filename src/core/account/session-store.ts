/**
 * Stored logins: `<configDir>/sessions/<profile>.json`, mode 0600, tokens only — never a password.
 * Writes go to a 0600 temp file in the same directory, fsync, rename (atomic).
 * `lock()` is an exclusive lock file next to the session file, used around token refresh.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-file.js';
import { join } from 'node:path';
import { AtcliError, invalid, runtime, usage } from '../errors.js';
import type { SessionData, SessionStore } from '../xrpc/session.js';

export const PROFILE_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** A lock file older than this is considered abandoned (its process died). */
export const STALE_LOCK_MS = 30_000;

export function checkProfileName(profile: string): void {
  if (!PROFILE_RE.test(profile) || profile === '.' || profile === '..') {
    throw usage('InvalidProfile', `invalid profile name '${profile.slice(0, 80)}'`, {
      hint: 'profile names use letters, digits, ".", "_" and "-" (at most 64 characters)',
    });
  }
}

export interface SessionReadInfo {
  session: SessionData;
  path: string;
  /** the file is readable or writable by group/others (ssh-style warning) */
  insecure: boolean;
  mode: number;
}

export interface FileSessionStoreOptions {
  staleLockMs?: number;
  /** give up waiting for a lock after this long (default: staleLockMs + 10 s) */
  lockWaitMs?: number;
}

const isWindows = process.platform === 'win32';

function errno(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

function ioError(what: string, path: string, err: unknown): AtcliError {
  return runtime('SessionIOError', `${what} ${path}: ${errno(err) ?? (err instanceof Error ? err.message : String(err))}`, {
    cause: err,
    details: { path },
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Only these fields are ever written: nothing else (no password) can reach the file. */
function toStored(d: SessionData): SessionData {
  const out: SessionData = {
    did: d.did,
    handle: d.handle,
    pds: d.pds,
    accessJwt: d.accessJwt,
    refreshJwt: d.refreshJwt,
    obtainedAt: d.obtainedAt,
  };
  if (d.email !== undefined) out.email = d.email;
  if (d.service !== undefined) out.service = d.service;
  if (d.appPassword !== undefined) out.appPassword = d.appPassword;
  return out;
}

function parseStored(text: string, path: string): SessionData {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalid('SessionFileInvalid', `session file ${path} is not valid JSON`, {
      hint: 'log in again to replace it',
      details: { path },
    });
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const str = (k: string): boolean => typeof o[k] === 'string' && o[k] !== '';
  if (!str('did') || !str('handle') || !str('pds') || !str('accessJwt') || !str('refreshJwt') || !str('obtainedAt')) {
    throw invalid('SessionFileInvalid', `session file ${path} is missing fields`, {
      hint: 'log in again to replace it',
      details: { path },
    });
  }
  const d: SessionData = {
    did: o.did as string,
    handle: o.handle as string,
    pds: o.pds as string,
    accessJwt: o.accessJwt as string,
    refreshJwt: o.refreshJwt as string,
    obtainedAt: o.obtainedAt as string,
  };
  if (typeof o.email === 'string') d.email = o.email;
  if (typeof o.service === 'string') d.service = o.service;
  if (typeof o.appPassword === 'boolean') d.appPassword = o.appPassword;
  return d;
}

export class FileSessionStore implements SessionStore {
  readonly dir: string;
  private readonly staleLockMs: number;
  private readonly lockWaitMs: number;

  constructor(
    readonly configDir: string,
    options: FileSessionStoreOptions = {},
  ) {
    this.dir = join(configDir, 'sessions');
    this.staleLockMs = options.staleLockMs ?? STALE_LOCK_MS;
    this.lockWaitMs = options.lockWaitMs ?? this.staleLockMs + 10_000;
  }

  path(profile: string): string {
    checkProfileName(profile);
    return join(this.dir, `${profile}.json`);
  }

  async read(profile: string): Promise<SessionData | null> {
    return (await this.readWithInfo(profile))?.session ?? null;
  }

  /** Like `read`, plus whether the file's permissions are too open (warn, ssh-style). */
  async readWithInfo(profile: string): Promise<SessionReadInfo | null> {
    const p = this.path(profile);
    let text: string;
    let mode: number;
    try {
      const fh = await open(p, fsConstants.O_RDONLY);
      try {
        mode = (await fh.stat()).mode & 0o777;
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (errno(err) === 'ENOENT') return null;
      throw ioError('cannot read session file', p, err);
    }
    return { session: parseStored(text, p), path: p, mode, insecure: !isWindows && (mode & 0o077) !== 0 };
  }

  async write(profile: string, data: SessionData): Promise<void> {
    const p = this.path(profile);
    await this.ensureDir();
    try {
      await writeFileAtomic(p, `${JSON.stringify(toStored(data), null, 2)}\n`, { mode: 0o600, overwrite: true });
    } catch (err) {
      throw ioError('cannot write session file', p, err);
    }
    await syncDir(this.dir);
  }

  async remove(profile: string): Promise<boolean> {
    const p = this.path(profile);
    try {
      await unlink(p);
      return true;
    } catch (err) {
      if (errno(err) === 'ENOENT') return false;
      throw ioError('cannot remove session file', p, err);
    }
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (errno(err) === 'ENOENT') return [];
      throw ioError('cannot list sessions in', this.dir, err);
    }
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -'.json'.length))
      .filter((n) => PROFILE_RE.test(n) && !n.startsWith('.'))
      .sort();
  }

  /**
   * Exclusive lock for `profile` (a `<profile>.json.lock` file created with O_EXCL). Waits with
   * small sleeps; a lock older than the stale timeout is taken over. Returns the release function.
   */
  async lock(profile: string): Promise<() => Promise<void>> {
    const lockPath = `${this.path(profile)}.lock`;
    await this.ensureDir();
    const token = `${process.pid} ${randomBytes(8).toString('hex')} ${new Date().toISOString()}\n`;
    const started = Date.now();
    for (let i = 0; ; i++) {
      try {
        const fh = await open(lockPath, 'wx', 0o600);
        try {
          await fh.writeFile(token, 'utf8');
        } finally {
          await fh.close();
        }
        let released = false;
        // Keep the lock fresh while held, so a slow refresh is not mistaken for a dead process.
        const heartbeat = setInterval(() => {
          const now = new Date();
          void utimes(lockPath, now, now).catch(() => undefined);
        }, Math.max(50, Math.floor(this.staleLockMs / 3)));
        heartbeat.unref();
        return async () => {
          if (released) return;
          released = true;
          clearInterval(heartbeat);
          // Only remove the lock if it is still ours (it may have been taken over as stale).
          try {
            if ((await readFile(lockPath, 'utf8')) === token) await unlink(lockPath);
          } catch {
            /* already gone */
          }
        };
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw ioError('cannot create lock file', lockPath, err);
      }
      // Held by someone else: take it over if stale, otherwise wait.
      try {
        const st = await stat(lockPath);
        if (Date.now() - st.mtimeMs > this.staleLockMs) {
          const seen = await readFile(lockPath, 'utf8').catch(() => undefined);
          const again = await stat(lockPath).catch(() => undefined);
          if (again && again.mtimeMs === st.mtimeMs && (await readFile(lockPath, 'utf8').catch(() => undefined)) === seen) {
            await unlink(lockPath).catch(() => undefined);
          }
          continue;
        }
      } catch (err) {
        if (errno(err) === 'ENOENT') continue; // released in between
        throw ioError('cannot inspect lock file', lockPath, err);
      }
      if (Date.now() - started > this.lockWaitMs) {
        throw runtime('SessionLocked', `timed out waiting for the session lock ${lockPath}`, {
          hint: 'another process is refreshing this login; if none is running, delete the lock file',
          details: { path: lockPath },
        });
      }
      await sleep(Math.min(200, 10 + i * 5) + Math.random() * 20);
    }
  }

  private async ensureDir(): Promise<void> {
    try {
      await mkdir(this.configDir, { recursive: true, mode: 0o700 });
      const created = await mkdir(this.dir, { recursive: true, mode: 0o700 });
      if (created !== undefined && !isWindows) await chmod(this.dir, 0o700);
    } catch (err) {
      throw ioError('cannot create directory', this.dir, err);
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  if (isWindows) return;
  try {
    const fh = await open(dir, fsConstants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}
