import { defineCommand } from '../../spec.js';
import { arg, did, integer, opt } from '../../flags.js';
import { labelsExit } from './render.js';

export default defineCommand({
  args: {
    labeler: arg.required('labeler', "the labeler's DID, handle, or service URL"),
    patterns: arg.variadic('uri-pattern', 'subjects: an at:// URI or DID, or a prefix ending in "*" (default "*": every label)'),
  },
  options: {
    source: opt.listParsed('--source <did>', 'only labels issued by this DID (repeatable)', did),
    pageSize: opt.withDefault('--page-size <n>', 'labels per request', 50, integer({ min: 1, max: 250 })),
    max: opt.withDefault('--max <n>', 'stop after this many labels (the cursor to go on is printed)', 10_000, integer({ min: 1, max: 1_000_000 })),
    cursor: opt.value('--cursor <cursor>', 'go on from a cursor an earlier query printed'),
    verify: opt.negatable('--no-verify', 'do not check signatures (every label is reported unchecked)'),
  },
  uses: ['network'],
  examples: ['atcli labels query moderation.bsky.app "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/*"', 'atcli labels query did:plc:ar7c4by46qjdydhdevvrndac --max 100 --json'],
  notes: 'Exit status: 0 every label verified, 3 one was invalid (bad or missing signature, malformed), 1 one could not be checked (the issuer\'s DID document could not be fetched).',
  async run({ args, opts, out, err, f }) {
    const { LabelVerifier, labelKeyResolver, queryLabels, resolveLabeler } = await import('../../../core/labels/index.js');
    const identity = await f.identity();
    const labeler = await resolveLabeler(identity, args.labeler);
    for (const w of labeler.warnings) err.warn(w);
    const verifier = new LabelVerifier({ resolveKey: labelKeyResolver(identity), verify: opts.verify });
    const bar = err.progress(`querying ${labeler.url}`, 'items');
    const result = await queryLabels({
      service: labeler.url,
      http: await f.http(),
      uriPatterns: args.patterns.length > 0 ? args.patterns : ['*'],
      sources: opts.source,
      limit: opts.pageSize,
      maxLabels: opts.max,
      ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
      verifier,
      onPage: (p) => bar.update(p.total),
    });
    bar.done();
    if (result.truncated && result.cursor !== null) err.info(`stopped at ${opts.max} labels; go on with --cursor ${result.cursor}`);
    await out.result(result, async (r) => {
      const rows = r.labels.map((l) => [l.status === 'valid' ? '✓' : l.status === 'invalid' ? '✗' : '?', l.val, l.uri, l.src, l.cts, [l.neg ? 'negation' : '', l.expired ? 'expired' : '', ...l.reasons].filter((x) => x !== '').join('; ')]);
      const table = await out.table(rows, ['', 'value', 'subject', 'issuer', 'created', 'notes']);
      return `${table}\n${r.labels.length} labels: ${r.counts.valid} valid, ${r.counts.invalid} invalid, ${r.counts.unchecked} unchecked`;
    });
    return labelsExit(result.counts);
  },
});
