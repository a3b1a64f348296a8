// A checklist: one line per check with its mark (✓ ok, ✗ failed, ! warning, ? could not run),
// its name and what was found, aligned in every output (it is a report, not a listing to cut).
import type { ChalkInstance } from 'chalk';
import { renderTable } from './table.js';

export type CheckStatus = 'ok' | 'failed' | 'warning' | 'unchecked';

/** A check as core reports it: with a status, or (older reports) only `ok`. */
export interface CheckLike {
  name: string;
  ok: boolean;
  detail: string;
  status?: CheckStatus;
}

export function statusOf(check: CheckLike): CheckStatus {
  return check.status ?? (check.ok ? 'ok' : 'failed');
}

export function checkMark(c: ChalkInstance, status: CheckStatus): string {
  return status === 'ok' ? c.green('✓') : status === 'failed' ? c.red('✗') : status === 'warning' ? c.yellow('!') : c.yellow('?');
}

export function renderChecks(checks: readonly CheckLike[], c: ChalkInstance): Promise<string> {
  return renderTable(
    checks.map((x) => [`${checkMark(c, statusOf(x))} ${x.name}`, x.detail]),
    { tty: true },
  );
}
