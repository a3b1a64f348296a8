// The `lex` command group: lint, rules, validate, new, diff, breaking (offline), and resolve, pull,
// publish, status, check-dns (over the network).
// Names, arguments, options and help only; handlers load lazily from ../commands/lex.js.
import { Argument, Option, type Command } from 'commander';
import { examples, type Act } from '../program.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const LEX_TYPES = ['record', 'query', 'procedure', 'subscription', 'permission-set'];

export function registerLexCommands(lex: Command, act: Act): void {

  lex
    .command('lint')
    .description('check Lexicon files: schema validity and style-guide rules, each with a short code (exit 3 on errors, and on warnings with --strict)')
    .argument('[paths...]', 'files or folders to check (folders recursively, *.json; default ./lexicons)')
    .addOption(new Option('--format <format>', 'output: text, json (one object with every finding) or github (workflow annotations); default text, json with --json').choices(['text', 'json', 'github']))
    .option('--strict', 'exit 3 on warnings too')
    .option('--rule <code>', 'report only this rule (repeatable or comma-separated; see "atcli lex rules")', collect)
    .option('--ignore <code>', 'never report this rule (repeatable or comma-separated)', collect)
    .option('--no-bundled', 'do not resolve references against the Lexicons that ship with atcli')
    .addHelpText(
      'after',
      `${examples([
        'atcli lex lint',
        'atcli lex lint lexicons/com/example --strict',
        'atcli lex lint --format github',
        'atcli lex lint --ignore unlimited-string,endpoint-output-undefined --json',
      ])}
Levels: error (exit 3), warning (exit 3 with --strict), note (shown with -v; never fails).
A file that is not JSON is reported with its line and column. "atcli lex rules" lists every rule.`,
    )
    .action(act(async () => (await import('../commands/lex.js')).lexLintCommand));

  lex
    .command('rules')
    .description('list the lint rules and the evolution (breaking-change) rules with their codes')
    .addHelpText('after', examples(['atcli lex rules', 'atcli lex rules --json']))
    .action(act(async () => (await import('../commands/lex.js')).lexRulesCommand));

  lex
    .command('validate')
    .description('validate a record (JSON file) against its Lexicon schema (exit 0 valid, 3 invalid with the path of each problem)')
    .argument('<record>', 'record JSON file (atproto JSON; getRecord output {uri, value} is accepted too)')
    .option('--lexicons <dir>', 'folder of Lexicon files to validate against (default ./lexicons when present), on top of the bundled ones')
    .option('--nsid <nsid>', 'record type to validate as (default: the record\'s $type)')
    .option('--no-bundled', 'do not use the Lexicons that ship with atcli')
    .addHelpText('after', examples(['atcli lex validate post.json', 'atcli lex validate event.json --lexicons ./lexicons', 'atcli lex validate record.json --nsid com.example.calendar.event --json']))
    .action(act(async () => (await import('../commands/lex.js')).lexValidateCommand));

  lex
    .command('new')
    .description('write a new Lexicon file from a template that lints clean (<dir>/a/b/c.json for a.b.c)')
    .addArgument(new Argument('<type>', 'primary type of the new Lexicon').choices(LEX_TYPES))
    .argument('<nsid>', 'NSID of the new Lexicon, like com.example.fooBar')
    .option('--lexicons <dir>', 'project folder of Lexicon files (default ./lexicons)')
    .option('--force', 'overwrite an existing file')
    .addHelpText('after', examples(['atcli lex new record com.example.calendar.event', 'atcli lex new query com.example.calendar.listEvents --lexicons schemas', 'atcli lex new permission-set com.example.calendar.authBasic --dry-run']))
    .action(act(async () => (await import('../commands/lex.js')).lexNewCommand));

  lex
    .command('diff')
    .description('show every change between two versions of a Lexicon, and which ones break compatibility; with one schema, the published version against the local one')
    .argument('<schema>', 'a Lexicon JSON file or an NSID (found in --lexicons); alone: compared with the version its authority publishes')
    .argument('[new]', 'the new version (Lexicon JSON file); <schema> is then the old one')
    .option('--lexicons <dir>', 'project folder to find an NSID in (default ./lexicons)')
    .addHelpText(
      'after',
      `${examples([
        'atcli lex diff lexicons/com/example/calendar/event.json',
        'atcli lex diff com.example.calendar.event --json',
        'atcli lex diff old/com/example/post.json lexicons/com/example/post.json',
      ])}
With one schema, the published version is resolved like "atcli lex resolve" (DNS _lexicon TXT → DID → PDS, proof verified).
Exit status: 0 (differences are not failures), 4 when the schema is not published.`,
    )
    .action(act(async () => (await import('../commands/lex.js')).lexDiffCommand));

  lex
    .command('breaking')
    .description('check that a new version of a Lexicon keeps the evolution rules (exit 3 when a change breaks them); with one schema, against the published version')
    .argument('<schema>', 'a Lexicon JSON file or an NSID (found in --lexicons); alone: checked against the version its authority publishes')
    .argument('[new]', 'the new version (Lexicon JSON file); <schema> is then the old (published) one')
    .option('--lexicons <dir>', 'project folder to find an NSID in (default ./lexicons)')
    .option('--strict', 'exit 3 on warnings too (loosened limits that old readers may reject)')
    .addHelpText(
      'after',
      `${examples([
        'atcli lex breaking lexicons/com/example/calendar/event.json',
        'atcli lex breaking com.example.calendar.event --json',
        'atcli lex breaking published/post.json lexicons/com/example/post.json',
      ])}
Errors: type changes, new required fields, removed required fields, tighter const/enum/length/range/format/blob limits,
closed-union and record-key changes. Warnings: loosened limits and ref changes. "atcli lex rules" lists every rule.
Exit status: 0 compatible, 3 breaking, 4 not published (one-schema form).`,
    )
    .action(act(async () => (await import('../commands/lex.js')).lexBreakingCommand));

  lex
    .command('resolve')
    .description('fetch a published schema: DNS _lexicon TXT → DID → PDS → com.atproto.lexicon.schema record, with its signed proof verified')
    .argument('<nsid>', 'NSID of the schema, like com.example.calendar.event')
    .addHelpText(
      'after',
      `${examples(['atcli lex resolve app.bsky.feed.post', 'atcli lex resolve com.example.calendar.event > event.json', 'atcli lex resolve com.example.calendar.event --json | jq .cid'])}
The schema goes to stdout, where it came from (DID, PDS, CID, proof) to stderr; --json prints both as one object.
The authority is the NSID minus its name, reversed (app.bsky.feed.post → _lexicon.feed.bsky.app); parent and child
domains are never tried. Exit status: 0 verified, 3 the proof or the schema is invalid, 4 no _lexicon record or no such schema.`,
    )
    .action(act(async () => (await import('../commands/lex.js')).lexResolveCommand));

  lex
    .command('pull')
    .description('fetch published schemas and everything they reference into the project folder, recording each CID in lexicons.lock.json')
    .argument('[nsids...]', 'NSIDs, or a group as prefix.* (every schema directly under it); default: what the lock file says was pulled')
    .option('--lexicons <dir>', 'project folder to write to (default ./lexicons)')
    .option('--lock <file>', 'lock file (default lexicons.lock.json beside the folder)')
    .option('--frozen', 'CI check: change nothing unless every fetched schema matches the lock and the local files (exit 3 on drift)')
    .option('--no-deps', 'fetch only the named schemas, not the ones they reference')
    .addHelpText(
      'after',
      `${examples([
        'atcli lex pull app.bsky.feed.post',
        'atcli lex pull com.example.calendar.*',
        'atcli lex pull',
        'atcli lex pull --frozen',
        'atcli lex pull app.bsky.actor.profile --dry-run --json',
      ])}
Every schema is fetched with its signed proof verified, and written atomically as <dir>/a/b/c.json (replacing the
file of the same NSID). Pulled schemas from other publishers are never published by "atcli lex publish".
Exit status: 0 done (or in sync with --frozen), 3 drift with --frozen or an invalid proof, 4 something does not resolve.`,
    )
    .action(act(async () => (await import('../commands/lex.js')).lexPullCommand));

  lex
    .command('publish')
    .description('publish schemas to the logged-in account: lint, DNS and breaking-change gates first, then compare-and-swap writes, verified afterwards')
    .argument('[paths...]', 'files or folders to publish (default: the --lexicons folder, without the pulled schemas of other publishers)')
    .option('--lexicons <dir>', 'project folder (default ./lexicons); references resolve against it')
    .option('--lock <file>', 'lock file listing pulled schemas (default lexicons.lock.json beside the folder)')
    .option('--skip-dns-check', 'publish even when _lexicon.<authority> does not name the logged-in account')
    .option('--force', 'publish breaking changes too')
    .option('--plan <file>', 'apply a plan saved with --dry-run --json: fail if anything changed since it was made')
    .option('--no-bundled', 'do not resolve references against the Lexicons that ship with atcli')
    .addHelpText(
      'after',
      `${examples([
        'atcli lex publish --dry-run',
        'atcli lex publish',
        'atcli lex publish lexicons/com/example/calendar --json',
        'atcli lex publish --dry-run --json > plan.json && atcli lex publish --plan plan.json',
        'ATCLI_IDENTIFIER=me.example.com ATCLI_PASSWORD=... atcli lex publish',
      ])}
Gates, in order (nothing is written unless all pass): lint errors (warnings allowed); the DNS record
_lexicon.<authority> TXT "did=<your DID>" for every group (see "atcli lex check-dns"); breaking changes against
the published version (--force to override). Writes use compare-and-swap: a schema changed or created by someone
else since it was read is not overwritten (exit 3). Unchanged schemas are skipped. Each write is fetched back
and its proof verified. Exit status: 0 published, 3 refused or changed meanwhile, 4 DNS record missing, 5 not logged in.`,
    )
    .action(act(async () => (await import('../commands/lex.js')).lexPublishCommand));

  lex
    .command('status')
    .description('compare each local schema with the published one: in-sync, differs, local-only, remote-only (or unresolved)')
    .argument('[paths...]', 'files or folders (default the --lexicons folder)')
    .option('--lexicons <dir>', 'project folder (default ./lexicons)')
    .option('--lock <file>', 'lock file (default lexicons.lock.json beside the folder)')
    .addHelpText(
      'after',
      `${examples(['atcli lex status', 'atcli lex status lexicons/com/example --json', "atcli lex status --json | jq -r 'select(.status != \"in-sync\") | .nsid'"])}
--json prints one JSON object per schema (NDJSON): nsid, status, file, localCid, remoteCid, lockedCid, did, uri, detail.
Published versions are read with their proofs verified. Exit status: 0 (the rows say what differs).`,
    )
    .action(act(async () => (await import('../commands/lex.js')).lexStatusCommand));

  lex
    .command('check-dns')
    .description('check that every authority of the project has a _lexicon TXT record naming one DID; print the records to add')
    .argument('[paths...]', 'files or folders (default the --lexicons folder)')
    .option('--lexicons <dir>', 'project folder (default ./lexicons)')
    .option('--did <did>', 'the DID the records must name (default: the logged-in account, when there is a stored login)')
    .addHelpText(
      'after',
      `${examples(['atcli lex check-dns', 'atcli lex check-dns --did did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'atcli lex check-dns lexicons/com/example --json'])}
Only _lexicon.<authority> itself is looked up (never a parent or child domain), as resolvers do.
--json prints one object per authority (NDJSON): authority, name, nsids, status, did, expected, record, detail.
Exit status: 0 all resolve (to --did, when given), 3 a record names another DID or several, 4 a record is missing.`,
    )
    .action(act(async () => (await import('../commands/lex.js')).lexCheckDnsCommand));
}
