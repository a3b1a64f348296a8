import { EXIT_CODES, runtime, usage } from '../../../core/errors.js';
import { account, arg, opt } from '../../flags.js';
import type { Factory } from '../../factory.js';
import type { IO } from '../../io.js';
import { plural } from '../../render/text.js';
import { defineCommand } from '../../spec.js';
import { display, lexiconResolver, lexiconsOption, projectPaths, warnSkipped, withSpinner } from './shared.js';

/** The DID the records must name: --did (a DID, or a handle resolved), else the login's, when known. */
async function expectedDid(f: Factory, io: IO, profile: string, given: string | undefined): Promise<string | undefined> {
  if (given !== undefined) return given.startsWith('did:') ? given : (await f.resolveAccount(given)).did;
  const { checkDid } = await import('../../../core/syntax/index.js');
  const env = io.env.ATCLI_IDENTIFIER;
  if (env !== undefined && env.startsWith('did:') && checkDid(env) === null) return env;
  try {
    return (await (await f.sessionStore()).read(profile))?.did;
  } catch {
    return undefined;
  }
}

export default defineCommand({
  args: { paths: arg.variadic('paths', 'files or folders (default the --lexicons folder)', { valueKind: 'file' }) },
  options: {
    lexicons: lexiconsOption('project folder (default ./lexicons)'),
    did: opt.parsed('--did <did>', 'the DID the records must name, or a handle (default: the logged-in account, when there is a stored login)', account, { valueKind: 'none' }),
  },
  uses: ['network', 'auth'],
  examples: ['atcli lex check-dns', 'atcli lex check-dns --did did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'atcli lex check-dns lexicons/com/example --json'],
  notes:
    'Only _lexicon.<authority> itself is looked up (never a parent or child domain), as resolvers do. ' +
    '--json prints one object per authority (NDJSON): authority, name, nsids, status, did, expected, record, detail. ' +
    'Exit status: 0 all resolve (to --did, when given), 4 a record is missing, 3 a record names another DID or several, 1 a look-up failed (DNS server unreachable).',
  async run({ args, opts, g, io, out, err, f }) {
    const paths = projectPaths(args.paths, opts.lexicons, 'check-dns');
    const { checkLexiconDns, readLocalSchemas } = await import('../../../core/lexicon/network.js');
    const local = await readLocalSchemas(paths);
    warnSkipped(err, local.skipped);
    if (local.schemas.length === 0) throw usage('NoLexicons', `no valid Lexicon schemas in ${paths.map(display).join(', ')}`);
    const expected = await expectedDid(f, io, g.profile, opts.did);
    const resolver = await lexiconResolver(f, err);
    const rows = await withSpinner(err, 'looking up _lexicon records', () => checkLexiconDns(resolver, local.schemas.map((s) => s.nsid), expected));
    const missing = rows.filter((r) => r.status === 'missing').length;
    const wrong = rows.filter((r) => r.status === 'mismatch' || r.status === 'ambiguous').length;
    const failed = rows.filter((r) => r.status === 'error').length;
    if (out.json) {
      for (const r of rows) await out.ndjson(r);
    } else {
      const table = await out.table(
        rows.map((r) => [r.status === 'ok' ? out.mark('ok') : out.mark('fail'), r.name, r.status, r.status === 'ok' ? `→ ${r.did}` : r.detail, plural(r.nsids.length, 'schema')]),
      );
      const records = rows.filter((r) => r.record !== null).map((r) => `${r.status === 'missing' ? 'add' : 'set'}: ${r.record}`);
      await out.text(`${[table, ...records].filter((l) => l !== '').join('\n')}\n`);
      if (expected === undefined && rows.some((r) => r.record !== null)) err.hint('pass --did <your DID> (or log in) to print the exact record');
      err.info(`${plural(rows.length, 'authority', 'authorities')}: ${rows.length - missing - wrong - failed} ok, ${missing} missing, ${wrong} wrong${failed > 0 ? `, ${failed} could not be looked up` : ''}`);
    }
    if (missing > 0) return EXIT_CODES.notFound;
    if (wrong > 0) return EXIT_CODES.invalid;
    const first = rows.find((r) => r.status === 'error');
    if (first !== undefined) throw runtime('LexiconDnsFailed', `${failed} of ${plural(rows.length, '_lexicon look-up')} failed (${first.name}: ${first.detail})`);
    return 0;
  },
});
