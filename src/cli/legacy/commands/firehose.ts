// `atcli firehose tail` and `atcli firehose replay`: parse flags, run the core subscriber (or read
// a recording) into the core pipeline, and render each output as an NDJSON line (--json, or
// stdout not a terminal) or one coloured line. A stats line goes to stderr on every exit.
import type { ChalkInstance } from 'chalk';
import type { CommandRun } from '../program.js';
import type { Context } from '../context.js';
import { ndjsonLine, stdoutChalk, stderrChalk, writeStdout } from '../output.js';
import { EXIT_CODES, isAtcliError, usage } from '../../../core/errors.js';
import { parseDidKey } from '../../../core/crypto/index.js';
import { parseDidDocument, resolveDid, type IdentityConfig } from '../../../core/identity/index.js';
import { checkDid, checkNsid } from '../../../core/syntax/index.js';
import { EVENT_KINDS, FirehosePipeline, type EventKind, type EventView, type Failure, type KeyResolver, type KeyResult, type OpRow, type PipelineOptions, type PipelineOutput } from '../../../core/firehose/pipeline.js';
import { FrameRecorder, readRecording } from '../../../core/firehose/record.js';
import { inspectFrame, subscribe, subscribeReposUrl, type SubscriberNotice } from '../../../core/firehose/subscriber.js';

interface Flags {
  cursor: number | undefined;
  limit: number | undefined;
  collections: string[];
  dids: string[];
  events: EventKind[] | undefined;
  ops: boolean;
  verify: boolean;
}

function nonNegativeInt(flag: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value);
  const n = Number(s);
  if (!/^[0-9]+$/.test(s) || !Number.isSafeInteger(n) || n < min) {
    throw usage('InvalidFlag', `${flag} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer, got "${s}"`);
  }
  return n;
}

function parseFlags(opts: Record<string, unknown>): Flags {
  const collections = (opts.collection as string[] | undefined) ?? [];
  for (const c of collections) {
    const base = c.endsWith('.*') ? c.slice(0, -2) : c;
    const ok = c === '*' || (c.endsWith('.*') ? /^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z0-9-]+)*$/.test(base) : checkNsid(c) === null);
    if (!ok) throw usage('InvalidNsid', `-c ${c}: not a collection NSID (or a prefix like app.bsky.feed.*)`, { hint: 'for example -c app.bsky.feed.post' });
  }
  const dids = (opts.did as string[] | undefined) ?? [];
  for (const d of dids) {
    const reason = checkDid(d);
    if (reason !== null) throw usage('InvalidDid', `--did ${d}: ${reason}`, { hint: 'give a DID (did:plc:… or did:web:…); handles are not resolved here' });
  }
  let events: EventKind[] | undefined;
  if (opts.events !== undefined) {
    events = [];
    for (const raw of String(opts.events).split(',')) {
      const name = raw.trim().replace(/^#/, '');
      if (name === '') continue;
      if (!(EVENT_KINDS as readonly string[]).includes(name)) {
        throw usage('InvalidEvents', `--events: unknown event type "${name}"`, { hint: `use a comma-separated list of ${EVENT_KINDS.join(', ')}` });
      }
      events.push(name as EventKind);
    }
    if (events.length === 0) throw usage('InvalidEvents', '--events is empty', { hint: `use a comma-separated list of ${EVENT_KINDS.join(', ')}` });
  }
  return {
    cursor: nonNegativeInt('--cursor', opts.cursor, 0),
    limit: nonNegativeInt('--limit', opts.limit, 1),
    collections,
    dids,
    events,
    ops: opts.ops === true,
    verify: opts.verify === true,
  };
}

