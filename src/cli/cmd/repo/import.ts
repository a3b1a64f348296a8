import { invalid, runtime } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { publicKeyArgument } from '../../inputs.js';
import { openRepoSource } from '../../repo-source.js';
import { formatBytes, plural } from '../../render/text.js';
import { checklist, signingKeyOptions, verdictNotes } from './verdict.js';

export default defineCommand({
  description:
    "Uploads a CAR file to the logged-in account's PDS (com.atproto.repo.importRepo). The PDS checks neither the DID nor the signature, so atcli verifies the CAR in full first: it must be the logged-in account's repository, valid; nothing is uploaded otherwise.",
  args: { car: arg.required('car', 'a CAR file of the logged-in account', { valueKind: 'file' }) },
  options: { key: opt.value('--key <did:key>', "accept only this signing key instead of the account's keys", { valueKind: 'none' }) },
  uses: ['network', 'auth', 'dryRun', 'yes'],
  examples: ['atcli repo import backup.car --dry-run', 'atcli repo import backup.car --yes'],
  notes: 'Asks before uploading (--yes answers). Exit status: 0 imported (or, with --dry-run, would be), 1 the CAR could not be verified or the upload failed, 2 not confirmed, 3 the CAR is invalid or of another account (nothing uploaded), 5 not logged in.',
  async run({ args, opts, g, io, out, err, f, prompt }) {
    const key = opts.key === undefined ? undefined : await publicKeyArgument(opts.key, '--key');
    const source = await openRepoSource(args.car, { io, f, err }, { fileOnly: true });
    const { session, client } = await f.session();
    const { verifyRepoCar } = await import('../../../core/repo/verify.js');
    const bar = err.progress(`verifying ${source.what}`);
    const report = await verifyRepoCar(source.open(), { expectedDid: session.did, ...(await signingKeyOptions(f, key)), onProgress: (p) => bar.update(p.bytes, source.size) });
    bar.done();
    if (report.status !== 'valid') {
      if (!out.json) err.line(await checklist(report, source.what, err.color));
      if (report.status === 'invalid') throw invalid('InvalidRepo', `${source.what} did not verify; nothing was uploaded`, { hint: 'only valid repositories of the logged-in account are imported' });
      throw runtime('RepoUnchecked', `${source.what} could not be verified (${report.reason}); nothing was uploaded`);
    }
    verdictNotes(err, report);
    const plan = { file: source.what, did: session.did, pds: session.pds, rev: report.rev, records: report.records, bytes: report.bytes, imported: false, dryRun: g.dryRun };
    if (g.dryRun) {
      await out.result(plan, (p) => `would import ${plural(p.records, 'record')} (rev ${p.rev}, ${formatBytes(p.bytes)}) into ${p.did} on ${p.pds}`);
      return 0;
    }
    await prompt.require(`Import ${plural(report.records, 'record')} from ${source.what} into ${session.did} on ${session.pds}?`, 'import cancelled; nothing was uploaded');
    const { importRepoCar } = await import('../../../core/repo/import.js');
    const spinner = err.spinner(`uploading ${source.what}`);
    try {
      await importRepoCar(client, args.car);
    } finally {
      spinner.stop();
    }
    plan.imported = true;
    await out.result(plan, (p) => `imported ${plural(p.records, 'record')} (rev ${p.rev}) into ${p.did} on ${p.pds}`);
    return 0;
  },
});
