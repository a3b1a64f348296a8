import { isAtcliError, usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { opt } from '../../flags.js';
import { describeNotice, summaryLine } from '../../render/stream.js';
import { count, makePipeline, networkKeyResolver, pipelineOptions } from './options.js';
import { interruptedStatus, streamEnded, writeOutputs } from './render.js';

export default defineCommand({
  options: {
    cursor: opt.parsed('--cursor <seq>', 'start after this seq (0: the oldest event the server keeps; default: live, or the --cursor-file)', count(0)),
    cursorFile: opt.value('--cursor-file <file>', 'read the start cursor from this file and keep saving the last processed seq to it', { valueKind: 'file' }),
    record: opt.value('--record <file>', 'append the raw frames (and the keys used to verify them) to a recording for "atcli firehose replay"', { valueKind: 'file' }),
    jetstream: opt.value('--jetstream <url>', 'read a Jetstream instance (JSON events, no signatures: --verify is refused) instead of the firehose; also ATCLI_JETSTREAM_URL'),
    zstdDictionary: opt.value('--zstd-dictionary <file>', "with --jetstream: ask for zstd-compressed messages, decompressed with this dictionary (Jetstream's own)", { valueKind: 'file' }),
    ...pipelineOptions,
  },
  uses: ['network', 'relay'],
  examples: [
    'atcli firehose tail',
    'atcli firehose tail --relay https://pds.example.com --did did:plc:ewvi7nxzyoun6zhxrhs64oiz --verify',
    'atcli firehose tail -c app.bsky.feed.post --ops --json | jq -r .record.text',
    'atcli firehose tail --cursor-file ~/.cache/firehose.cursor --events identity,account',
    'atcli firehose tail --limit 1000 --record sample.fh',
    'atcli firehose tail --jetstream wss://jetstream2.us-east.bsky.network -c app.bsky.feed.post --ops',
  ],
  notes: `Output is NDJSON with --json or whenever stdout is not a terminal (a summary line is not parseable).
The relay comes from --relay / ATCLI_RELAY_URL (default wss://bsky.network); https:// and http:// map to wss:// and ws:// (ws:// only to localhost unless --dev).
NDJSON lines: seq, type (commit, sync, identity, account, info), did, time; commits add rev, since, commit, ops ([{op, collection, rkey, cid, prev}]);
--ops lines: seq, did, rev, op, collection, rkey, cid, record; with --verify, "verified": true, and failures {seq, did, type, ok: false, reasons}.
On exit (--limit reached, Ctrl-C, error) a line on stderr gives events, events/s, verification failures and the last seq to resume from with --cursor.
With --jetstream (or ATCLI_JETSTREAM_URL) the events come from Jetstream: seq and --cursor are its time_us (microseconds); --verify and --record are refused (exit 2).
Exit status: 0 at --limit, 1 on a runtime failure (e.g. FutureCursor: the cursor is ahead of the server), 130 on Ctrl-C.`,
  async run(ctx) {
    const { opts, g, out, err, f, signal, io } = ctx;
    const jetstreamUrl = opts.jetstream ?? (io.env.ATCLI_JETSTREAM_URL || undefined);
    if (jetstreamUrl !== undefined) return (await import('./jetstream.js')).tailJetstream(ctx, jetstreamUrl);
    if (opts.zstdDictionary !== undefined) throw usage('InvalidFlag', '--zstd-dictionary applies to Jetstream only', { hint: 'add --jetstream <url>' });
    const [{ FrameRecorder }, { subscribe, subscribeReposUrl }] = await Promise.all([import('../../../core/firehose/record.js'), import('../../../core/firehose/subscriber.js')]);
    const url = subscribeReposUrl(g.relayUrl, { allowInsecure: g.dev });
    const recorder = opts.record !== undefined ? await FrameRecorder.open(opts.record) : undefined;
    const pipeline = makePipeline(
      opts,
      networkKeyResolver(() => f.identity(), g.dev),
      recorder ? (account, result) => recorder.key(account, 'key' in result ? { key: result.key.did() } : { error: result.error }) : undefined,
    );
    const started = Date.now();
    let shown = 0;
    let last: number | null = opts.cursor ?? null;
    const summary = (how: string, resumable: boolean): string =>
      summaryLine(err, { how, startedAt: started, now: Date.now(), events: pipeline.stats.events, noun: 'event', shown, facts: [`${pipeline.stats.failures} verification failure${pipeline.stats.failures === 1 ? '' : 's'}`], last, lastLabel: 'seq', ...(resumable ? { resumeFlag: '--cursor' } : {}) });
    let sessionWritten = false;
    const spin = err.spinner(`connecting to ${url}`);
    try {
      const result = await subscribe({
        url,
        ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
        ...(opts.cursorFile !== undefined ? { cursorFile: opts.cursorFile } : {}),
        allowInsecure: g.dev,
        http: await f.http(),
        signal,
        connectTimeoutMs: g.timeoutMs,
        onNotice: (n) => {
          if (n.type === 'connected') spin.stop();
          if (n.type === 'resumed') last = n.seq;
          describeNotice(err, n);
        },
        onFrame: async (item) => {
          spin.stop();
          if (recorder && !sessionWritten) {
            sessionWritten = true;
            await recorder.session({ url, cursor: last });
          }
          const outputs = await pipeline.process(item);
          if (recorder) await recorder.frame(item.data, item.seq, item.receivedAt);
          if (item.seq !== null) last = item.seq;
          if (outputs.length > 0) {
            await writeOutputs(out, outputs);
            shown++;
          }
          return opts.limit === undefined || shown < opts.limit;
        },
      });
      spin.stop();
      last = result.cursor;
      return streamEnded(err, g.quiet, summary, result.reason);
    } catch (error) {
      spin.stop();
      const interrupted = interruptedStatus(err, signal, error, summary);
      if (interrupted !== undefined) return interrupted;
      // After FutureCursor there is nothing to resume from: the hint says what to do instead.
      const resumable = !(isAtcliError(error) && error.code === 'FutureCursor');
      if (!resumable && pipeline.stats.frames === 0) last = null;
      err.line(summary('stopped', resumable));
      throw error;
    } finally {
      await recorder?.close();
    }
  },
});
