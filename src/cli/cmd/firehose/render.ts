// One line per pipeline output: NDJSON with --json or when stdout is not a terminal, else a
// coloured line (seq, type, did and what changed). Jetstream's outputs have the same shape,
// without the fields only verification fills.

type StreamLine = PipelineOutput | JetstreamOutput;
import type { ChalkInstance } from 'chalk';
import type { EventView, Failure, OpRow, PipelineOutput } from '../../../core/firehose/pipeline.js';
import type { JetstreamEventView, JetstreamOpRow, JetstreamOutput } from '../../../core/jetstream/events.js';
import { EXIT_CODES, isAtcliError } from '../../../core/errors.js';
import { jsonReplacer, type Output } from '../../render/output.js';
import type { StderrWriter } from '../../render/stderr.js';

const TYPE_WIDTH = 8;

function preview(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function opMark(c: ChalkInstance, op: string): string {
  return op === 'create' ? c.green('+') : op === 'update' ? c.yellow('~') : c.red('-');
}

const TYPE_COLOURS: Record<string, (c: ChalkInstance) => ChalkInstance> = {
  commit: (c) => c.cyan,
  sync: (c) => c.blue,
  identity: (c) => c.yellow,
  account: (c) => c.magenta,
};

function typeColour(c: ChalkInstance, type: string): ChalkInstance {
  return (TYPE_COLOURS[type] ?? ((x: ChalkInstance) => x.white))(c);
}

function humanEvent(c: ChalkInstance, v: EventView | JetstreamEventView): string {
  if (v.type === 'info') return `${c.dim('-')} ${c.white('info'.padEnd(TYPE_WIDTH))} ${v.name}${v.message ? `: ${v.message}` : ''}`;
  const head = `${c.dim(String(v.seq))} ${typeColour(c, v.type)(v.type.padEnd(TYPE_WIDTH))} ${v.did}`;
  switch (v.type) {
    case 'commit': {
      const shown = v.ops.slice(0, 3).map((o) => `${opMark(c, o.op)}${o.collection}/${o.rkey}`);
      const more = v.ops.length > 3 ? c.dim(` (+${v.ops.length - 3} more)`) : '';
      const ops = v.ops.length === 0 ? c.dim('(no ops)') : shown.join(' ') + more;
      return `${head} ${c.dim(v.rev)} ${ops}${'verified' in v && v.verified ? c.green(' ✓') : ''}`;
    }
    case 'sync':
      return `${head} ${c.dim(v.rev)}${v.verified ? c.green(' ✓') : ''}`;
    case 'identity':
      return `${head} ${v.handle ?? c.dim('(no handle)')}`;
    case 'account':
      return `${head} ${v.active ? c.green('active') : c.red('inactive')}${v.status ? ` (${v.status})` : ''}`;
  }
}

function humanOp(c: ChalkInstance, r: OpRow | JetstreamOpRow): string {
  const record = r.record === null ? '' : ` ${preview(r.record)}`;
  return `${c.dim(String(r.seq))} ${opMark(c, r.op)}${r.op.padEnd(TYPE_WIDTH - 1)} ${r.did} ${r.collection}/${r.rkey} ${c.dim(r.cid ?? '')}${record}${'verified' in r && r.verified ? c.green(' ✓') : ''}`;
}

function humanFailure(c: ChalkInstance, f: Failure): string {
  const what = [f.seq ?? '-', f.type ?? 'frame', f.did].filter((x) => x !== null).join(' ');
  return c.red(`✗ ${what}: ${f.reasons.join('; ')}`);
}

/** The text of `outputs`: NDJSON lines, or one human line each. */
export function renderOutputs(c: ChalkInstance, json: boolean, outputs: readonly StreamLine[]): string {
  if (json) return outputs.map((o) => `${JSON.stringify(o.value, jsonReplacer)}\n`).join('');
  return outputs.map((o) => `${o.kind === 'event' ? humanEvent(c, o.value) : o.kind === 'op' ? humanOp(c, o.value) : humanFailure(c, o.value)}\n`).join('');
}

export async function writeOutputs(out: Output, outputs: readonly StreamLine[]): Promise<void> {
  if (out.json || !out.tty) {
    for (const o of outputs) await out.ndjson(o.value);
    return;
  }
  await out.text(renderOutputs(out.c, false, outputs));
}

type Summary = (how: string, resumable: boolean) => string;

/** The exit status of a stream that ended without an error, after its summary line. */
export function streamEnded(err: StderrWriter, quiet: boolean, summary: Summary, reason: string): number {
  if (reason === 'aborted') {
    err.line(summary('interrupted', true));
    return EXIT_CODES.interrupted;
  }
  if (!quiet) err.line(summary('done', true));
  return 0;
}

/** Ctrl-C surfacing as an error: the summary line, then the interrupted status; undefined otherwise. */
export function interruptedStatus(err: StderrWriter, signal: AbortSignal, error: unknown, summary: Summary): number | undefined {
  if (!(signal.aborted && isAtcliError(error) && error.kind === 'interrupted')) return undefined;
  err.line(summary('interrupted', true));
  return EXIT_CODES.interrupted;
}
