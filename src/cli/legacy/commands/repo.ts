import { readFile, readdir } from 'node:fs/promises';
import type { CommandRun } from '../program.js';
import type { Context } from '../context.js';
import { columns, fields, ndjsonLine, printResult, stdoutChalk, writeStdout } from '../output.js';
import { confirmAction } from '../prompt.js';
import { formatBytes, progressBar } from '../progress.js';
import { fileChunks, keyResolver, repoSource, resolveAccount, downloadRepo, type RepoSource } from '../repo-source.js';
import { openSession } from '../session.js';
import { AtcliError, EXIT_CODES, usage } from '../../../core/errors.js';
import { parseDidKey } from '../../../core/crypto/index.js';
import { verifyRepoCar, type RepoVerifyReport } from '../../../core/repo/verify.js';
import { assertStructure, diffEntries, listRepoEntries, repoTree, unpackRepo } from '../../../core/repo/read.js';
import { fileExists, writeFileAtomic } from '../../../core/util/atomic-file.js';

function checkKeyFlag(key: string | undefined): void {
  if (key === undefined) return;
  try {
    parseDidKey(key);
  } catch (err) {
    throw usage('InvalidKey', `--key: ${err instanceof AtcliError ? err.message : String(err)}`, { hint: 'pass the signing key as did:key:z…' });
  }
}

function renderChecks(ctx: Context, report: RepoVerifyReport, subject: string): string {
  const c = stdoutChalk(ctx);
  const width = Math.max(...report.checks.map((x) => x.name.length));
  const lines = report.checks.map((x) => {
    const mark = x.ok ? c.green('✓') : x.level === 'warning' ? c.yellow('!') : c.red('✗');
    return `${mark} ${x.name.padEnd(width)}  ${x.detail}`;
  });
  const failed = report.checks.filter((x) => !x.ok && x.level !== 'warning').length;
  lines.push(
    report.valid
      ? c.green(`${subject} is valid: ${report.records} records, rev ${report.rev}`)
      : c.red(`${subject} is INVALID: ${failed} check${failed === 1 ? '' : 's'} failed`),
  );
  return lines.join('\n');
}

function verifyJson(report: RepoVerifyReport) {
  return {
    valid: report.valid,
    did: report.did,
    rev: report.rev,
    commit: report.commit,
    data: report.data,
    signingKey: report.signingKey,
    records: report.records,
    blocks: report.blocks,
    bytes: report.bytes,
    mstNodes: report.mstNodes,
    mstDepth: report.mstDepth,
    collections: report.collections,
    checks: report.checks,
    errors: report.errors,
    warnings: report.warnings,
  };
}

export async function repoVerifyCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  const key = opts.key as string | undefined;
  checkKeyFlag(key);
  const source = await repoSource(ctx, args[0] as string);
  const expectedDid = (opts.did as string | undefined) ?? source.identity?.did;
  const bar = source.file ? progressBar(ctx, `verifying ${source.file}`) : undefined;
  const report = await verifyRepoCar(source.open(), {
    ...(expectedDid ? { expectedDid } : {}),
    resolveKey: keyResolver(ctx, key, source.identity),
    onProgress: (p) => bar?.update(p.bytes, null, `${p.blocks} blocks`),
  });
  bar?.done();
  await printResult(ctx, verifyJson(report), (r) => renderChecks(ctx, report, r.did ? `repository of ${r.did}` : 'repository'));
  return report.valid ? 0 : EXIT_CODES.invalid;
}

function defaultExportPath(did: string): string {
  return `${did.replace(/:/g, '_')}.car`;
}

