/**
 * Watching did:plc identities (docs/backup.md "Watching an identity"): every operation the
 * directory accepted that is not signed by one of the user's own rotation keys is a finding, with
 * the time left in its 72-hour recovery window and the exact remedy — the operation that would
 * nullify it (its prev is the operation before it, its content the state before it) and which of
 * the user's keys has the priority to sign it.
 *
 * Operations up to a baseline (the last log entry seen at an earlier check, or a time) are known
 * history and not reported; so are genesis operations, operations already nullified, and — unless
 * asked — those whose window has closed.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AtcliError, invalid, runtime } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { sleep } from '../util/sleep.js';
import { authorityForPrev, verifyAuditLog } from './audit.js';
import type { PlcDirectoryClient } from './directory.js';
import { operationData, parseOperation } from './operation.js';
import type { OperationData, UnsignedPlcOperation } from './types.js';
import { buildUpdate, diffOperationData } from './update.js';
import { RECOVERY_WINDOW_MS } from './validate.js';

export interface WatchRemedy {
  /** The operation the nullification builds on (the one before the finding). */
  prev: string;
  /** Every operation it would nullify (the finding and anything built on it). */
  nullifies: string[];
  /** The user's key with the priority to sign it (the highest-priority one allowed), if any. */
  key: string | null;
  keyIndex: number | null;
  possible: boolean;
  /** Why it is not possible (no key of the user's outranks the signer, window closed, …). */
  reason?: string;
  /** The unsigned operation that restores the state before the finding. */
  operation: UnsignedPlcOperation | null;
}

export interface WatchFinding {
  did: string;
  cid: string;
  index: number;
  createdAt: string;
  type: string;
  signedBy: { keyIndex: number; key: string } | null;
  /** What the operation changed. */
  changes: string[];
  window: { endsAt: string; remainingMs: number; open: boolean };
  remedy: WatchRemedy;
}

export interface WatchedDid {
  did: string;
  status: 'ok' | 'alert' | 'invalid' | 'unchecked';
  operations: number;
  head: string | null;
  /** Index of the last log entry seen (the next baseline). */
  lastIndex: number;
  findings: number;
  /** Why the log could not be checked, or what is wrong with it. */
  problem?: string;
}

export interface WatchReport {
  checkedAt: string;
  status: 'clean' | 'alert' | 'invalid' | 'unchecked';
  dids: WatchedDid[];
  findings: WatchFinding[];
}

export interface WatchCheckOptions {
  plc: PlcDirectoryClient;
  dids: readonly string[];
  /** The user's own rotation keys (did:key): operations they signed are fine. */
  myKeys: readonly string[];
  /** Per DID, the index of the last log entry already seen: earlier entries are not reported. */
  baseline?: Readonly<Record<string, number>>;
  /** Operations created at or before this time are not reported. */
  since?: string;
  /** Also report operations whose recovery window has closed. */
  includeExpired?: boolean;
  now?: () => Date;
}

function stateAt(entries: readonly unknown[], index: number): OperationData | null {
  try {
    return operationData(parseOperation((entries[index] as { operation?: unknown }).operation));
  } catch {
    return null;
  }
}

function remedyFor(did: string, entries: readonly unknown[], prev: string, prevIndex: number | undefined, signerIndex: number | undefined, myKeys: readonly string[], now: Date): WatchRemedy {
  const auth = authorityForPrev(did, entries, prev, now);
  const before = prevIndex !== undefined ? stateAt(entries, prevIndex) : null;
  let operation: UnsignedPlcOperation | null = null;
  if (before !== null) {
    try {
      operation = buildUpdate(before, { prev });
    } catch {
      operation = null;
    }
  }
  const mine = auth.rotationKeys.map((k, i) => ({ k, i })).filter((x) => myKeys.includes(x.k));
  const allowed = mine.find((x) => auth.allowedKeys.includes(x.k));
  const out: WatchRemedy = { prev, nullifies: auth.wouldNullify, key: allowed?.k ?? null, keyIndex: allowed?.i ?? null, possible: allowed !== undefined && operation !== null, operation };
  if (!out.possible) {
    out.reason =
      auth.problem ??
      (mine.length === 0
        ? 'none of your keys is a rotation key of the operation before it'
        : `your highest-priority key is #${mine[0]!.i}, and the operation was signed by #${signerIndex ?? '?'}: only a strictly higher-priority key (a lower number) can nullify it`);
  }
  return out;
}

