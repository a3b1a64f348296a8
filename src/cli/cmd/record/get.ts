import { usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { publicKeyArgument } from '../../inputs.js';
import { pdsClient } from '../../repo-source.js';
import { renderChecks } from '../../render/checks.js';
import { jsonReplacer } from '../../render/output.js';
import { plural } from '../../render/text.js';

export default defineCommand({
  description:
    "Prints a record as {uri, cid, value}. With --verify the record is read from the PDS's signed inclusion proof (com.atproto.sync.getRecord) and checked: the commit signature by the account's signing key, the tree path to the record, the record's hash. The checks go to stderr.",
  args: { uri: arg.required('at-uri', 'at://<handle or DID>/<collection>/<rkey>') },
  options: {
    verify: opt.flag('--verify', "read the record from its signed proof and check it (commit signature by the account's key, tree path, record hash)"),
    key: opt.value('--key <did:key>', "check the proof with this key instead of the DID document's (implies --verify)", { valueKind: 'none' }),
    cid: opt.value('--cid <cid>', 'a specific version of the record, if the PDS still has it (not with --verify: a PDS proves only the current version)', { valueKind: 'none' }),
  },
  uses: ['network'],
  examples: [
    'atcli record get at://alice.example.com/app.bsky.actor.profile/self',
    'atcli record get at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l2zpbbhuvw2h --verify',
    'atcli record get at://alice.example.com/app.bsky.feed.post/3l2zpbbhuvw2h --verify --json',
  ],
  notes: 'Exit status: 0 printed (and, with --verify, the proof holds), 3 the proof fails, 4 no such record or account (with --verify, also when the PDS proves the record absent).',
  async run({ args, opts, out, err, f }) {
    const [{ parseRecordUri, readProvenRecord }, records] = await Promise.all([import('../../../core/repo/proven.js'), import('../../../core/repo/records.js')]);
    const target = parseRecordUri(args.uri);
    const key = opts.key === undefined ? undefined : await publicKeyArgument(opts.key, '--key');
    const cid = opts.cid === undefined ? undefined : records.parseCidArgument(opts.cid);
    const asJson = (r: unknown): string => JSON.stringify(r, jsonReplacer, 2);
    if (!opts.verify && key === undefined) {
      const identity = await f.resolveAccount(target.authority);
      const ref = { did: identity.did, collection: target.collection, rkey: target.rkey };
      const fetched = await records.getRecord(await pdsClient(f, identity), ref, cid === undefined ? {} : { cid });
      await out.result({ uri: fetched.uri, cid: fetched.cid, value: fetched.value }, asJson);
      return 0;
    }
    if (cid !== undefined) {
      throw usage('ConflictingArguments', '--cid names one version of the record, and a PDS proves only the current one', { hint: 'drop --cid to verify the current version, or --verify to read an earlier one' });
    }
    const { ref, proof } = await readProvenRecord(await f.identity(), target, key === undefined ? {} : { key });
    const { cborToJson } = await import('../../../core/codec/json.js');
    const shown = { uri: records.recordUri(ref), cid: proof.cid, value: proof.record === undefined ? null : cborToJson(proof.record) };
    const report = { did: proof.commit?.did ?? null, rev: proof.commit?.rev ?? null, data: proof.commit?.data ?? null, signingKey: proof.signingKey, checks: proof.checks, errors: proof.errors };
    await out.result({ ...shown, verified: proof.valid, proof: report }, () => asJson(shown));
    if (!out.json) {
      const c = err.color;
      const summary = proof.valid
        ? c.green(`proof valid: ${shown.uri} is in ${ref.did}'s repository at rev ${report.rev}, signed by ${report.signingKey}`)
        : c.red(`proof INVALID: ${plural(proof.checks.filter((x) => !x.ok).length, 'check')} failed`);
      const shownChecks = err.quiet ? proof.checks.filter((x) => !x.ok) : proof.checks;
      const text = `${shownChecks.length > 0 ? `${await renderChecks(shownChecks, c)}\n` : ''}${summary}`;
      if (proof.valid) err.info(text);
      else err.line(text);
    }
    return proof.valid ? 0 : 3;
  },
});
