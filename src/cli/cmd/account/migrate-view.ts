// What `account migrate` shows: step lines, progress bars and notes on stderr while it runs (one
// transient line at a time, cleared before any other line), and the result on stdout.
import type { MigrationEvent, MigrationResult } from '../../../core/account/migrate.js';
import { AtcliError } from '../../../core/errors.js';
import { hintFor } from '../../hints/index.js';
import type { Output } from '../../render/output.js';
import type { ProgressBar, StderrWriter } from '../../render/stderr.js';
import { formatBytes } from '../../render/text.js';

/** Draws the migration's events on stderr. `close` clears whatever bar is still drawn. */
export class MigrationProgress {
  private bar: { step: string; bar: ProgressBar } | undefined;

  constructor(private readonly err: StderrWriter) {}

  private barFor(step: string, label: string, unit: 'bytes' | 'items'): ProgressBar {
    if (this.bar?.step !== step) {
      this.close();
      this.bar = { step, bar: this.err.progress(label, unit) };
    }
    return this.bar.bar;
  }

  close(): void {
    this.bar?.bar.done();
    this.bar = undefined;
  }

  event(e: MigrationEvent): void {
    const c = this.err.color;
    switch (e.kind) {
      case 'step-start':
        this.close();
        this.err.info(`${c.cyan('▸')} [${e.index}/${e.total}] ${e.title}…`);
        break;
      case 'step-done':
        this.close();
        this.err.info(`${c.green('✓')} [${e.index}/${e.total}] ${e.step}${e.note ? `: ${e.note}` : ''}`);
        break;
      case 'info':
        this.err.info(`  ${e.message}`);
        break;
      case 'warning':
        this.err.warn(e.message);
        break;
      case 'bytes':
        this.barFor(e.step, e.step === 'export-repo' ? 'downloading the repository' : 'verifying the repository', 'bytes').update(e.done, e.total);
        break;
      case 'blobs':
        this.barFor('blobs', 'copying blobs', 'items').update(e.done, e.total, `${formatBytes(e.bytes)}${e.failed > 0 ? `, ${e.failed} failed` : ''}`);
        break;
      case 'plc-diff':
        this.err.info('identity update (shown before it is signed):');
        for (const line of e.changes) this.err.info(`  ${line}`);
        for (const w of e.warnings) this.err.warn(w);
        break;
    }
  }
}

function dryRun(out: Output, r: MigrationResult): string[] {
  const c = out.c;
  const lines = [`dry run: migration of ${r.did} from ${r.oldPds} to ${r.newPds} (nothing was changed)`, '', 'preflight:'];
  for (const ch of r.preflight?.checks ?? []) {
    lines.push(`  ${out.mark(ch.ok ? 'ok' : ch.level === 'warning' ? 'warn' : 'fail')} ${ch.name}: ${ch.detail}`);
    const hint = ch.code === undefined ? undefined : hintFor(new AtcliError('usage', ch.code, ch.detail, ch.hint !== undefined ? { hint: ch.hint } : {}), 'account migrate');
    if (hint !== undefined) lines.push(`      ${c.dim('hint:')} ${hint}`);
  }
  lines.push('', `new account: ${r.newHandle} on ${r.newPds}`);
  const id = r.identity;
  if (id?.replaceRotationKeys !== undefined) lines.push(`identity: the old host's rotation keys ${id.replaceRotationKeys.join(', ') || '(none)'} are replaced by the new host's`);
  if (id?.keepRotationKeys !== undefined) lines.push(`          your rotation keys kept: ${id.keepRotationKeys.join(', ') || '(none)'}`);
  lines.push(`          your services kept: ${id?.keepServices?.join(', ') || '(none)'}`);
  if (id?.recoveryKey !== undefined) lines.push(`          added at the highest priority: ${id.recoveryKey}`);
  lines.push('', 'plan:');
  for (const p of r.plan) lines.push(`  ${p.status === 'done' ? c.green('✓') : p.status === 'failed' ? c.red('✗') : '·'} ${String(p.index).padStart(2)}. ${p.name}: ${p.title}`);
  lines.push('', `state file (written once the migration starts): ${r.stateFile}`);
  return lines;
}

/** The human form of a migration's result. */
export function renderMigration(out: Output, r: MigrationResult): string {
  if (r.status === 'dry-run') return dryRun(out, r).join('\n');
  if (r.status === 'waiting-for-plc-token') {
    return [
      `migration of ${r.did}: every record and blob is on ${r.newPds} and verified; waiting for the PLC token from the e-mail`,
      ...(r.identity?.changes ?? []).map((ch) => `  ${ch}`),
      `state saved in ${r.stateFile}`,
    ].join('\n');
  }
  const rep = r.report;
  if (rep === undefined) return `migrated ${r.did} to ${r.newPds}`;
  const { records, blobs, preferences: prefs, identity } = rep;
  return [
    `${out.mark('ok')} migrated ${rep.handle} (${rep.did}) from ${rep.old.pds} to ${rep.new.pds}`,
    out.fields([
      ['records', `${records.new} on the new host, ${records.source} on the old${records.identical ? ' (identical)' : ` (${records.missingOnNew} missing, ${records.extraOnNew} extra)`}`],
      ['blobs', `${blobs.new} on the new host${blobs.old !== null ? `, ${blobs.old} on the old` : ''}; ${blobs.imported}/${blobs.expected} referenced blobs imported, ${blobs.missingOnNew} missing`],
      ['preferences', `${prefs.count}${prefs.identical === true ? ' (identical)' : prefs.identical === false ? ' (DIFFER)' : ''}`],
      ['new host', rep.new.active ? 'active' : `NOT active (${rep.new.status ?? '?'})`],
      ['old host', rep.old.active === false ? `deactivated (${rep.old.status ?? 'deactivated'}); not deleted` : rep.old.active ? 'still ACTIVE' : 'unknown'],
      ['DID document', `PDS ${identity.pds ?? '?'}, signing key ${identity.signingKey ?? '?'}`],
      ['rotation keys', identity.rotationKeys.join(', ')],
      ['kept', [...identity.keptRotationKeys, ...identity.keptServices.map((s) => `service ${s}`)].join(', ') || '(nothing of yours to keep)'],
      ['backup', rep.backupDir],
    ]),
  ].join('\n');
}
