import { EXIT_CODES, isAtcliError, usage } from '../../../core/errors.js';
import { parseDidKey } from '../../../core/crypto/index.js';
import type { KeyResolver, KeyResult } from '../../../core/firehose/pipeline.js';
import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { summaryLine } from '../../render/stream.js';
import { count, makePipeline, networkKeyResolver, pipelineOptions } from './options.js';
import { writeOutputs } from './render.js';

type RecordedKey = { key: string } | { error: string };

export default defineCommand({
  args: { file: arg.required('file', 'a recording written by atcli firehose tail --record', { valueKind: 'file' }) },
  options: {
    cursor: opt.parsed('--cursor <seq>', 'skip frames up to and including this seq', count(0)),
    ...pipelineOptions,
  },
  uses: ['network'],
  examples: ['atcli firehose replay sample.fh --json', 'atcli firehose replay sample.fh --verify --did did:plc:ewvi7nxzyoun6zhxrhs64oiz'],
  notes: `Same output as tail. With --verify the signing keys stored in the recording are used (resolved only for accounts the recording has none for).
Exit status: 0 when every frame passed, 3 when a failure was reported, 130 on Ctrl-C.`,
  async run({ args, opts, g, out, err, f, signal }) {
    const [{ readRecording }, { inspectFrame }] = await Promise.all([import('../../../core/firehose/record.js'), import('../../../core/firehose/subscriber.js')]);
    // Keys the recording holds are used as they were live; other accounts are resolved.
    const recorded = new Map<string, RecordedKey>();
    const network = networkKeyResolver(() => f.identity(), g.dev);
    const resolveKey: KeyResolver = async (account, o) => {
      const r = recorded.get(account);
      if (r === undefined) return network(account, o);
      if ('error' in r) throw usage('RecordedKeyError', r.error);
      return parseDidKey(r.key);
    };
    const pipeline = makePipeline(opts, resolveKey);
    const started = Date.now();
    let shown = 0;
    let last: number | null = null;
    const summary = (how: string): string =>
      summaryLine(err, { how, startedAt: started, now: Date.now(), events: pipeline.stats.events, noun: 'event', shown, facts: [`${pipeline.stats.failures} verification failure${pipeline.stats.failures === 1 ? '' : 's'}`], last, lastLabel: 'seq' });
    let passed = opts.cursor === undefined;
    try {
      for await (const entry of readRecording(args.file)) {
        if (signal.aborted) {
          err.line(summary('interrupted'));
          return EXIT_CODES.interrupted;
        }
        if (entry.kind === 'key') {
          const result: RecordedKey = entry.key !== null ? { key: entry.key } : { error: entry.error ?? 'unknown error' };
          recorded.set(entry.did, result);
          if (opts.verify) {
            let primed: KeyResult;
            try {
              primed = 'key' in result ? { key: parseDidKey(result.key) } : result;
            } catch (error) {
              primed = { error: error instanceof Error ? error.message : String(error) };
            }
            pipeline.primeKey(entry.did, primed);
          }
          continue;
        }
        if (entry.kind !== 'frame') continue;
        if (!passed) {
          if (entry.seq === null || opts.cursor === undefined || entry.seq <= opts.cursor) continue;
          passed = true;
        }
        const outputs = await pipeline.process(inspectFrame(entry.data, { receivedAt: entry.time }));
        if (entry.seq !== null) last = entry.seq;
        if (outputs.length > 0) {
          await writeOutputs(out, outputs);
          shown++;
        }
        if (opts.limit !== undefined && shown >= opts.limit) break;
      }
    } catch (error) {
      if (signal.aborted && isAtcliError(error) && error.kind === 'interrupted') {
        err.line(summary('interrupted'));
        return EXIT_CODES.interrupted;
      }
      throw error;
    }
    if (!g.quiet) err.line(summary('replayed'));
    return pipeline.stats.failures > 0 ? EXIT_CODES.invalid : 0;
  },
});
