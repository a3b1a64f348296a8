import { defineCommand } from '../../spec.js';
import { arg, did, opt } from '../../flags.js';
import { publicKeyArgument } from '../../inputs.js';
import { openRepoSource, repoLimitOptions, repoLimits } from '../../repo-source.js';
import { checklist, signingKeyOptions, verdictExit, verdictNotes } from './verdict.js';

export default defineCommand({
  description:
    "Checks everything a repository can prove about itself: the CAR, every block's hash, the commit and its signature, the Merkle Search Tree (key order, layers, canonical shape, completeness) and every record. The signature is judged against the account's signing key now and, for did:plc, every key its PLC history put in force.",
  args: { source: arg.required('car|id', 'a CAR file ("-" for stdin), or an account (handle, DID) whose repository is downloaded and checked', { valueKind: 'file' }) },
  options: {
    ...repoLimitOptions,
    key: opt.value('--key <did:key>', 'accept only this signing key (nothing is looked up)', { valueKind: 'none' }),
    did: opt.parsed('--did <did>', 'the DID the repository must belong to', did, { valueKind: 'none' }),
    currentKeyOnly: opt.flag('--current-key-only', 'refuse a commit signed by a key the account used earlier but not now (exit 3 instead of a historical snapshot)'),
  },
  uses: ['network'],
  examples: [
    'atcli repo verify alice.example.com',
    'atcli repo verify repo.car --json',
    'atcli repo verify repo.car --key did:key:zQ3sh… --did did:plc:…',
    'curl -s https://pds.example/xrpc/com.atproto.sync.getRepo?did=did:plc:… | atcli repo verify -',
  ],
  notes:
    'A commit signed by a key that was in force earlier (a snapshot from before a migration or key rotation) is valid with a warning: a historical snapshot. ' +
    'Exit status: 0 valid, 1 could not verify (the signing key could not be obtained, the download broke off; JSON status "unchecked" with the reason), 3 invalid (each failed check is named), 4 account not found.',
  async run({ args, opts, io, out, err, f }) {
    const key = opts.key === undefined ? undefined : await publicKeyArgument(opts.key, '--key');
    const limits = repoLimits(opts);
    const source = await openRepoSource(args.source, { io, f, err }, { limits });
    const { verifyRepoCar } = await import('../../../core/repo/verify.js');
    const expectedDid = opts.did ?? source.identity?.did;
    const bar = source.identity === undefined ? err.progress(`verifying ${source.what}`) : undefined;
    const report = await verifyRepoCar(source.open(), {
      ...(expectedDid === undefined ? {} : { expectedDid }),
      ...(await signingKeyOptions(f, key, source.identity)),
      currentKeyOnly: opts.currentKeyOnly,
      limits,
      onProgress: (p) => bar?.update(p.bytes, source.size, `${p.blocks} blocks`),
    });
    bar?.done();
    await out.result(report, (r) => checklist(r, r.did ? `repository of ${r.did}` : 'repository', out.c));
    verdictNotes(err, report, { currentKeyOnly: true, key: true });
    return verdictExit(report);
  },
});
