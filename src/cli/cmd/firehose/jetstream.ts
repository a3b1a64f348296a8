// `firehose tail --jetstream <url>`: Jetstream's JSON events through the same filters and output.
import { stat, readFile } from 'node:fs/promises';
import { isAtcliError, usage } from '../../../core/errors.js';
import type { CommandContext } from '../../context.js';
import { describeNotice, summaryLine } from '../../render/stream.js';
import type { PipelineFlags } from './options.js';
import { interruptedStatus, streamEnded, writeOutputs } from './render.js';

/** Jetstream's dictionary is 16 KiB; anything near this is not one. */
const MAX_DICTIONARY_BYTES = 1024 * 1024;

export interface JetstreamFlags extends PipelineFlags {
  cursor: number | undefined;
  cursorFile: string | undefined;
  record: string | undefined;
  limit: number | undefined;
  zstdDictionary: string | undefined;
}

async function readDictionary(path: string): Promise<Uint8Array> {
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) throw usage('FileNotFound', `--zstd-dictionary ${path}: no such file`);
  if (info.size > MAX_DICTIONARY_BYTES) throw usage('InvalidZstdDictionary', `--zstd-dictionary ${path}: ${info.size} bytes is too large for a zstd dictionary`);
  return readFile(path);
}

export async function tailJetstream(ctx: CommandContext<unknown, JetstreamFlags>, jetstreamUrl: string): Promise<number> {
  const { opts, g, out, err, f, signal } = ctx;
  if (opts.record !== undefined) throw usage('InvalidFlag', '--record keeps firehose frames; Jetstream has none', { hint: 'record from a relay or PDS instead (--relay)' });
  const { subscribeJetstream } = await import('../../../core/jetstream/index.js');
  const dictionary = opts.zstdDictionary !== undefined ? await readDictionary(opts.zstdDictionary) : undefined;
  const started = Date.now();
  let shown = 0;
  let last: number | null = opts.cursor ?? null;
  let events = 0;
  const summary = (how: string, resumable: boolean): string =>
    summaryLine(err, { how, startedAt: started, now: Date.now(), events, noun: 'event', shown, facts: [], last, lastLabel: 'time_us', ...(resumable ? { resumeFlag: '--cursor' } : {}) });
  const spin = err.spinner(`connecting to ${jetstreamUrl}`);
  try {
    const result = await subscribeJetstream({
      url: jetstreamUrl,
      allowInsecure: g.dev,
      verify: opts.verify,
      collections: opts.collection,
      dids: opts.did,
      ...(opts.events ? { events: opts.events } : {}),
      ops: opts.ops,
      ...(dictionary ? { zstdDictionary: dictionary } : {}),
      ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
      ...(opts.cursorFile !== undefined ? { cursorFile: opts.cursorFile } : {}),
      http: await f.http(),
      signal,
      connectTimeoutMs: g.timeoutMs,
      onClientOnlyFilters: (which) => err.warn(`too many ${which.join(' and ')} for the server's query: filtered here instead, after download`),
      onNotice: (n) => {
        if (n.type === 'connected') spin.stop();
        describeNotice(err, n);
      },
      onOutputs: async (outputs, message) => {
        spin.stop();
        events++;
        if (message.kind === 'message' && message.timeUs !== null) last = message.timeUs;
        if (outputs.length > 0) {
          await writeOutputs(out, outputs);
          shown++;
        }
        return opts.limit === undefined || shown < opts.limit;
      },
    });
    spin.stop();
    return streamEnded(err, g.quiet, summary, result.reason);
  } catch (error) {
    spin.stop();
    const interrupted = interruptedStatus(err, signal, error, summary);
    if (interrupted !== undefined) return interrupted;
    if (!(isAtcliError(error) && error.kind === 'usage')) err.line(summary('stopped', true));
    throw error;
  }
}
