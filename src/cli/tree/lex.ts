// The `lex` command group (offline part): lint, rules, validate, new, diff, breaking.
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
    .description('show every change between two versions of a Lexicon, and which ones break compatibility')
    .argument('<old>', 'the old version (Lexicon JSON file)')
    .argument('<new>', 'the new version (Lexicon JSON file)')
    .addHelpText('after', examples(['atcli lex diff old/com/example/post.json lexicons/com/example/post.json', 'atcli lex diff a.json b.json --json']))
    .action(act(async () => (await import('../commands/lex.js')).lexDiffCommand));

  lex
    .command('breaking')
    .description('check that a new version of a Lexicon keeps the evolution rules (exit 3 when a change breaks them)')
    .argument('<old>', 'the old (published) version (Lexicon JSON file)')
    .argument('<new>', 'the new version (Lexicon JSON file)')
    .option('--strict', 'exit 3 on warnings too (loosened limits that old readers may reject)')
    .addHelpText(
      'after',
      `${examples(['atcli lex breaking published/post.json lexicons/com/example/post.json', 'atcli lex breaking old.json new.json --json'])}
Errors: type changes, new required fields, removed required fields, tighter const/enum/length/range/format/blob limits,
closed-union and record-key changes. Warnings: loosened limits and ref changes. "atcli lex rules" lists every rule.`,
    )
    .action(act(async () => (await import('../commands/lex.js')).lexBreakingCommand));
}
