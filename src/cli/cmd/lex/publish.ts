import { existsSync } from 'node:fs';
import { isAtcliError, usage } from '../../../core/errors.js';
import type { PublishPlan, SavedPlan } from '../../../core/lexicon/network.js';
import { arg, opt } from '../../flags.js';
import { readJsonArgument } from '../../inputs.js';
import type { IO } from '../../io.js';
import type { Output } from '../../render/output.js';
import { plural } from '../../render/text.js';
import { defineCommand } from '../../spec.js';
import { DEFAULT_DIR, display, findingsTable, lexiconResolver, lexiconsOption, loadCatalog, lockOption, lockPath, noBundledOption, projectPaths, warnSkipped } from './shared.js';

const PLAN_MAX_BYTES = 4 * 1024 * 1024;

async function readSavedPlan(io: IO, file: string): Promise<SavedPlan> {
  const { parseSavedPlan } = await import('../../../core/lexicon/network.js');
  let value: unknown;
  try {
    value = await readJsonArgument(io, file, 'plan', PLAN_MAX_BYTES);
  } catch (err) {
    if (isAtcliError(err) && err.code === 'InvalidJson') throw usage('InvalidPlan', err.message);
    throw err;
  }
  return parseSavedPlan(value, file);
}

async function renderPlan(out: Output, p: PublishPlan): Promise<string> {
  const c = out.c;
  const rows = p.items.map((it) => [
    it.action === 'unchanged' ? c.dim('=') : it.action === 'create' ? c.green('+') : c.yellow('~'),
    it.nsid,
    it.action,
    it.action === 'unchanged' ? c.dim(it.cid) : `${it.swap ?? '(new)'} → ${it.cid}`,
  ]);
  const lines = [`plan for ${p.did} on ${p.pds}${p.dnsChecked ? '' : ' (DNS check skipped)'}:`, await out.table(rows)];
  for (const it of p.items.filter((i) => i.breaking.length > 0)) lines.push(`${it.nsid}:`, await findingsTable(out, it.breaking));
  for (const b of p.blocked) lines.push(c.red(`${out.mark('fail')} ${b}`));
  return lines.join('\n');
}

export default defineCommand({
  args: { paths: arg.variadic('paths', 'files or folders to publish (default: the --lexicons folder, without the pulled schemas of other publishers)', { valueKind: 'file' }) },
  options: {
    lexicons: lexiconsOption('project folder (default ./lexicons); references resolve against it'),
    lock: lockOption,
    skipDnsCheck: opt.flag('--skip-dns-check', 'publish even when _lexicon.<authority> does not name the logged-in account'),
    force: opt.flag('-f, --force', 'publish breaking changes too'),
    plan: opt.value('--plan <file>', 'apply a plan saved with --dry-run --json: fail if anything changed since it was made', { valueKind: 'file' }),
    bundled: noBundledOption,
  },
  uses: ['network', 'auth', 'dryRun'],
  examples: [
    'atcli lex publish --dry-run',
    'atcli lex publish',
    'atcli lex publish lexicons/com/example/calendar --json',
    'atcli lex publish --dry-run --json > plan.json && atcli lex publish --plan plan.json',
    'ATCLI_IDENTIFIER=me.example.com ATCLI_PASSWORD=... atcli lex publish',
  ],
  notes:
    'Gates, in order (nothing is written unless all pass): lint errors (warnings allowed); the DNS record _lexicon.<authority> TXT "did=<your DID>" for every group (see "atcli lex check-dns"); breaking changes against the published version (--force to override). ' +
    'Schemas the lock file records as pulled from another publisher are skipped. Writes use compare-and-swap: a schema changed or created by someone else since it was read is not overwritten (exit 3). Unchanged schemas are skipped. Each write is fetched back and its proof verified. ' +
    'Exit status: 0 published, 3 refused or changed meanwhile, 4 DNS record missing, 5 not logged in.',
  async run({ args, opts, g, io, out, err, f }) {
    const paths = projectPaths(args.paths, opts.lexicons, 'publish');
    const saved = opts.plan === undefined ? undefined : await readSavedPlan(io, opts.plan);
    const dir = opts.lexicons ?? DEFAULT_DIR;
    const { applyPublish, preparePublish, readLocalSchemas, readLock, refuseBlocked } = await import('../../../core/lexicon/network.js');
    const lock = await readLock(await lockPath(opts.lock, dir));
    const local = await readLocalSchemas(paths);
    warnSkipped(err, local.skipped);
    const { client, session } = await f.session();
    const project = existsSync(dir) ? dir : undefined;
    const resolver = await lexiconResolver(f, err);
    const repo = await resolver.repo(session.did, client);
    const prepared = await preparePublish({
      resolver,
      repo,
      pds: session.pds,
      schemas: local.schemas,
      ...(lock === undefined ? {} : { lock }),
      catalog: await loadCatalog(err, { bundled: opts.bundled, project }),
      roots: project === undefined ? [] : [project],
      skipDnsCheck: opts.skipDnsCheck,
      force: opts.force,
      ...(saved === undefined ? {} : { saved }),
    });
    for (const s of prepared.foreign) err.info(`skipping ${s.nsid}: pulled from ${s.did}`);
    const plan = prepared.plan;
    if (plan === null) {
      const result = { did: session.did, published: 0, unchanged: 0, items: [], skipped: prepared.foreign.map((s) => s.nsid) };
      return out.result(result, (r) => `nothing to publish: ${plural(r.skipped.length, 'schema was', 'schemas were')} pulled from other publishers`);
    }
    if (prepared.lint.warnings > 0) err.info(`lint: ${plural(prepared.lint.warnings, 'warning')} (publishing anyway; "atcli lex lint" lists them)`);
    if (g.dryRun || plan.blocked.length > 0) {
      await out.result({ dryRun: true, ...plan, items: plan.items.map((i) => ({ ...i, file: display(i.file) })) }, () => renderPlan(out, plan));
      refuseBlocked(plan);
      return;
    }
    const result = await applyPublish(plan, repo, prepared.schemas, {
      onProgress: (e) => {
        if (e.kind === 'written') err.info(`${e.item.action === 'create' ? 'created' : 'updated'} ${e.item.uri} (${e.item.cid}), proof verified at rev ${e.item.rev}`);
      },
    });
    await out.result(result, async (r) => {
      const rows = r.items.map((i) => [i.action === 'unchanged' ? out.c.dim('=') : out.mark('ok'), i.nsid, i.action === 'unchanged' ? 'unchanged' : `${i.action === 'create' ? 'created' : 'updated'} ${i.cid}`]);
      return `${await out.table(rows)}\n${r.published} published, ${r.unchanged} unchanged (${r.did})`;
    });
  },
});
