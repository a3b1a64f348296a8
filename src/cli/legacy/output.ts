// Rendering: results to stdout (human or JSON), errors and messages to stderr.
// The JSON is the result object itself; the human form is a rendering of the same object.
import { Chalk, type ChalkInstance } from 'chalk';
import type { Context } from './context.js';
import { isAtcliError, type AtcliError } from '../../core/errors.js';

export function stdoutChalk(ctx: Context): ChalkInstance {
  return new Chalk({ level: ctx.stdoutColor ? 1 : 0 });
}

export function stderrChalk(ctx: Context): ChalkInstance {
  return new Chalk({ level: ctx.stderrColor ? 1 : 0 });
}

/** Writes to stdout and waits for the stream to accept more (back-pressure for long outputs). */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}

/** Prints a command's result: pretty JSON with --json, else the human rendering (if any). */
export async function printResult<T>(ctx: Context, result: T, human: (result: T) => string | undefined): Promise<void> {
  if (ctx.json) {
    await writeStdout(`${JSON.stringify(result, jsonReplacer, 2)}\n`);
    return;
  }
  const text = human(result);
  if (text !== undefined && text !== '') await writeStdout(text.endsWith('\n') ? text : `${text}\n`);
}

/** One NDJSON line (for streams and long listings). */
export function ndjsonLine(value: unknown): string {
  return `${JSON.stringify(value, jsonReplacer)}\n`;
}

/** BigInt is not JSON; atproto integers beyond 2^53 are printed as strings. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Aligned columns for human listings (tab-separated when stdout is not a terminal). */
export function columns(ctx: Context, rows: string[][], header?: string[]): string {
  const all = header && ctx.stdoutIsTTY ? [header, ...rows] : rows;
  if (!ctx.stdoutIsTTY) return all.map((r) => r.join('\t')).join('\n');
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const c = stdoutChalk(ctx);
  return all
    .map((row, r) => {
      const line = row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
      return header && r === 0 ? c.bold(line) : line;
    })
    .join('\n');
}

/** Key/value block for human output: "did      did:plc:…". */
export function fields(ctx: Context, entries: Array<[string, string | number | boolean | undefined | null]>): string {
  const shown = entries.filter(([, v]) => v !== undefined && v !== null);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  const c = stdoutChalk(ctx);
  return shown.map(([k, v]) => `${c.dim(k.padEnd(width))}  ${String(v)}`).join('\n');
}

export interface ErrorReport {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export function errorReport(err: AtcliError): ErrorReport {
  const report: ErrorReport = { code: err.code, message: err.message };
  if (err.hint) report.hint = err.hint;
  if (err.details && Object.keys(err.details).length > 0) report.details = err.details;
  return report;
}

/** Prints an error the house way: `error:` line, indented facts, `hint:` line; or one JSON line. */
export function printError(ctx: Pick<Context, 'json' | 'stderrColor' | 'verbosity'>, err: unknown): void {
  const c = new Chalk({ level: ctx.stderrColor ? 1 : 0 });
  if (!isAtcliError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    if (ctx.json) {
      process.stderr.write(`${JSON.stringify({ error: { code: 'InternalError', message, hint: 'this is a bug in atcli; please report it with the command you ran' } })}\n`);
    } else {
      process.stderr.write(`${c.red('error:')} ${message}\n${c.dim('hint:')} this is a bug in atcli; please report it with the command you ran (rerun with ATCLI_DEBUG=1 for a stack trace)\n`);
    }
    if (ctx.verbosity > 1 && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return;
  }
  const report = errorReport(err);
  if (ctx.json) {
    process.stderr.write(`${JSON.stringify({ error: report }, jsonReplacer)}\n`);
  } else {
    let text = `${c.red('error:')} ${report.message}\n`;
    const attempts = err.details?.attempts;
    if (Array.isArray(attempts)) {
      for (const a of attempts as Array<{ method?: string; detail?: string }>) {
        text += `  ${String(a.method ?? '').padEnd(6)} ${a.detail ?? ''}\n`;
      }
    }
    const problems = err.details?.problems;
    if (Array.isArray(problems)) for (const p of problems) text += `  ${String(p)}\n`;
    if (report.hint) text += `${c.dim('hint:')} ${report.hint}\n`;
    process.stderr.write(text);
  }
  if (ctx.verbosity > 1 && err.stack) process.stderr.write(`${err.stack}\n`);
}
