// What `plc watch` does with a finding: a paragraph for a person, and the --exec hook (the
// finding as JSON on stdin, the essentials in ATCLI_WATCH_* variables).
import { spawn } from 'node:child_process';
import type { WatchFinding, WatchReport } from '../../../core/plc/watch.js';
import type { StderrWriter } from '../../render/stderr.js';

function hours(ms: number): string {
  return ms >= 3_600_000 ? `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min` : `${Math.max(0, Math.floor(ms / 60_000))} min`;
}

/** A finding as lines: what happened, the window, and the command that undoes it. */
export function describeFinding(f: WatchFinding): string {
  const signer = f.signedBy ? `rotation key #${f.signedBy.keyIndex} ${f.signedBy.key}` : 'an unknown key';
  const lines = [`ALERT ${f.did}: operation ${f.cid} (#${f.index}, ${f.createdAt}) was signed by ${signer}, not by one of your keys`];
  for (const c of f.changes.slice(0, 10)) lines.push(`  ${c}`);
  if (f.changes.length > 10) lines.push(`  … and ${f.changes.length - 10} more changes`);
  lines.push(f.window.open ? `  recovery window: ${hours(f.window.remainingMs)} left (until ${f.window.endsAt})` : `  recovery window CLOSED at ${f.window.endsAt}`);
  if (f.remedy.possible) {
    lines.push(`  undo it with your key #${String(f.remedy.keyIndex)} ${String(f.remedy.key)}: atcli plc recover ${f.did} --nullify ${f.cid} --key-file <that key's file>`);
  } else {
    lines.push(`  it cannot be undone with your keys: ${f.remedy.reason ?? 'no remedy'}`);
  }
  return lines.join('\n');
}

/** A one-line summary of a check round (stderr). */
export function roundSummary(r: WatchReport): string {
  const problems = r.dids.filter((d) => d.status === 'unchecked' || d.status === 'invalid').map((d) => `${d.did} ${d.status}: ${d.problem ?? ''}`);
  return `checked ${r.dids.length} DID${r.dids.length === 1 ? '' : 's'} at ${r.checkedAt}: ${r.status}${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`;
}

/** The environment an --exec command receives with a finding. */
export function findingEnv(f: WatchFinding): Record<string, string> {
  return {
    ATCLI_WATCH_DID: f.did,
    ATCLI_WATCH_CID: f.cid,
    ATCLI_WATCH_CREATED_AT: f.createdAt,
    ATCLI_WATCH_WINDOW_ENDS: f.window.endsAt,
    ATCLI_WATCH_WINDOW_OPEN: f.window.open ? '1' : '0',
    ATCLI_WATCH_REMEDY_POSSIBLE: f.remedy.possible ? '1' : '0',
    ATCLI_WATCH_REMEDY_KEY: f.remedy.key ?? '',
  };
}

/**
 * Runs `command` through the shell with the finding as JSON on stdin. A hook that fails is
 * reported as a warning: watching goes on.
 */
export async function runHook(command: string, f: WatchFinding, env: Readonly<Record<string, string | undefined>>, err: StderrWriter): Promise<void> {
  const code = await new Promise<number | string>((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { env: { ...env, ...findingEnv(f) }, stdio: ['pipe', 'ignore', 'inherit'] });
    child.on('error', (e) => resolve(e.message));
    child.on('close', (c, signal) => resolve(c ?? signal ?? 'killed'));
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${JSON.stringify(f)}\n`);
  });
  if (code !== 0) err.warn(`--exec for ${f.cid} failed: ${typeof code === 'number' ? `exit ${code}` : code}`);
}
