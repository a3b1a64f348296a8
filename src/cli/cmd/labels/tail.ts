import { EXIT_CODES } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg, integer, opt } from '../../flags.js';
import { describeNotice, summaryLine } from '../../render/stream.js';
import { labelLine, labelsExit } from './render.js';

export default defineCommand({
  args: { labeler: arg.required('labeler', "the labeler's DID, handle, or service URL") },
  options: {
    cursor: opt.parsed('--cursor <seq>', 'start after this seq (0: from the first label the labeler keeps; default: live, or the --cursor-file)', integer({ min: 0 })),
    cursorFile: opt.value('--cursor-file <file>', 'read the start cursor from this file and keep saving the last processed seq to it', { valueKind: 'file' }),
    limit: opt.parsed('--limit <n>', 'stop after n labels', integer({ min: 1 })),
    verify: opt.negatable('--no-verify', 'do not check signatures (every label is reported unchecked)'),
  },
  uses: ['network'],
  examples: ['atcli labels tail moderation.bsky.app', 'atcli labels tail did:plc:ar7c4by46qjdydhdevvrndac --cursor 0 --limit 100 --json', 'atcli labels tail https://labeler.example.com --cursor-file labels.cursor'],
  notes: 'One line per label (NDJSON with --json): seq, src, uri, cid, val, neg, cts, exp, expired, active, status (valid, invalid, unchecked), reasons. Exit status at --limit: 0 every label verified, 3 one was invalid, 1 one could not be checked; 130 on Ctrl-C (the last seq to resume from is printed).',
  async run({ args, opts, g, out, err, f, signal }) {
    const { LabelVerifier, labelKeyResolver, resolveLabeler, subscribeLabels } = await import('../../../core/labels/index.js');
    const identity = await f.identity();
    const spin = err.spinner(`finding the labeler ${args.labeler}`);
    const labeler = await resolveLabeler(identity, args.labeler).finally(() => spin.stop());
    for (const w of labeler.warnings) err.warn(w);
    const verifier = new LabelVerifier({ resolveKey: labelKeyResolver(identity), verify: opts.verify });
    const started = Date.now();
    let shown = 0;
    let last: number | null = opts.cursor ?? null;
    const result = await subscribeLabels({
      url: labeler.url,
      allowInsecure: g.dev,
      ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
      ...(opts.cursorFile !== undefined ? { cursorFile: opts.cursorFile } : {}),
      http: await f.http(),
      signal,
      connectTimeoutMs: g.timeoutMs,
      verifier,
      onNotice: (n) => {
        if (n.type === 'resumed') last = n.seq;
        describeNotice(err, n);
      },
      onOutputs: async (outputs, message) => {
        if (message.seq !== null) last = message.seq;
        for (const o of outputs) {
          if (o.kind === 'info') err.info(`info from the labeler: ${o.value.name}${o.value.message ? `: ${o.value.message}` : ''}`);
          else if (o.kind === 'failure') await (out.json ? out.ndjson(o.value) : out.text(`${out.c.red(`✗ ${o.value.seq ?? '-'}: ${o.value.reasons.join('; ')}`)}\n`));
          else {
            await (out.json ? out.ndjson(o.value) : out.text(`${labelLine(out, o.value)}\n`));
            shown++;
            if (opts.limit !== undefined && shown >= opts.limit) return false;
          }
        }
        return true;
      },
    });
    last = result.cursor ?? last;
    const c = verifier.counts;
    const interrupted = result.reason === 'aborted';
    err.line(summaryLine(err, { how: interrupted ? 'interrupted' : 'done', startedAt: started, now: Date.now(), events: shown, noun: 'label', facts: [`${c.valid} valid, ${c.invalid} invalid, ${c.unchecked} unchecked`], last, resumeFlag: '--cursor' }));
    return interrupted ? EXIT_CODES.interrupted : labelsExit(c);
  },
});
