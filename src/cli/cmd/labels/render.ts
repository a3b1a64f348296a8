// One label as a line for people: status mark, value, subject, issuer, and what to know about it.
import type { LabelView } from '../../../core/labels/index.js';
import type { Output } from '../../render/output.js';

export function labelLine(out: Output, l: LabelView): string {
  const c = out.c;
  const mark = out.mark(l.status === 'valid' ? 'ok' : l.status === 'invalid' ? 'fail' : 'unchecked');
  const notes = [l.neg ? c.yellow('negation') : '', l.expired ? c.dim(`expired ${l.exp}`) : l.exp ? c.dim(`expires ${l.exp}`) : '', l.reasons.length > 0 ? c.red(l.reasons.join('; ')) : ''].filter((x) => x !== '');
  return `${l.seq !== null ? `${c.dim(String(l.seq))} ` : ''}${mark} ${c.bold(l.val)} ${l.uri} ${c.dim(`by ${l.src}`)}${notes.length > 0 ? ` ${notes.join(' ')}` : ''}`;
}

/** The verdict over several labels: 3 when one is invalid, else 1 when one could not be checked. */
export function labelsExit(counts: { invalid: number; unchecked: number }): number {
  return counts.invalid > 0 ? 3 : counts.unchecked > 0 ? 1 : 0;
}