export async function repoExportCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  const identity = await resolveAccount(ctx, args[0] as string);
  const path = (opts.output as string | undefined) ?? defaultExportPath(identity.did);
  const force = opts.force === true;
  if (!force && (await fileExists(path))) {
    throw usage('FileExists', `${path} already exists`, { hint: 'choose another path with -o, or pass --force to replace it' });
  }
  const bytes = await writeFileAtomic(path, downloadRepo(ctx, identity), { overwrite: force, signal: ctx.signal });
  ctx.info(`wrote ${formatBytes(bytes)} to ${path}`);
  const result = { path, did: identity.did, rev: null as string | null, bytes, blocks: 0, verified: false, checks: [] as RepoVerifyReport['checks'] };
  if (opts.verify === false) {
    await printResult(ctx, result, (r) => `exported ${r.did} to ${r.path} (${formatBytes(r.bytes)}, not verified)`);
    return 0;
  }
  const bar = progressBar(ctx, `verifying ${path}`);
  const report = await verifyRepoCar(fileChunks(path), {
    expectedDid: identity.did,
    resolveKey: keyResolver(ctx, undefined, identity),
    onProgress: (p) => bar.update(p.bytes, bytes),
  });
  bar.done();
  Object.assign(result, { rev: report.rev, blocks: report.blocks, verified: report.valid, checks: report.checks });
  if (!report.valid) {
    if (!ctx.json) process.stderr.write(`${renderChecks(ctx, report, `the export at ${path}`)}\n`);
    await printResult(ctx, result, () => undefined);
    ctx.warn(`the exported repository did not verify; the file is kept at ${path} for inspection`);
    return EXIT_CODES.invalid;
  }
  await printResult(ctx, result, (r) => `exported ${r.did} rev ${r.rev} to ${r.path}: ${formatBytes(r.bytes)}, ${r.blocks} blocks, verified ✓`);
  return 0;
}

export async function repoInspectCommand({ ctx, args }: CommandRun): Promise<void> {
  const source = await repoSource(ctx, args[0] as string);
  const report = await verifyRepoCar(source.open(), { skipSignature: true });
  const commitCheck = report.checks.find((c) => c.name === 'commit');
  if (!report.did) assertStructure(report, source.what);
  const result = {
    did: report.did,
    rev: report.rev,
    version: report.version,
    commit: report.commit,
    data: report.data,
    prev: report.prev,
    records: report.records,
    collections: report.collections,
    blocks: report.blocks,
    bytes: report.bytes,
    mstDepth: report.mstDepth,
    mstNodes: report.mstNodes,
    structureValid: report.valid,
  };
  if (!report.valid) ctx.warn(`the repository has problems (run "atcli repo verify" for details): ${report.errors.join('; ')}`);
  await printResult(ctx, result, (r) =>
    [
      fields(ctx, [
        ['did', r.did],
        ['rev', r.rev],
        ['version', r.version],
        ['commit', r.commit],
        ['data', r.data],
        ['prev', r.prev ?? 'null'],
        ['records', r.records],
        ['blocks', r.blocks],
        ['size', formatBytes(r.bytes)],
        ['MST', `${r.mstNodes} nodes, root layer ${r.mstDepth}`],
      ]),
      '',
      columns(
        ctx,
        Object.entries(r.collections)
          .sort((a, b) => b[1] - a[1])
          .map(([nsid, n]) => [String(n), nsid]),
        ['records', 'collection'],
      ),
      commitCheck && !commitCheck.ok ? `\ncommit: ${commitCheck.detail}` : '',
    ]
      .join('\n')
      .trimEnd(),
  );
}

export async function repoLsCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const source = await repoSource(ctx, args[0] as string);
  const only = (opts.collection as string[] | undefined) ?? [];
  const { entries } = await listRepoEntries(source.open(), source.what);
  const rows = entries.filter((e) => only.length === 0 || only.includes(e.collection));
  if (ctx.json) {
    for (const e of rows) await writeStdout(ndjsonLine({ collection: e.collection, rkey: e.rkey, cid: e.cid.toString() }));
    return;
  }
  await writeStdout(rows.map((e) => `${e.collection}/${e.rkey}\t${e.cid.toString()}\n`).join(''));
}

export async function repoMstCommand({ ctx, args }: CommandRun): Promise<void> {
  const source = await repoSource(ctx, args[0] as string);
  const { report, events } = await repoTree(source.open());
  if (!report.data) assertStructure(report, source.what);
  if (ctx.json) {
    await printResult(ctx, { root: report.data, rootLayer: report.mstDepth, nodes: report.mstNodes, records: report.records, events }, () => undefined);
    return;
  }
  const c = stdoutChalk(ctx);
  const lines = events.map((e) => {
    const indent = '  '.repeat(e.depth);
    if (e.kind === 'node') {
      return e.present ? `${indent}${c.cyan('◉')} ${c.dim(e.cid)} layer ${e.layer}, ${e.entries} entr${e.entries === 1 ? 'y' : 'ies'}` : `${indent}${c.red('◌')} ${e.cid} (missing)`;
    }
    return `${indent}  ${e.path} ${c.dim(e.cid)}`;
  });
  await writeStdout(`${lines.join('\n')}\n`);
}

