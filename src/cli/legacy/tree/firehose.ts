// The `firehose` command group: tail (live, reconnecting, resumable, recordable) and replay.
// Names, arguments, options and help only; handlers load lazily from ../commands/firehose.js.
import type { Command } from 'commander';
import { examples, type Act } from '../program.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function pipelineOptions(cmd: Command): Command {
  return cmd
    .option('-c, --collection <nsid>', 'only commits with an op in this collection (repeatable; "app.bsky.feed.*" matches a prefix); shows only commits unless --events says otherwise', collect)
    .option('--did <did>', 'only events of this account (repeatable)', collect)
    .option('--events <list>', 'event types to show, comma-separated: commit,sync,identity,account,info (default: all)')
    .option('--ops', 'one line per record operation (op, collection, rkey, cid, record) instead of one per commit')
    .option('--verify', "check each commit's signature (keys resolved and cached) and its sync-1.1 inductive proof and chain; failures become {seq, did, ok: false, reasons} lines and the stream goes on")
    .option('--limit <n>', 'stop after n events (exit 0)');
}

/** Registers `tail` and `replay` on the `firehose` group command (program.ts creates it). */
export function registerFirehoseCommands(firehose: Command, act: Act): void {
  pipelineOptions(
    firehose
      .command('tail')
      .description('follow the event stream of a relay or PDS (--relay): one line per event; reconnects and resumes without gaps')
      .option('--cursor <seq>', 'start after this seq (0: the oldest event the server keeps; default: live, or the --cursor-file)')
      .option('--cursor-file <file>', 'read the start cursor from this file and keep saving the last processed seq to it'),
  )
    .option('--record <file>', 'append the raw frames (and the keys used to verify them) to a recording for "atcli firehose replay"')
    .addHelpText(
      'after',
      `${examples([
        'atcli firehose tail',
        'atcli firehose tail --relay https://pds.example.com --did did:plc:ewvi7nxzyoun6zhxrhs64oiz --verify',
        'atcli firehose tail -c app.bsky.feed.post --ops --json | jq -r .record.text',
        'atcli firehose tail --cursor-file ~/.cache/firehose.cursor --events identity,account',
        'atcli firehose tail --limit 1000 --record sample.fh',
      ])}
Output is NDJSON with --json or whenever stdout is not a terminal (a summary line is not parseable).
The relay comes from --relay / ATCLI_RELAY_URL (default wss://bsky.network); https:// and http:// map to wss:// and ws:// (ws:// only to localhost unless --dev).
NDJSON lines: seq, type (commit, sync, identity, account, info), did, time; commits add rev, since, commit, ops ([{op, collection, rkey, cid, prev}]);
--ops lines: seq, did, rev, op, collection, rkey, cid, record; with --verify, "verified": true, and failures {seq, did, type, ok: false, reasons}.
On exit (--limit reached, Ctrl-C, error) a line on stderr gives events, events/s, verification failures and the last seq to resume from with --cursor.
Exit status: 0 at --limit, 1 on a runtime failure (e.g. FutureCursor: the cursor is ahead of the server), 130 on Ctrl-C.`,
    )
    .action(act(async () => (await import('../commands/firehose.js')).firehoseTailCommand));

  pipelineOptions(
    firehose
      .command('replay')
      .description('feed a recording made with "tail --record" through the same pipeline offline (same flags, same output)')
      .argument('<file>', 'a recording written by atcli firehose tail --record')
      .option('--cursor <seq>', 'skip frames up to and including this seq'),
  )
    .addHelpText(
      'after',
      `${examples(['atcli firehose replay sample.fh --json', 'atcli firehose replay sample.fh --verify --did did:plc:ewvi7nxzyoun6zhxrhs64oiz'])}
With --verify the signing keys stored in the recording are used (resolved only for accounts the recording has none for).
Exit status: 0 when every frame passed, 3 when a failure was reported.`,
    )
    .action(act(async () => (await import('../commands/firehose.js')).firehoseReplayCommand));
}
