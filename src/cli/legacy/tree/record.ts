// The `record` command group: get (with inclusion-proof verification), ls, create, put, delete.
// Names, arguments, options and help only; handlers load lazily from ../commands/record.js.
import type { Command } from 'commander';
import { examples, type Act } from '../program.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function registerRecordCommands(record: Command, act: Act): void {

  record
    .command('get')
    .description("print a record as JSON; --verify checks the PDS's signed inclusion proof (com.atproto.sync.getRecord)")
    .argument('<at-uri>', 'at://<handle or DID>/<collection>/<rkey>')
    .option('--verify', "check the record against a signed proof: commit signature by the account's key, MST path, record hash")
    .option('--key <did:key>', "check the proof with this key instead of the DID document's (implies --verify)")
    .option('--cid <cid>', 'a specific version of the record, if the PDS still has it')
    .addHelpText(
      'after',
      `${examples([
        'atcli record get at://alice.example.com/app.bsky.actor.profile/self',
        'atcli record get at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l2zpbbhuvw2h --verify',
        'atcli record get at://alice.example.com/app.bsky.feed.post/3l2zpbbhuvw2h --verify --json',
      ])}
Exit status: 0 ok (and, with --verify, the proof holds), 3 the proof fails, 4 no such record or account.`,
    )
    .action(act(async () => (await import('../commands/record.js')).recordGetCommand));

  record
    .command('ls')
    .description('list the records of an account (NDJSON rows collection, rkey, cid, uri with --json)')
    .argument('<id>', 'handle or DID')
    .option('-c, --collection <nsid>', 'only this collection (repeatable; default: every collection the repository has)', collect)
    .option('--collections', 'list the collection names only')
    .option('--limit <n>', 'stop after n records')
    .addHelpText(
      'after',
      examples(['atcli record ls alice.example.com', 'atcli record ls alice.example.com -c app.bsky.feed.post --limit 20', 'atcli record ls did:plc:ewvi7nxzyoun6zhxrhs64oiz --collections', 'atcli record ls alice.example.com --json | jq -r .uri']),
    )
    .action(act(async () => (await import('../commands/record.js')).recordLsCommand));

  record
    .command('create')
    .description('create a record in the logged-in account from an atproto JSON file (or stdin)')
    .argument('<collection>', 'collection NSID; the record\'s "$type" must match it')
    .argument('[file]', 'the record as atproto JSON ("-" or omitted: stdin)')
    .option('--rkey <key>', 'record key (default: a TID chosen by the PDS)')
    .option('--no-validate', 'ask the PDS not to validate the record against its Lexicon')
    .addHelpText(
      'after',
      `${examples([
        'atcli record create app.bsky.feed.post post.json',
        `echo '{"$type":"app.bsky.feed.post","text":"hi","createdAt":"2024-01-01T00:00:00Z"}' | atcli record create app.bsky.feed.post`,
        'atcli record create com.example.thing thing.json --rkey self --no-validate',
      ])}
The body is checked first (JSON, integers only, $link / $bytes / blob objects, "$type" equal to the collection); a problem exits 2.`,
    )
    .action(act(async () => (await import('../commands/record.js')).recordCreateCommand));

  record
    .command('put')
    .description('create or replace the record at <collection>/<rkey> in the logged-in account')
    .argument('<collection>', 'collection NSID; the record\'s "$type" must match it')
    .argument('<rkey>', 'record key')
    .argument('[file]', 'the record as atproto JSON ("-" or omitted: stdin)')
    .option('--swap <cid>', 'compare-and-swap: replace only if the current record has this CID (exit 3 if it changed)')
    .option('--no-validate', 'ask the PDS not to validate the record against its Lexicon')
    .addHelpText(
      'after',
      examples([
        'atcli record put app.bsky.actor.profile self profile.json',
        'atcli record put app.bsky.actor.profile self profile.json --swap bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
      ]),
    )
    .action(act(async () => (await import('../commands/record.js')).recordPutCommand));

  record
    .command('delete')
    .description('delete a record of the logged-in account (asks first unless --yes)')
    .argument('<at-uri>', 'at://<your handle or DID>/<collection>/<rkey>')
    .option('--swap <cid>', 'compare-and-swap: delete only if the current record has this CID (exit 3 if it changed)')
    .addHelpText(
      'after',
      examples([
        'atcli record delete at://alice.example.com/app.bsky.feed.post/3l2zpbbhuvw2h',
        'atcli record delete at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l2zpbbhuvw2h --yes',
        'atcli record delete at://alice.example.com/app.bsky.feed.post/3l2zpbbhuvw2h --dry-run',
      ]),
    )
    .action(act(async () => (await import('../commands/record.js')).recordDeleteCommand));
}
