import { EXIT_CODES, isAtcliError, invalid, usage } from '../../../core/errors.js';
import type { PublicKey } from '../../../core/crypto/index.js';
import type { SchemaFinder } from '../../../core/lexicon/network.js';
import type { CommandContext } from '../../context.js';
import { arg, integer, opt } from '../../flags.js';
import { plural } from '../../render/text.js';
import { defineCommand, type OptionValues } from '../../spec.js';
import { bundledLexiconsDir, display, lexiconResolver, lexiconsOption, loadCatalog, noBundledOption, projectFolder, withSpinner } from './shared.js';
import { RECORD_EXIT, REPO_EXIT, renderRecordCheck, renderRepoReport, schemaOrigin, shownRecordCheck, shownRepoReport } from './validate-render.js';

const MAX_RECORD_FILE_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_PROBLEMS = 10;

const options = {
  all: opt.flag('--all', 'validate every record of a repository: <target> is a handle, a DID or a repository CAR file'),
  lexicons: lexiconsOption('folder of Lexicon files to validate against, on top of the bundled ones (default ./lexicons when present)'),
  nsid: opt.value('--nsid <nsid>', "record type to validate a record file as (default: the record's $type)", { valueKind: 'none' }),
  bundled: noBundledOption,
  resolve: opt.negatable('--no-resolve', 'do not fetch missing schemas by Lexicon resolution (AT-URIs and --all)'),
  key: opt.value('--key <did:key>', "check the record's proof or the repository's commit signature with this key instead of the account's", { valueKind: 'none' }),
  maxProblems: opt.parsed('--max-problems <n>', `invalid records listed per collection with --all (default ${DEFAULT_MAX_PROBLEMS}; the rest are counted)`, integer({ min: 1, max: 10_000 }), { valueKind: 'none' }),
  strictUnions: opt.flag('--strict-unions', 'fail a union member whose $type has no known schema (by default an open union accepts types added later)'),
};

type Ctx = CommandContext<{ target: string }, OptionValues<typeof options>>;

/** Refuses flags that do not apply to the form of validation asked for. */
function refuseFlags(ctx: Ctx, form: string, flags: Array<[string, boolean]>): void {
  const given = flags.filter(([, on]) => on).map(([flag]) => flag);
  if (given.length > 0) throw usage('ConflictingArguments', `${given.join(', ')} ${given.length === 1 ? 'does' : 'do'} not apply to ${form}`, { hint: `run "atcli ${ctx.path} --help" for which flags go with which form` });
}

async function publicKey(text: string | undefined): Promise<PublicKey | undefined> {
  if (text === undefined) return undefined;
  const { parseDidKey } = await import('../../../core/crypto/index.js');
  try {
    return parseDidKey(text);
  } catch (err) {
    if (isAtcliError(err)) throw usage('InvalidPublicKey', `--key: ${err.message}`, { hint: 'give the public key as did:key:z…' });
    throw err;
  }
}

async function schemaFinder(ctx: Ctx): Promise<SchemaFinder> {
  const { opts, err, f } = ctx;
  const catalog = await loadCatalog(err, { bundled: opts.bundled, project: projectFolder(opts.lexicons) });
  const { SchemaFinder } = await import('../../../core/lexicon/network.js');
  const bundledDir = bundledLexiconsDir();
  return new SchemaFinder(catalog, { ...(bundledDir === undefined ? {} : { bundledDir }), ...(opts.resolve ? { resolver: await lexiconResolver(f, err) } : {}) });
}

/** A record in a JSON file, against the local schemas (no network). */
async function validateFile(ctx: Ctx): Promise<number> {
  const { args, opts, out, err } = ctx;
  refuseFlags(ctx, 'a record file', [['--key', opts.key !== undefined], ['--max-problems', opts.maxProblems !== undefined]]);
  const file = args.target;
  const { parseJsonText, readTextFile, validateRecordJson } = await import('../../../core/lexicon/index.js');
  const text = await readTextFile(file, MAX_RECORD_FILE_BYTES);
  let json: unknown;
  try {
    json = parseJsonText(text).value;
  } catch (e) {
    if (isAtcliError(e) && e.code === 'InvalidJson') throw invalid('InvalidJson', `${file}: ${e.message}`, { details: e.details, hint: 'fix the JSON syntax at the position shown' });
    throw e;
  }
  const catalog = await loadCatalog(err, { bundled: opts.bundled, project: projectFolder(opts.lexicons) });
  const { nsid, errors } = validateRecordJson(catalog, json, { ...(opts.nsid === undefined ? {} : { nsid: opts.nsid }), strictOpenUnions: opts.strictUnions });
  const source = catalog.sourceOf(nsid);
  const bundledDir = bundledLexiconsDir();
  const result = {
    file: display(file),
    nsid,
    status: errors.length === 0 ? ('valid' as const) : ('invalid' as const),
    valid: errors.length === 0,
    schema: source === undefined ? null : schemaOrigin({ kind: 'local', nsid, file: source, bundled: bundledDir !== undefined && source.startsWith(bundledDir) }),
    errors,
  };
  await out.result(result, async (r) =>
    r.valid
      ? `${out.mark('ok')} ${r.file}: valid ${r.nsid}`
      : `${out.mark('fail')} ${r.file}: ${plural(r.errors.length, 'error')} against ${r.nsid}\n${(await out.table(r.errors.map((e) => [e.path === '' ? '(record)' : `${e.path}:`, e.message]))).replace(/^/gm, '  ')}`,
  );
  return result.valid ? 0 : EXIT_CODES.invalid;
}

