import type { AtcliError } from '../../core/errors.js';
import type { HintTable } from './index.js';

const LEXICON_COLLECTION = 'com.atproto.lexicon.schema';

/** "core hint; CLI addition", or only the addition. */
const plus = (err: AtcliError, more: string): string => (err.hint ? `${err.hint}; ${more}` : more);
const detail = (err: AtcliError, key: string): string | undefined => (typeof err.details?.[key] === 'string' ? err.details[key] : undefined);
const onPublish = (path: string): boolean => path === 'lex publish';
/** For codes other commands throw too: the lex hint only where the lex flags exist. */
const onLex = (hint: string | ((err: AtcliError) => string)) => (err: AtcliError, path: string): string | undefined =>
  path.startsWith('lex ') ? (typeof hint === 'string' ? hint : hint(err)) : undefined;

/** Hints for the Lexicon commands (lex …) and the errors of reading records by AT-URI. */
export const LEX_HINTS: HintTable = {
  FileExists: (_e, path) => (path === 'lex new' ? 'pass -f/--force to overwrite it' : undefined),
  InvalidUtf8: 'save the file as UTF-8',
  // Only for a file (a published schema that is invalid names its at:// URI instead).
  InvalidLexicon: (e) => {
    const file = detail(e, 'source');
    return file === undefined || file.startsWith('at://') ? undefined : `"atcli lex lint ${file}" lists every finding with its line`;
  },
  LexiconNotFound: onLex((e) => `put the schema under --lexicons <dir>, or fetch it with "atcli lex pull ${detail(e, 'nsid') ?? '<nsid>'}"`),
  MissingType: onLex('pass the record type with --nsid, like --nsid app.bsky.feed.post'),
  UnknownLintRule: (e) => plus(e, '"atcli lex rules" describes each'),
  InvalidLockFile: 'fix it, or delete it and run "atcli lex pull" to write a new one',
  NothingToPull: 'name what to fetch: atcli lex pull com.example.calendar.event com.example.calendar.*',
  LockMissing: 'run "atcli lex pull <nsid>..." without --frozen once and commit the lock file',
  LexiconDnsFailed: 'try again; --dns-server chooses another DNS server',
  LexiconNotPublished: (e) => `the authority has not published it; "atcli record ls ${detail(e, 'did') ?? '<did>'} -c ${LEXICON_COLLECTION}" lists what it has`,
  NoLexiconsInGroup: (e) => `check the group name; "atcli record ls ${detail(e, 'did') ?? '<did>'} -c ${LEXICON_COLLECTION}" lists what it publishes`,
  InvalidPlan: 'save the plan with "atcli lex publish --dry-run --json > plan.json"',
  PlanMismatch: 'make a new plan with "atcli lex publish --dry-run --json", or publish only the files it covers',
  PlanOutdated: 'make a new plan with "atcli lex publish --dry-run --json" and review it',
  NoLexicons: (_e, path) => (onPublish(path) ? 'give the files or folders to publish, or create one with "atcli lex new"' : undefined),
  LintErrors: 'run "atcli lex lint" for every finding, fix the errors and publish again',
  LexiconAuthorityNotFound: (e, path) => (onPublish(path) ? plus(e, 'check with "atcli lex check-dns", or pass --skip-dns-check') : undefined),
  BreakingChange: (e) => plus(e, 'or pass --force if nobody depends on it yet'),
  PublishMismatch: 'the PDS changed the record; check it with "atcli lex status"',
  PublishNotVerified: 'another writer may have changed it at the same moment; run "atcli lex status"',
  RecordChanged: (_e, path) => (onPublish(path) ? 'see what changed with "atcli lex diff" and "atcli lex status", then publish again' : undefined),
  InvalidAtUri: onLex('a record URI is at://<handle or DID>/<collection>/<rkey>'),
  RecordNotFound: onLex((e) => {
    const m = /at:\/\/([^/\s]+)\/([^/\s]+)\//.exec(e.message);
    return `list the collection with "atcli record ls ${m?.[1] ?? '<did>'} -c ${m?.[2] ?? '<collection>'}"`;
  }),
  NoSigningKey: onLex('pass the key with --key did:key:z…'),
};
