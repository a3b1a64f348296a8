// How `lex validate` shows a live record's verdict and a whole repository's report.
import { relative } from 'node:path';
import type { RecordCheckResult, RecordStatus, RepoValidationReport, SchemaOrigin } from '../../../core/lexicon/network.js';
import type { ValidationError } from '../../../core/lexicon/index.js';
import type { Output } from '../../render/output.js';
import { plural } from '../../render/text.js';
import { bundledLexiconsDir, display } from './shared.js';

export const RECORD_EXIT: Record<RecordStatus, number> = { valid: 0, invalid: 3, 'no-schema': 4, unchecked: 1 };
export const REPO_EXIT: Record<RepoValidationReport['status'], number> = { valid: 0, invalid: 3, unchecked: 1 };

/** A schema's origin as shown: files relative to the working directory (or to atcli's own folder). */
export function schemaOrigin(origin: SchemaOrigin): SchemaOrigin {
  if (origin.kind !== 'local' || origin.file === null) return origin;
  const bundledDir = bundledLexiconsDir();
  const file = origin.bundled && bundledDir !== undefined ? relative(bundledDir, origin.file).split('\\').join('/') : display(origin.file);
  return { ...origin, file };
}

function describeOrigin(o: SchemaOrigin | null): string | undefined {
  if (o === null) return undefined;
  if (o.kind === 'network') return `${o.uri} (${o.cid}), by Lexicon resolution`;
  return o.bundled ? `shipped with atcli${o.file === null ? '' : ` (${o.file})`}` : (o.file ?? 'loaded');
}

export function shownRecordCheck(r: RecordCheckResult): RecordCheckResult {
  return r.schema === null ? r : { ...r, schema: schemaOrigin(r.schema) };
}

export function shownRepoReport(r: RepoValidationReport): RepoValidationReport {
  return { ...r, collections: r.collections.map((c) => (c.schema === null ? c : { ...c, schema: schemaOrigin(c.schema) })) };
}

async function errorLines(out: Output, errors: readonly ValidationError[], more: number, indent: string): Promise<string> {
  const rows = errors.map((e) => [e.path === '' ? '(record)' : `${e.path}:`, e.message]);
  const table = (await out.table(rows)).replace(/^/gm, indent);
  return more > 0 ? `${table}\n${indent}${out.c.dim(`… and ${plural(more, 'more error')}`)}` : table;
}

export async function renderRecordCheck(out: Output, r: RecordCheckResult): Promise<string> {
  const c = out.c;
  const head =
    r.status === 'valid'
      ? `${out.mark('ok')} ${r.uri}: valid ${r.collection}`
      : r.status === 'invalid'
        ? `${out.mark('fail')} ${r.uri}: ${r.errors.length > 0 ? `${plural(r.errors.length + r.moreErrors, 'error')} against ${r.collection}` : `invalid: ${r.reason ?? ''}`}`
        : r.status === 'no-schema'
          ? `${out.mark('unchecked')} ${r.uri}: no schema for ${r.collection}: ${r.reason ?? ''}`
          : `${out.mark('unchecked')} ${r.uri}: could not check: ${r.reason ?? ''}`;
  const lines = [r.status === 'invalid' ? c.red(head) : head];
  if (r.errors.length > 0) lines.push(await errorLines(out, r.errors, r.moreErrors, '  '));
  const proof = r.proof.valid ? `verified at rev ${r.proof.rev ?? '?'}, signed by ${r.proof.signingKey}` : c.red(`does not verify: ${r.proof.errors.join('; ')}`);
  lines.push(
    out
      .fields([
        ['cid', r.cid],
        ['schema', describeOrigin(r.schema)],
        ['proof', proof],
      ])
      .replace(/^/gm, '  '),
  );
  return lines.join('\n');
}

function verdictLine(out: Output, r: RepoValidationReport): string {
  const t = r.totals;
  if (!r.recordsValidated) return out.c.red(`${out.mark('fail')} invalid: the repository does not verify, so its records were not validated`);
  const counts = `${plural(t.records, 'record')}: ${t.valid} valid, ${t.invalid} invalid, ${t.noSchema} without a schema, ${t.unchecked} unchecked`;
  if (r.status === 'valid') return out.c.green(`${out.mark('ok')} valid: ${counts}`);
  if (r.status === 'invalid') return out.c.red(`${out.mark('fail')} invalid: ${counts}`);
  const why = r.repository.status === 'unchecked' ? `the repository could not be fully verified (${r.repository.reason ?? 'a check could not run'})` : 'some records could not be checked';
  return out.c.yellow(`${out.mark('unchecked')} could not check: ${why}; ${counts}`);
}

export async function renderRepoReport(out: Output, r: RepoValidationReport): Promise<string> {
  const c = out.c;
  const repo = r.repository;
  const repoLine = repo.status === 'valid' ? `${out.mark('ok')} verified` : repo.status === 'unchecked' ? `${out.mark('unchecked')} unchecked: ${repo.reason ?? ''}` : `${out.mark('fail')} ${repo.errors.join('; ')}`;
  const sections = [
    out.fields([
      ['did', r.did],
      ['rev', r.rev],
      ['commit', r.commit],
      ['repository', repoLine],
    ]),
  ];
  for (const w of repo.warnings) sections.push(`${out.mark('warn')} ${w}`);
  if (r.recordsValidated) {
    const rows = r.collections.map((col) => [col.collection, String(col.records), String(col.valid), col.invalid > 0 ? c.red(String(col.invalid)) : '0', String(col.noSchema), String(col.unchecked), describeOrigin(col.schema) ?? c.dim(col.reason ?? '')]);
    const o = r.otherCollections;
    if (o !== null) rows.push([c.dim(`(${plural(o.collections, 'more collection')})`), String(o.records), String(o.valid), String(o.invalid), String(o.noSchema), String(o.unchecked), '']);
    sections.push(await out.table(rows, ['COLLECTION', 'RECORDS', 'VALID', 'INVALID', 'NO SCHEMA', 'UNCHECKED', 'SCHEMA']));
    for (const col of r.collections.filter((x) => x.problems.length > 0 || x.moreProblems > 0)) {
      const lines = [c.bold(`${col.collection}:`)];
      for (const p of col.problems) lines.push(`${out.mark('fail')} ${p.uri}`, await errorLines(out, p.errors, 0, '    '));
      if (col.moreProblems > 0) lines.push(c.dim(`… and ${plural(col.moreProblems, 'more record')} with problems`));
      sections.push(lines.join('\n'));
    }
  }
  sections.push(verdictLine(out, r));
  return sections.filter((s) => s !== '').join('\n');
}