/** One live record, read with its inclusion proof. */
async function validateUri(ctx: Ctx): Promise<number> {
  const { args, opts, out, err, f } = ctx;
  refuseFlags(ctx, 'an AT-URI', [['--nsid', opts.nsid !== undefined], ['--max-problems', opts.maxProblems !== undefined]]);
  const key = await publicKey(opts.key);
  const { validateRecordAtUri } = await import('../../../core/lexicon/network.js');
  const options = { identity: await f.identity(), schemas: await schemaFinder(ctx), ...(key ? { key } : {}), validate: { strictOpenUnions: opts.strictUnions } };
  const result = await withSpinner(err, `reading ${args.target}`, () => validateRecordAtUri(args.target, options));
  const shown = shownRecordCheck(result);
  await out.result(shown, (r) => renderRecordCheck(out, r));
  return RECORD_EXIT[result.status];
}

/** Every record of a repository: a CAR file, or an account's repository streamed from its PDS. */
async function validateAll(ctx: Ctx): Promise<number> {
  const { args, opts, out, err, f } = ctx;
  refuseFlags(ctx, '--all', [['--nsid', opts.nsid !== undefined]]);
  const key = await publicKey(opts.key);
  const { classifyRepoArgument } = await import('../../../core/repo/source.js');
  const target = await classifyRepoArgument(args.target);
  const { validateAccountRepository, validateRepository } = await import('../../../core/lexicon/network.js');
  const common = { schemas: await schemaFinder(ctx), validate: { strictOpenUnions: opts.strictUnions }, maxProblemsPerCollection: opts.maxProblems ?? DEFAULT_MAX_PROBLEMS };
  // The bar appears once bytes flow, so a failure to connect prints nothing but the error.
  let bar: ReturnType<typeof err.progress> | undefined;
  const onProgress = (p: { bytes: number }): void => {
    bar ??= err.progress(`validating ${args.target}`);
    bar.update(p.bytes, target.kind === 'file' ? target.size : null);
  };
  let report;
  try {
    if (target.kind === 'file') {
      const [{ fileChunks }, { resolverKeySource }] = await Promise.all([import('../../../core/codec/car.js'), import('../../../core/identity/signing-keys.js')]);
      const keys = key !== undefined ? { key } : { signingKeys: resolverKeySource(await f.identity()) };
      report = await validateRepository(fileChunks(target.path), { ...common, verify: { ...keys, onProgress } });
    } else {
      report = await validateAccountRepository(target.id, { ...common, identity: await f.identity(), ...(key ? { key } : {}), verify: { onProgress } });
    }
  } finally {
    bar?.done();
  }
  const shown = shownRepoReport(report);
  await out.result(shown, (r) => renderRepoReport(out, r));
  return REPO_EXIT[report.status];
}

export default defineCommand({
  args: { target: arg.required('target', 'a record JSON file, an at:// URI of a record, or with --all a handle, DID or repository CAR file', { valueKind: 'file' }) },
  options,
  uses: ['network'],
  examples: [
    'atcli lex validate post.json',
    'atcli lex validate record.json --nsid com.example.calendar.event --lexicons ./lexicons --json',
    'atcli lex validate at://alice.example.com/app.bsky.feed.post/3k2…',
    'atcli lex validate --all alice.example.com',
    'atcli lex validate --all repo.car --key did:key:zQ3sh… --json',
  ],
  notes:
    'Schemas: the Lexicons that ship with atcli (unless --no-bundled), then --lexicons or ./lexicons; for AT-URIs and --all, a schema found in neither is fetched by Lexicon resolution (unless --no-resolve). A record file is checked offline. ' +
    'An AT-URI is read from the account\'s PDS with its inclusion proof checked against the signed commit; --all verifies the whole repository (as "atcli repo verify") while validating every record, and reports per collection. A file may be the output of getRecord ({uri, value}). ' +
    'Exit status: 0 valid; 3 invalid (a record fails its schema, or the proof or repository does not verify); 4 no schema for the record type (one record; with --all such collections are listed but do not change the verdict), or the record or account does not exist; 1 could not check (network, a signing key or schema that could not be fetched); 2 a malformed argument or a missing file.',
  async run(ctx) {
    if (ctx.opts.all) return validateAll(ctx);
    if (ctx.args.target.startsWith('at://')) return validateUri(ctx);
    return validateFile(ctx);
  },
});