export async function repoUnpackCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const file = args[0] as string;
  const source = await repoSource(ctx, file);
  if (!source.file) throw usage('CarFileRequired', 'repo unpack reads a CAR file', { hint: `export it first: atcli repo export ${file} -o repo.car` });
  const dir = (opts.output as string | undefined) ?? file.replace(/\.car$/, '');
  const existing = await readdir(dir).catch(() => [] as string[]);
  if (existing.length > 0 && opts.force !== true) {
    throw usage('DirectoryNotEmpty', `${dir} exists and is not empty`, { hint: 'choose another directory with -o, or pass --force to write into it' });
  }
  const result = await unpackRepo(source.open, dir, source.what);
  await printResult(ctx, { dir: result.dir, records: result.records, files: result.files.length }, (r) => `unpacked ${r.records} records into ${r.dir}/ (${r.files} files)`);
}

async function snapshotEntries(source: RepoSource) {
  return (await listRepoEntries(source.open(), source.what)).entries;
}

export async function repoDiffCommand({ ctx, args }: CommandRun): Promise<void> {
  const [a, b] = [await repoSource(ctx, args[0] as string), await repoSource(ctx, args[1] as string)];
  const before = await snapshotEntries(a);
  const after = await snapshotEntries(b);
  const rows = diffEntries(before, after);
  if (ctx.json) {
    for (const row of rows) await writeStdout(ndjsonLine(row));
    return;
  }
  const c = stdoutChalk(ctx);
  const mark = { create: c.green('+'), update: c.yellow('~'), delete: c.red('-') };
  await writeStdout(rows.map((r) => `${mark[r.op]} ${r.op.padEnd(6)} ${r.collection}/${r.rkey} ${c.dim(r.op === 'delete' ? (r.prev as string) : (r.cid as string))}\n`).join(''));
  const counts = { create: 0, update: 0, delete: 0 };
  for (const r of rows) counts[r.op]++;
  ctx.info(`${counts.create} created, ${counts.update} updated, ${counts.delete} deleted`);
}

const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

export async function repoImportCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  const file = args[0] as string;
  const key = opts.key as string | undefined;
  checkKeyFlag(key);
  const source = await repoSource(ctx, file);
  if (!source.file) throw usage('CarFileRequired', 'repo import uploads a CAR file');
  const { session, client } = await openSession(ctx);
  const report = await verifyRepoCar(source.open(), { expectedDid: session.did, resolveKey: keyResolver(ctx, key) });
  if (!report.valid) {
    if (!ctx.json) process.stderr.write(`${renderChecks(ctx, report, file)}\n`);
    throw new AtcliError('invalid', 'InvalidRepo', `${file} did not verify; nothing was uploaded`, { hint: 'only verified repositories are imported' });
  }
  const plan = { file, did: session.did, pds: session.pds, rev: report.rev, records: report.records, bytes: report.bytes, imported: false, dryRun: ctx.dryRun };
  if (ctx.dryRun) {
    await printResult(ctx, plan, (p) => `would import ${p.records} records (rev ${p.rev}, ${formatBytes(p.bytes)}) into ${p.did} on ${p.pds}`);
    return 0;
  }
  if (!(await confirmAction(ctx, `Import ${report.records} records from ${file} into ${session.did} on ${session.pds}?`))) {
    throw new AtcliError('usage', 'Cancelled', 'import cancelled');
  }
  if (report.bytes > MAX_IMPORT_BYTES) throw usage('CarTooLarge', `${file} is larger than ${formatBytes(MAX_IMPORT_BYTES)}`);
  const bytes = await readFile(file);
  const bar = progressBar(ctx, `uploading ${file}`);
  bar.update(0, bytes.length);
  await client.procedure('com.atproto.repo.importRepo', { bytes, contentType: 'application/vnd.ipld.car' });
  bar.done();
  plan.imported = true;
  await printResult(ctx, plan, (p) => `imported ${p.records} records (rev ${p.rev}) into ${p.did} on ${p.pds}`);
  return 0;
}
