/**
 * State files of long, resumable runs (a migration, a restore): a 0600 JSON file in a 0700 folder,
 * written atomically, that never holds a token (anything shaped like a JWT is refused), plus an
 * exclusive lock file beside it so that two processes never work on the same run at once; the
 * lock of a process that died (SIGKILL) is taken over.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AtcliError, invalid, runtime, type ErrorCode } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';

const JWT_RE = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;

export function errno(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Creates `dir` (and parents) with mode 0700; an existing folder keeps its mode. */
export async function makePrivateDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined && process.platform !== 'win32') await chmod(dir, 0o700);
}

/**
 * Writes `value` as JSON to `path` atomically with mode 0600 (its folder 0700). `label` names the
 * file in errors ("the migration state"). Refuses to write anything that looks like a token.
 */
export async function saveStateFile(path: string, value: unknown, label: string): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (JWT_RE.test(text)) throw new AtcliError('runtime', 'JournalSecret', `refusing to write ${label}: it would contain a token`);
  try {
    await makePrivateDir(dirname(path));
    await writeFileAtomic(path, text, { mode: 0o600, overwrite: true });
  } catch (err) {
    if (err instanceof AtcliError) throw err;
    throw runtime('JournalWriteFailed', `cannot write ${label} ${path}: ${errno(err) ?? String(err)}`, { cause: err });
  }
}

export interface StateFileShape {
  /** The `kind` field the file must carry. */
  kind: string;
  version: number;
  /** Every step name the `steps` map must hold (and nothing else). */
  steps: readonly string[];
  /** Top-level fields that must be strings. */
  strings: readonly string[];
  /** How to name the file in messages ("the migration state"). */
  label: string;
  /** The error code for a damaged file. */
  damagedCode: ErrorCode;
  hint: string;
}

/** Reads and checks a state file; null when there is none. Throws invalid `shape.damagedCode` for a damaged one. */
export async function loadStateFile(path: string, shape: StateFileShape): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw runtime('JournalReadFailed', `cannot read ${shape.label} ${path}: ${errno(err) ?? String(err)}`);
  }
  const damaged = (why: string): never => {
    throw invalid(shape.damagedCode, `${shape.label} ${path} is damaged: ${why}`, { hint: shape.hint });
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return damaged('not JSON');
  }
  if (!isRecord(v)) return damaged('not a JSON object');
  if (v['kind'] !== shape.kind) return damaged(`not an atcli ${shape.label.replace(/^the /, '')} file`);
  if (v['version'] !== shape.version) return damaged(`version ${String(v['version'])} is not supported (this atcli writes ${shape.version})`);
  for (const k of shape.strings) {
    if (typeof v[k] !== 'string') return damaged(`"${k}" is missing`);
  }
  if (!isRecord(v['steps'])) return damaged('"steps" is missing');
  const steps = v['steps'];
  for (const s of shape.steps) {
    const st = steps[s];
    if (!isRecord(st) || (st['status'] !== 'pending' && st['status'] !== 'done' && st['status'] !== 'failed')) return damaged(`step "${s}" is missing`);
  }
  for (const k of Object.keys(steps)) if (!shape.steps.includes(k)) return damaged(`unknown step "${k}"`);
  return v;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

export interface LockOptions {
  /** The error code when another process holds the lock. */
  code: ErrorCode;
  /** What the other process is doing, for the message ("migrating this account"). */
  activity: string;
}

/**
 * Exclusive lock `<path>.lock` holding our pid. A lock whose process is gone is taken over; a
 * live one is an error (`opts.code`). Returns the release function.
 */
export async function lockStateFile(path: string, opts: LockOptions): Promise<() => Promise<void>> {
  const lockPath = `${path}.lock`;
  await makePrivateDir(dirname(path));
  const token = `${process.pid} ${randomBytes(6).toString('hex')}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      try {
        await fh.writeFile(token, 'utf8');
      } finally {
        await fh.close();
      }
      return async () => {
        try {
          if ((await readFile(lockPath, 'utf8')) === token) await unlink(lockPath);
        } catch {
          /* gone */
        }
      };
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw runtime('JournalLockFailed', `cannot create ${lockPath}: ${errno(err) ?? String(err)}`);
    }
    const held = await readFile(lockPath, 'utf8').catch(() => '');
    const pid = Number.parseInt(held.split(' ')[0] ?? '', 10);
    if (held !== '' && pidAlive(pid) && pid !== process.pid) {
      throw runtime(opts.code, `another atcli process (pid ${pid}) is ${opts.activity} right now`, {
        hint: `wait for it to finish; if no such process exists, delete ${lockPath}`,
        details: { lock: lockPath, pid },
      });
    }
    await unlink(lockPath).catch(() => undefined);
  }
  throw runtime(opts.code, `could not take the lock ${lockPath}`);
}

/** Writes a small file of a private folder atomically (0600; the folder 0700). */
export async function writePrivateFile(dir: string, name: string, data: string | Uint8Array | AsyncIterable<Uint8Array>): Promise<{ path: string; bytes: number }> {
  await makePrivateDir(dir);
  const path = join(dir, name);
  const bytes = await writeFileAtomic(path, data, { mode: 0o600, overwrite: true });
  return { path, bytes };
}
