import { arg } from '../../flags.js';
import { defineCommand } from '../../spec.js';
import { lexiconResolver, withSpinner } from './shared.js';

export default defineCommand({
  args: { nsid: arg.required('nsid', 'NSID of the schema, like com.example.calendar.event') },
  uses: ['network'],
  examples: ['atcli lex resolve app.bsky.feed.post', 'atcli lex resolve com.example.calendar.event > event.json', 'atcli lex resolve com.example.calendar.event --json | jq .cid'],
  notes:
    'The schema goes to stdout, where it came from (DID, PDS, CID, proof) to stderr; --json prints both as one object. ' +
    'The authority is the NSID minus its name, reversed (app.bsky.feed.post → _lexicon.feed.bsky.app); parent and child domains are never tried. ' +
    'Exit status: 0 verified, 3 the proof or the schema is invalid, 4 no _lexicon record or no such schema.',
  async run({ args, out, err, f }) {
    const { checkLexiconNsid, lexiconFileText, lexiconTxtName } = await import('../../../core/lexicon/network.js');
    checkLexiconNsid(args.nsid);
    const resolver = await lexiconResolver(f, err);
    const r = await withSpinner(err, `resolving ${args.nsid}`, () => resolver.resolve(args.nsid));
    const result = {
      nsid: r.nsid,
      authority: r.authority,
      dnsName: lexiconTxtName(r.authority),
      did: r.did,
      pds: r.pds,
      uri: r.uri,
      cid: r.cid,
      rev: r.rev,
      signingKey: r.signingKey,
      verified: true,
      checks: r.checks,
      schema: r.json,
    };
    if (out.json) return out.result(result, () => undefined);
    await out.text(lexiconFileText(r.json));
    err.info(
      `${out.mark('ok')} ${r.nsid}: proof verified\n${out.fields([
        ['authority', `${result.dnsName} → ${r.did}`],
        ['pds', r.pds],
        ['record', r.uri],
        ['cid', r.cid],
        ['commit', `rev ${r.rev}, signed by ${r.signingKey}`],
      ]).replace(/^/gm, '  ')}`,
    );
  },
});