/** Checks each DID once. A DID whose log cannot be fetched is `unchecked`; one whose log does not replay is `invalid`. */
export async function checkPlcIdentities(opts: WatchCheckOptions): Promise<WatchReport> {
  const now = opts.now?.() ?? new Date();
  const since = opts.since !== undefined ? Date.parse(opts.since) : Number.NEGATIVE_INFINITY;
  const findings: WatchFinding[] = [];
  const dids: WatchedDid[] = [];
  for (const did of opts.dids) {
    let entries: unknown[];
    try {
      entries = await opts.plc.getAuditLog(did);
    } catch (err) {
      if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
      dids.push({ did, status: 'unchecked', operations: 0, head: null, lastIndex: opts.baseline?.[did] ?? -1, findings: 0, problem: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const log = verifyAuditLog(did, entries);
    const baseline = opts.baseline?.[did] ?? -1;
    const found: WatchFinding[] = [];
    for (const r of log.operations) {
      if (!r.valid || r.nullified || r.prev === null || r.prev === undefined || r.index <= baseline) continue;
      const created = Date.parse(r.createdAt);
      if (!(created > since)) continue;
      if (r.signedBy !== undefined && opts.myKeys.includes(r.signedBy.key)) continue;
      const endsAt = created + RECOVERY_WINDOW_MS;
      const open = endsAt >= now.getTime();
      if (!open && !opts.includeExpired) continue;
      const prevIndex = log.operations.find((o) => o.cid === r.prev && o.valid)?.index;
      const before = prevIndex !== undefined ? stateAt(entries, prevIndex) : null;
      found.push({
        did,
        cid: r.cid,
        index: r.index,
        createdAt: r.createdAt,
        type: r.type,
        signedBy: r.signedBy ?? null,
        changes: diffOperationData(before, stateAt(entries, r.index)).map((c) => c.message),
        window: { endsAt: new Date(endsAt).toISOString(), remainingMs: Math.max(0, endsAt - now.getTime()), open },
        remedy: remedyFor(did, entries, r.prev, prevIndex, r.signedBy?.keyIndex, opts.myKeys, now),
      });
    }
    findings.push(...found);
    dids.push({
      did,
      status: !log.valid ? 'invalid' : found.length > 0 ? 'alert' : 'ok',
      operations: entries.length,
      head: log.head?.cid ?? null,
      lastIndex: entries.length - 1,
      findings: found.length,
      ...(!log.valid ? { problem: log.problems.slice(0, 3).join('; ') } : {}),
    });
  }
  const status: WatchReport['status'] = dids.some((d) => d.status === 'invalid')
    ? 'invalid'
    : findings.length > 0
      ? 'alert'
      : dids.some((d) => d.status === 'unchecked')
        ? 'unchecked'
        : 'clean';
  return { checkedAt: now.toISOString(), status, dids, findings };
}

export type WatchEvent = { kind: 'finding'; finding: WatchFinding } | { kind: 'checked'; report: WatchReport };

export interface WatchLoopOptions extends WatchCheckOptions {
  /** Time between checks (default 60 s). */
  intervalMs?: number;
  /** Stops the loop (it then ends without an error). */
  signal?: AbortSignal;
}

/**
 * Checks again and again: yields each new finding once, then a `checked` event per round. The
 * first round reports what the baseline and `since` let through; later rounds only what is new.
 */
export async function* watchPlcIdentities(opts: WatchLoopOptions): AsyncGenerator<WatchEvent, void, undefined> {
  const baseline: Record<string, number> = { ...opts.baseline };
  const interval = Math.max(1000, opts.intervalMs ?? 60_000);
  const reported = new Set<string>();
  while (!opts.signal?.aborted) {
    let report: WatchReport;
    try {
      report = await checkPlcIdentities({ ...opts, baseline });
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    }
    for (const f of report.findings) {
      if (reported.has(f.cid)) continue;
      reported.add(f.cid);
      yield { kind: 'finding', finding: f };
    }
    // Nothing before the last entry seen is reported again (checked DIDs only).
    Object.assign(baseline, nextBaseline(baseline, report));
    yield { kind: 'checked', report };
    try {
      await sleep(interval, opts.signal);
    } catch {
      return;
    }
  }
}

// ------------------------------------------------------------------------------------------
// the baseline between runs (a one-shot check run from cron reports each operation once)

const STATE_KIND = 'atcli-plc-watch';

/** The baseline after a check: the last entry seen of every DID that could be checked. */
export function nextBaseline(previous: Readonly<Record<string, number>>, report: WatchReport): Record<string, number> {
  const out: Record<string, number> = { ...previous };
  for (const d of report.dids) if (d.status !== 'unchecked') out[d.did] = d.lastIndex;
  return out;
}

/** Reads a watch state file; an absent file is an empty baseline. Throws invalid 'InvalidWatchState'. */
export async function readWatchState(path: string): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw runtime('ReadFailed', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const bad = (): never => {
    throw invalid('InvalidWatchState', `${path} is not an atcli plc watch state file`, { hint: 'move it away: the next check then reports every operation still in its recovery window' });
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad();
  }
  const o = v as { kind?: unknown; baseline?: unknown };
  if (typeof v !== 'object' || v === null || o.kind !== STATE_KIND || typeof o.baseline !== 'object' || o.baseline === null) return bad();
  const out: Record<string, number> = {};
  for (const [did, n] of Object.entries(o.baseline as Record<string, unknown>)) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < -1) return bad();
    out[did] = n;
  }
  return out;
}

export async function writeWatchState(path: string, baseline: Readonly<Record<string, number>>): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify({ kind: STATE_KIND, version: 1, baseline, updatedAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600, overwrite: true });
}