/** Signing keys from DID documents (did:plc via the PLC directory, did:web), one identity config so its cache is shared. */
function networkKeyResolver(ctx: Context): KeyResolver {
  let config: Promise<IdentityConfig> | undefined;
  return async (did, { fresh }) => {
    config ??= ctx.identityConfig();
    const doc = await resolveDid(await config, did, { noCache: fresh });
    const parsed = parseDidDocument(did, doc, { dev: ctx.dev });
    if (parsed.signingKey === undefined) throw usage('NoSigningKey', `the DID document of ${did} has no usable #atproto signing key`);
    return parsed.signingKey;
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

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

function humanEvent(c: ChalkInstance, v: EventView): string {
  if (v.type === 'info') return `${c.dim('-')} ${c.white('info'.padEnd(TYPE_WIDTH))} ${v.name}${v.message ? `: ${v.message}` : ''}`;
  const head = `${c.dim(String(v.seq))} ${typeColour(c, v.type)(v.type.padEnd(TYPE_WIDTH))} ${v.did}`;
  switch (v.type) {
    case 'commit': {
      const shown = v.ops.slice(0, 3).map((o) => `${opMark(c, o.op)}${o.collection}/${o.rkey}`);
      const more = v.ops.length > 3 ? c.dim(` (+${v.ops.length - 3} more)`) : '';
      const ops = v.ops.length === 0 ? c.dim('(no ops)') : shown.join(' ') + more;
      return `${head} ${c.dim(v.rev)} ${ops}${v.verified ? c.green(' ✓') : ''}`;
    }
    case 'sync':
      return `${head} ${c.dim(v.rev)}${v.verified ? c.green(' ✓') : ''}`;
    case 'identity':
      return `${head} ${v.handle ?? c.dim('(no handle)')}`;
    case 'account':
      return `${head} ${v.active ? c.green('active') : c.red('inactive')}${v.status ? ` (${v.status})` : ''}`;
  }
}

function typeColour(c: ChalkInstance, type: string): ChalkInstance {
  switch (type) {
    case 'commit':
      return c.cyan;
    case 'sync':
      return c.blue;
    case 'identity':
      return c.yellow;
    case 'account':
      return c.magenta;
    default:
      return c.white;
  }
}

function humanOp(c: ChalkInstance, r: OpRow): string {
  const record = r.record === null ? '' : ` ${preview(r.record)}`;
  return `${c.dim(String(r.seq))} ${opMark(c, r.op)}${r.op.padEnd(TYPE_WIDTH - 1)} ${r.did} ${r.collection}/${r.rkey} ${c.dim(r.cid ?? '')}${record}${r.verified ? c.green(' ✓') : ''}`;
}

function humanFailure(c: ChalkInstance, f: Failure): string {
  const what = [f.seq ?? '-', f.type ?? 'frame', f.did].filter((x) => x !== null).join(' ');
  return c.red(`✗ ${what}: ${f.reasons.join('; ')}`);
}

/** Renders outputs as NDJSON (--json or not a terminal) or human lines. */
export function renderOutputs(ctx: Pick<Context, 'json' | 'stdoutIsTTY' | 'stdoutColor'>, outputs: PipelineOutput[]): string {
  const json = ctx.json || !ctx.stdoutIsTTY;
  let text = '';
  if (json) {
    for (const o of outputs) text += ndjsonLine(o.value);
    return text;
  }
  const c = stdoutChalk(ctx as Context);
  for (const o of outputs) {
    text += `${o.kind === 'event' ? humanEvent(c, o.value) : o.kind === 'op' ? humanOp(c, o.value) : humanFailure(c, o.value)}\n`;
  }
  return text;
}

function describeNotice(ctx: Context, n: SubscriberNotice): void {
  switch (n.type) {
    case 'connecting':
      ctx.debug(`connecting to ${n.url}${n.cursor !== null ? ` (cursor ${n.cursor})` : ' (live)'}`);
      break;
    case 'connected':
      ctx.info(`connected to ${n.url}${n.cursor !== null ? ` after seq ${n.cursor}` : ' (live)'}`);
      break;
    case 'reconnecting':
      ctx.warn(`${n.reason}; reconnecting in ${(n.delayMs / 1000).toFixed(1)} s${n.cursor !== null ? ` after seq ${n.cursor}` : ''}`);
      break;
    case 'duplicate':
      ctx.debug(`dropped seq ${n.seq} (already processed up to ${n.lastSeq})`);
      break;
    case 'overflow':
      ctx.warn(`falling behind: ${n.frames} frames queued; reconnecting from the last processed seq`);
      break;
    case 'error-frame':
      ctx.warn(`the server sent ${n.error}${n.message ? `: ${n.message}` : ''}`);
      break;
    case 'resumed':
      ctx.info(`resuming after seq ${n.seq} (cursor file)`);
      break;
    case 'cursor-save-failed':
      ctx.warn(n.message);
      break;
  }
}

interface RunState {
  started: number;
  shown: number;
  lastSeq: number | null;
}

function statsLine(ctx: Context, pipeline: FirehosePipeline, run: RunState, how: string, resumeFlag: boolean): string {
  const c = stderrChalk(ctx);
  const secs = Math.max((Date.now() - run.started) / 1000, 0.001);
  const s = pipeline.stats;
  const rate = s.events / secs;
  const parts = [
    `${s.events} event${s.events === 1 ? '' : 's'} (${run.shown} shown) in ${secs.toFixed(1)} s, ${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}/s`,
    `${s.failures} verification failure${s.failures === 1 ? '' : 's'}`,
    `last seq ${run.lastSeq ?? 'none'}`,
  ];
  const resume = resumeFlag && run.lastSeq !== null ? `; resume with --cursor ${run.lastSeq}` : '';
  return `${c.dim(`${how}:`)} ${parts.join(', ')}${resume}\n`;
}

function makePipeline(flags: Flags, resolveKey: KeyResolver | undefined, onKey?: PipelineOptions['onKey']): FirehosePipeline {
  return new FirehosePipeline({
    verify: flags.verify,
    collections: flags.collections,
    dids: flags.dids,
    ...(flags.events ? { events: flags.events } : {}),
    ops: flags.ops,
    ...(flags.verify && resolveKey ? { resolveKey } : {}),
    ...(onKey ? { onKey } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// tail

export async function firehoseTailCommand({ ctx, opts }: CommandRun): Promise<number> {
  const flags = parseFlags(opts);
  const cursorFile = opts.cursorFile as string | undefined;
  const recordPath = opts.record as string | undefined;
  const url = subscribeReposUrl(ctx.relayUrl, { allowInsecure: ctx.dev });
  const recorder = recordPath !== undefined ? await FrameRecorder.open(recordPath) : undefined;
  const pipeline = makePipeline(
    flags,
    networkKeyResolver(ctx),
    recorder ? (did, result) => recorder.key(did, 'key' in result ? { key: result.key.did() } : { error: result.error }) : undefined,
  );
  const run: RunState = { started: Date.now(), shown: 0, lastSeq: flags.cursor ?? null };
  let sessionWritten = false;
  try {
    const result = await subscribe({
      url,
      ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
      ...(cursorFile !== undefined ? { cursorFile } : {}),
      allowInsecure: ctx.dev,
      http: await ctx.httpConfig(),
      signal: ctx.signal,
      connectTimeoutMs: ctx.timeoutMs,
      onNotice: (n) => {
        if (n.type === 'resumed') run.lastSeq = n.seq;
        describeNotice(ctx, n);
      },
      onFrame: async (item) => {
        if (recorder && !sessionWritten) {
          sessionWritten = true;
          await recorder.session({ url, cursor: run.lastSeq });
        }
        const outputs = await pipeline.process(item);
        if (recorder) await recorder.frame(item.data, item.seq, item.receivedAt);
        if (item.seq !== null) run.lastSeq = item.seq;
        if (outputs.length > 0) {
          await writeStdout(renderOutputs(ctx, outputs));
          run.shown++;
        }
        return flags.limit === undefined || run.shown < flags.limit;
      },
    });
    run.lastSeq = result.cursor;
    if (result.reason === 'aborted') {
      process.stderr.write(statsLine(ctx, pipeline, run, 'interrupted', true));
      return EXIT_CODES.interrupted;
    }
    if (!ctx.quiet) process.stderr.write(statsLine(ctx, pipeline, run, 'done', true));
    return 0;
  } catch (err) {
    if (ctx.signal.aborted && isAtcliError(err) && err.kind === 'interrupted') {
      process.stderr.write(statsLine(ctx, pipeline, run, 'interrupted', true));
      return EXIT_CODES.interrupted;
    }
    // After FutureCursor there is nothing to resume from: the hint says what to do instead.
    const resumable = !(isAtcliError(err) && err.code === 'FutureCursor');
    if (!resumable && pipeline.stats.frames === 0) run.lastSeq = null;
    process.stderr.write(statsLine(ctx, pipeline, run, 'stopped', resumable));
    throw err;
  } finally {
    await recorder?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// replay

export async function firehoseReplayCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  const file = args[0] as string;
  const flags = parseFlags(opts);
  // Keys the recording holds are used as they were live; other accounts are resolved.
  const recorded = new Map<string, { key: string } | { error: string }>();
  const network = networkKeyResolver(ctx);
  const resolveKey: KeyResolver = async (did, o) => {
    const r = recorded.get(did);
    if (r === undefined) return network(did, o);
    if ('error' in r) throw usage('RecordedKeyError', r.error);
    return parseDidKey(r.key);
  };
  const pipeline = makePipeline(flags, resolveKey);
  const run: RunState = { started: Date.now(), shown: 0, lastSeq: null };
  let passed = flags.cursor === undefined;
  try {
    for await (const entry of readRecording(file)) {
      if (ctx.signal.aborted) {
        process.stderr.write(statsLine(ctx, pipeline, run, 'interrupted', false));
        return EXIT_CODES.interrupted;
      }
      if (entry.kind === 'key') {
        const result: { key: string } | { error: string } = entry.key !== null ? { key: entry.key } : { error: entry.error ?? 'unknown error' };
        recorded.set(entry.did, result);
        if (flags.verify) {
          let primed: KeyResult;
          try {
            primed = 'key' in result ? { key: parseDidKey(result.key) } : result;
          } catch (err) {
            primed = { error: err instanceof Error ? err.message : String(err) };
          }
          pipeline.primeKey(entry.did, primed);
        }
        continue;
      }
      if (entry.kind === 'truncated') {
        ctx.warn(`${String(file)} ends with a cut-off entry at byte ${entry.offset} (${entry.bytes} bytes); it was ignored`);
        break;
      }
      if (entry.kind !== 'frame') continue;
      if (!passed) {
        if (entry.seq === null || entry.seq <= (flags.cursor as number)) continue;
        passed = true;
      }
      const outputs = await pipeline.process(inspectFrame(entry.data, { receivedAt: entry.time }));
      if (entry.seq !== null) run.lastSeq = entry.seq;
      if (outputs.length > 0) {
        await writeStdout(renderOutputs(ctx, outputs));
        run.shown++;
      }
      if (flags.limit !== undefined && run.shown >= flags.limit) break;
    }
  } catch (err) {
    if (ctx.signal.aborted && isAtcliError(err) && err.kind === 'interrupted') {
      process.stderr.write(statsLine(ctx, pipeline, run, 'interrupted', false));
      return EXIT_CODES.interrupted;
    }
    throw err;
  }
  if (!ctx.quiet) process.stderr.write(statsLine(ctx, pipeline, run, 'replayed', false));
  return pipeline.stats.failures > 0 ? EXIT_CODES.invalid : 0;
}
