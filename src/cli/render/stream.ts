// What the event-stream commands (firehose, labels) say on stderr while they run: connection
// notices and the closing summary line.
import type { SubscriberNotice } from '../../core/firehose/subscriber.js';
import type { StderrWriter } from './stderr.js';
import { plural } from './text.js';

export function describeNotice(err: StderrWriter, n: SubscriberNotice): void {
  switch (n.type) {
    case 'connecting':
      err.debug(`connecting to ${n.url}${n.cursor !== null ? ` (cursor ${n.cursor})` : ' (live)'}`);
      break;
    case 'connected':
      err.info(`connected to ${n.url}${n.cursor !== null ? ` after ${n.cursor}` : ' (live)'}`);
      break;
    case 'reconnecting':
      err.warn(`${n.reason}; reconnecting in ${(n.delayMs / 1000).toFixed(1)} s${n.cursor !== null ? ` after ${n.cursor}` : ''}`);
      break;
    case 'duplicate':
      err.debug(`dropped ${n.seq} (already processed up to ${n.lastSeq})`);
      break;
    case 'overflow':
      err.warn(`falling behind: ${n.frames} messages queued; reconnecting from the last processed position`);
      break;
    case 'error-frame':
      err.warn(`the server sent ${n.error}${n.message ? `: ${n.message}` : ''}`);
      break;
    case 'resumed':
      err.info(`resuming after ${n.seq} (cursor file)`);
      break;
    case 'cursor-save-failed':
      err.warn(n.message);
      break;
  }
}

export interface StreamSummary {
  /** "done", "interrupted", "stopped". */
  how: string;
  startedAt: number;
  now: number;
  events: number;
  noun: string;
  shown?: number;
  /** Extra facts, e.g. "2 verification failures". */
  facts: string[];
  last: number | null;
  /** What `last` counts, e.g. "seq" ("last seq 99"). */
  lastLabel?: string;
  /** The flag that resumes from `last`, when resuming makes sense. */
  resumeFlag?: string;
}

/** "done: 120 events (40 shown) in 3.2 s, 37.5/s, 0 failures, last seq 99; resume with --cursor 99". */
export function summaryLine(err: StderrWriter, s: StreamSummary): string {
  const secs = Math.max((s.now - s.startedAt) / 1000, 0.001);
  const rate = s.events / secs;
  const parts = [
    `${plural(s.events, s.noun)}${s.shown !== undefined ? ` (${s.shown} shown)` : ''} in ${secs.toFixed(1)} s, ${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}/s`,
    ...s.facts,
    `last ${s.lastLabel ? `${s.lastLabel} ` : ''}${s.last ?? 'none'}`,
  ];
  const resume = s.resumeFlag && s.last !== null ? `; resume with ${s.resumeFlag} ${s.last}` : '';
  return `${err.color.dim(`${s.how}:`)} ${parts.join(', ')}${resume}`;
}
