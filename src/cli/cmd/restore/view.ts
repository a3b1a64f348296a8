// What `restore` shows: step lines and the blob bar on stderr while it runs, the plan of a dry run
// and the final report on stdout.
import type { RestoreEvent, RestoreResult } from '../../../core/account/restore/index.js';
import type { Output } from '../../render/output.js';
import type { ProgressBar, StderrWriter } from '../../render/stderr.js';
import { formatBytes } from '../../render/text.js';

export function restoreEvents(err: StderrWriter): { event(e: RestoreEvent): void; close(): void } {
  let bar: ProgressBar | undefined;
  const close = (): void => {
    bar?.done();
    bar = undefined;
  };
  const c = err.color;
  return {
    close,
    event(e) {
      if (e.kind !== 'blobs') close();
      if (e.kind === 'step-start') err.info(`${c.cyan('▸')} [${e.index}/${e.total}] ${e.title}…`);
      else if (e.kind === 'step-done') err.info(`${c.green('✓')} [${e.index}/${e.total}] ${e.step}${e.note ? `: ${e.note}` : ''}`);
      else if (e.kind === 'info') err.info(`  ${e.message}`);
      else if (e.kind === 'warning') err.warn(e.message);
      else if (e.kind === 'plc-diff') {
        err.info('identity update (shown before it is signed):');
        for (const line of e.changes) err.info(`  ${line}`);
        for (const w of e.warnings) err.warn(w);
      } else {
        bar ??= err.progress('copying blobs', 'items');
        bar.update(e.done, e.total, `${formatBytes(e.bytes)}${e.failed > 0 ? `, ${e.failed} failed` : ''}`);
      }
    },
  };
}

export function renderRestore(out: Output, r: RestoreResult): string {
  const c = out.c;
  const lines: string[] = [];
  const pf = r.preflight;
  if (r.status === 'dry-run') {
    lines.push(`dry run: restore of ${r.did} from ${r.backupDir} onto ${r.newPds} as ${r.newHandle} (nothing was changed)`, '', 'checks:');
    for (const ch of pf?.checks ?? []) lines.push(`  ${out.mark(ch.ok ? 'ok' : ch.level === 'warning' ? 'warn' : 'fail')} ${ch.name}: ${ch.detail}${ch.hint ? c.dim(` (${ch.hint})`) : ''}`);
    if (pf?.takeOver) lines.push('', 'identity update 1 (your rotation key points the DID at the new host with your signing key):', ...pf.takeOver.changes.map((x) => `  ${x}`));
    if (pf && pf.handOver.length > 0) lines.push('', 'identity update 2 (hands the identity to the new host):', ...pf.handOver.map((x) => `  ${x}`));
    if (pf && pf.irreversible.length > 0) lines.push('', `irreversible, confirmed one by one: ${pf.irreversible.map((s) => s.title).join('; ')}`);
  } else {
    lines.push(`${out.mark('ok')} ${r.did} restored onto ${r.newPds} as ${r.newHandle}`);
    const rep = r.report;
    if (rep) {
      lines.push(
        `  records ${rep.records.restored}/${rep.records.backup}, blobs ${rep.blobs.restored}/${rep.blobs.backup}, preferences ${rep.preferences.restored ?? '-'}/${rep.preferences.backup ?? '-'}, ${rep.active ? 'active' : 'NOT active'}`,
        `  rotation keys: ${rep.identity.rotationKeys.join(', ')}`,
      );
    }
  }
  lines.push('', 'plan:');
  for (const p of r.plan) lines.push(`  ${p.status === 'done' ? c.green('✓') : p.status === 'failed' ? c.red('✗') : '·'} ${String(p.index).padStart(2)}. ${p.name}: ${p.title}`);
  lines.push('', `signing key: ${r.signingKey.publicKey}${r.signingKey.file ? ` (${r.signingKey.file})` : ''}`, `state file: ${r.stateFile}`);
  return lines.join('\n');
}
