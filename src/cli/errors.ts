// Errors, the house way: "error: <message>", indented facts, "hint: <what to do>"; with --json one
// line {"error":{code,message,hint,details}} on stderr. No stack trace unless -vv / ATCLI_DEBUG.
import { isAtcliError, type AtcliError } from '../core/errors.js';
import { hintFor } from './hints/index.js';
import { jsonReplacer } from './render/output.js';
import type { StderrWriter } from './render/stderr.js';
import { capped } from './render/text.js';

const MAX_LISTED = 20;

export interface ErrorReport {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export function errorReport(err: AtcliError, path: string): ErrorReport {
  const report: ErrorReport = { code: err.code, message: err.message };
  const hint = hintFor(err, path);
  if (hint) report.hint = hint;
  if (err.details && Object.keys(err.details).length > 0) report.details = err.details;
  return report;
}

function facts(err: AtcliError): string[] {
  const lines: string[] = [];
  const attempts = err.details?.attempts;
  if (Array.isArray(attempts)) {
    for (const a of attempts as Array<{ method?: string; detail?: string }>) lines.push(`  ${String(a.method ?? '').padEnd(6)} ${a.detail ?? ''}`);
  }
  const problems = err.details?.problems;
  if (Array.isArray(problems)) {
    const { shown, more } = capped(problems, MAX_LISTED);
    const omitted = typeof err.details?.problemsOmitted === 'number' ? err.details.problemsOmitted : 0;
    for (const p of shown) lines.push(`  ${String(p)}`);
    if (more + omitted > 0) lines.push(`  … and ${(more + omitted).toLocaleString('en-US')} more`);
  }
  return lines;
}

export function printError(stderr: StderrWriter, json: boolean, err: unknown, path: string): void {
  const c = stderr.color;
  if (!isAtcliError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    const hint = 'this is a bug in atcli; please report it with the command you ran';
    if (json) stderr.line(JSON.stringify({ error: { code: 'InternalError', message, hint } }));
    else stderr.line([`${c.red('error:')} ${message}`, ...(stderr.quiet ? [] : [`${c.dim('hint:')} ${hint} (rerun with ATCLI_DEBUG=1 for a stack trace)`])].join('\n'));
    if (stderr.verbosity > 1 && err instanceof Error && err.stack) stderr.line(err.stack);
    return;
  }
  const report = errorReport(err, path);
  if (json) {
    stderr.line(JSON.stringify({ error: report }, jsonReplacer));
  } else {
    const lines = [`${c.red('error:')} ${report.message}`, ...facts(err)];
    if (report.hint && !stderr.quiet) lines.push(`${c.dim('hint:')} ${report.hint}`);
    stderr.line(lines.join('\n'));
  }
  if (stderr.verbosity > 1 && err.stack) stderr.line(err.stack);
}
