import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { downloadRepo, repoLimitOptions, repoLimits } from '../../repo-source.js';
import { formatBytes } from '../../render/text.js';
import { checklist, signingKeyOptions, verdictExit, verdictNotes } from './verdict.js';

export default defineCommand({
  description: "Downloads an account's repository (com.atproto.sync.getRepo) into a CAR file, written atomically (a broken download leaves no file), then verifies the file as repo verify does.",
  args: { id: arg.required('id', 'handle or DID of the account') },
  options: {
    ...repoLimitOptions,
    output: opt.value('-o, --output <file>', 'where to write (default: <did>.car, with ":" as "_")', { valueKind: 'file' }),
    verify: opt.negatable('--no-verify', 'skip the verification after the download'),
    force: opt.flag('-f, --force', 'replace an existing file'),
  },
  uses: ['network'],
  examples: ['atcli repo export alice.example.com', 'atcli repo export did:plc:… -o backup.car --json'],
  notes: 'Exit status: 0 written (and valid, unless --no-verify), 1 download failed or the export could not be verified, 2 the file exists (without --force), 3 the export is invalid (the file is kept for inspection), 4 account not found.',
  async run({ args, opts, io, out, err, f, signal }) {
    const identity = await f.resolveAccount(args.id);
    const path = opts.output ?? `${identity.did.replace(/:/g, '_')}.car`;
    const { writeFileAtomic } = await import('../../../core/util/atomic-file.js');
    const bytes = await writeFileAtomic(path, downloadRepo({ io, f, err }, identity, repoLimits(opts)), { overwrite: opts.force, signal });
    err.info(`wrote ${formatBytes(bytes)} to ${path}`);
    if (!opts.verify) {
      const result = { path, did: identity.did, rev: null, bytes, blocks: 0, verified: false, status: null };
      await out.result(result, (r) => `exported ${r.did} to ${r.path} (${formatBytes(r.bytes)}, not verified)`);
      return 0;
    }
    const [{ verifyRepoCar }, { fileChunks }] = await Promise.all([import('../../../core/repo/verify.js'), import('../../../core/codec/car.js')]);
    const bar = err.progress(`verifying ${path}`);
    const report = await verifyRepoCar(fileChunks(path), {
      expectedDid: identity.did,
      limits: repoLimits(opts),
      ...(await signingKeyOptions(f, undefined, identity)),
      onProgress: (p) => bar.update(p.bytes, bytes),
    });
    bar.done();
    const result = { path, did: identity.did, rev: report.rev, bytes, blocks: report.blocks, verified: report.valid, status: report.status, reason: report.reason, signature: report.signature, checks: report.checks };
    if (report.status !== 'valid' && !out.json) err.line(await checklist(report, `the export at ${path}`, err.color));
    await out.result(result, (r) => (r.verified ? `exported ${r.did} rev ${r.rev} to ${r.path}: ${formatBytes(r.bytes)}, ${r.blocks} blocks, verified ✓` : undefined));
    verdictNotes(err, report);
    if (report.status === 'invalid') err.warn(`the exported repository did not verify; the file is kept at ${path} for inspection`);
    return verdictExit(report);
  },
});
