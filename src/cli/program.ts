// The static command tree. It holds names, arguments, options and help only: each action
// loads its command module on demand, so start-up never parses code the command does not use.
// The same tree drives shell completion and the generated man pages.
import { Command, Option } from 'commander';
import { VERSION, type Context, type GlobalOptions } from './context.js';
import { registerLexCommands } from './tree/lex.js';
import { registerRecordCommands } from './tree/record.js';

export type CommandHandler = (run: CommandRun) => Promise<number | void>;

export interface CommandRun {
  ctx: Context;
  args: unknown[];
  opts: Record<string, unknown>;
  globals: GlobalOptions;
  command: Command;
}

/** Called by every action: the runner builds the context and maps errors to exit codes. */
export type ActionRunner = (load: () => Promise<CommandHandler>, command: Command, args: unknown[]) => Promise<void>;

const increase = (_v: string, previous: number): number => previous + 1;
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Wraps a lazily loaded handler as a commander action. */
export type Act = (load: () => Promise<CommandHandler>) => (this: Command, ...args: unknown[]) => Promise<void>;

export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

export function buildProgram(runner: ActionRunner): Command {
  const program = new Command('atcli');
  program
    .description('A command-line multitool for the AT Protocol (atproto): identities, repositories, PLC, lexicons, firehose.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .option('--json', 'machine output on stdout: one JSON document, or NDJSON for streams')
    .option('-q, --quiet', 'less on stderr: no progress or hints (errors still print)')
    .option('-v, --verbose', 'more on stderr: each HTTP request with timing (-vv: stack traces)', increase, 0)
    .option('--no-color', 'never colour output (also NO_COLOR)')
    .option('-y, --yes', 'skip confirmations on commands that change something remote')
    .option('-n, --dry-run', 'show what would change and change nothing')
    .option('--timeout <seconds>', 'per-request network timeout (env ATCLI_TIMEOUT; default 30)')
    .option('--no-input', 'never prompt; a missing value is a usage error (implied when stdin is not a terminal or CI is set)')
    .option('--plc <url>', 'PLC directory (env ATCLI_PLC_URL; default https://plc.directory)')
    .option('--handle-resolver <url>', 'XRPC service for com.atproto.identity.resolveHandle when DNS and HTTPS do not answer (env ATCLI_HANDLE_RESOLVER)')
    .option('--handle-resolver-first', 'ask --handle-resolver before DNS and HTTPS')
    .option('--dns-server <ip[:port]>', 'DNS server for _atproto / _lexicon TXT look-ups (env ATCLI_DNS_SERVER)')
    .option('--relay <url>', 'relay for firehose and relay queries (env ATCLI_RELAY_URL; default wss://bsky.network)')
    .option('--profile <name>', 'which stored login to use (env ATCLI_PROFILE; default "default")')
    .addOption(new Option('--dev', 'development mode: allow http://, private and loopback addresses, .test handles, did:web:localhost%3APORT (env ATCLI_DEV)'))
    .addOption(new Option('--connect-to <host:port:host2:port2>', 'connect to host2:port2 whenever a URL names host:port, like curl (repeatable; env ATCLI_CONNECT_TO, comma-separated)').argParser(collect))
    .addHelpText(
      'after',
      `${examples([
        'atcli resolve alice.bsky.social',
        'atcli syntax check handle alice.example.com',
        'atcli key generate --type p256 --json',
        'atcli xrpc query https://public.api.bsky.app app.bsky.actor.getProfile actor=bsky.app',
      ])}
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 data invalid, 4 not found, 5 authentication needed, 130 interrupted.
Run "atcli <command> --help" for a command's options and examples.`,
    );

  const act: Act = (load) =>
    async function (this: Command, ...args: unknown[]) {
      await runner(load, this, args.slice(0, -2));
    };

  // --- identity ---
  program
    .command('resolve')
    .description('resolve a handle or DID: DID document, PDS, signing key, handle verified both ways')
    .argument('<id>', 'handle, DID, or at:// URI of an account')
    .option('--did', 'print only the DID')
    .option('--no-cache', 'bypass the identity cache')
    .addHelpText('after', examples(['atcli resolve alice.example.com', 'atcli resolve did:plc:ewvi7nxzyoun6zhxrhs64oiz --json', 'atcli resolve alice.example.com --did']))
    .action(act(async () => (await import('./commands/resolve.js')).resolveCommand));

  const key = program.command('key').description('generate and inspect atproto keys (k256, p256)');
  key
    .command('generate')
    .description('generate a new key pair (the private key goes to stdout: store it safely)')
    .addOption(new Option('-t, --type <type>', 'key type').choices(['k256', 'p256']).default('k256'))
    .addHelpText('after', examples(['atcli key generate', 'atcli key generate --type p256 --json > key.json']))
    .action(act(async () => (await import('./commands/key.js')).keyGenerateCommand));
  key
    .command('inspect')
    .description('parse a public key (did:key, multikey, legacy forms) or a private key read from --key-file / stdin')
    .argument('[key]', 'public key (did:key:z… or z…); private keys are read with --key-file or from stdin ("-")')
    .option('--key-file <path>', 'read the key from a file ("-" for stdin)')
    .addOption(new Option('-t, --type <type>', 'curve of a legacy raw-point key, when the point alone does not tell').choices(['k256', 'p256']))
    .addHelpText('after', examples(['atcli key inspect did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme', 'atcli key inspect --key-file rotation.key']))
    .action(act(async () => (await import('./commands/key.js')).keyInspectCommand));

  const syntax = program.command('syntax').description('check atproto identifiers offline; generate and inspect TIDs');
  syntax
    .command('check')
    .description('check values against the atproto syntax rules (exit 0 valid, 3 invalid with the reason)')
    .argument('<kind>', 'handle, did, nsid, at-uri, at-identifier, rkey, tid, cid, datetime, language')
    .argument('<values...>', 'values to check')
    .addHelpText('after', examples(['atcli syntax check handle alice.example.com', 'atcli syntax check nsid app.bsky.feed.post com.example.Bad-', 'atcli syntax check datetime 2024-01-01T00:00:00Z --json']))
    .action(act(async () => (await import('./commands/syntax.js')).syntaxCheckCommand));
  const tid = syntax.command('tid').description('generate or inspect timestamp identifiers (TIDs)');
  tid
    .command('generate')
    .description('print a new TID for the current time')
    .option('--count <n>', 'how many (each strictly greater than the last)', '1')
    .action(act(async () => (await import('./commands/syntax.js')).tidGenerateCommand));
  tid
    .command('inspect')
    .description('decode a TID into its timestamp and clock id')
    .argument('<tid>', 'a TID, e.g. 3jzfcijpj2z2a')
    .action(act(async () => (await import('./commands/syntax.js')).tidInspectCommand));

  // --- repositories ---
  const repo = program.command('repo').description('export, verify and explore repositories (CAR files or live accounts)');
  repo
    .command('verify')
    .description('full self-authentication: CAR, every block hash, commit and signature, MST structure, every record')
    .argument('<car|id>', 'a CAR file, or an account (handle, DID) whose repository is downloaded and checked')
    .option('--key <did:key>', "check the signature with this key instead of the account's DID document")
    .option('--did <did>', 'the DID the repository must belong to')
    .addHelpText('after', `${examples(['atcli repo verify alice.example.com', 'atcli repo verify repo.car --json', 'atcli repo verify repo.car --key did:key:zQ3sh… --did did:plc:…'])}
Exit status: 0 valid, 3 invalid (each failed check is named), 4 account not found.`)
    .action(act(async () => (await import('./commands/repo.js')).repoVerifyCommand));
  repo
    .command('export')
    .description('download an account\'s repository to a CAR file (atomic write), then verify it')
    .argument('<id>', 'handle or DID')
    .option('-o, --output <file>', 'where to write (default: <did>.car)')
    .option('--no-verify', 'skip verification after the download')
    .option('-f, --force', 'replace an existing file')
    .addHelpText('after', examples(['atcli repo export alice.example.com', 'atcli repo export did:plc:… -o backup.car --json']))
    .action(act(async () => (await import('./commands/repo.js')).repoExportCommand));
  repo
    .command('inspect')
    .description('summary of a repository: commit, MST root, record counts per collection')
    .argument('<car|id>', 'a CAR file or an account')
    .action(act(async () => (await import('./commands/repo.js')).repoInspectCommand));
  repo
    .command('ls')
    .description('list record paths (NDJSON rows collection, rkey, cid with --json)')
    .argument('<car|id>', 'a CAR file or an account')
    .option('-c, --collection <nsid>', 'only this collection (repeatable)', collect)
    .action(act(async () => (await import('./commands/repo.js')).repoLsCommand));
  repo
    .command('mst')
    .description('print the Merkle Search Tree: nodes by layer, entries, missing blocks')
    .argument('<car>', 'a CAR file (partial CARs show missing nodes)')
    .action(act(async () => (await import('./commands/repo.js')).repoMstCommand));
  repo
    .command('unpack')
    .description('write one JSON file per record: <dir>/<collection>/<rkey>.json')
    .argument('<car>', 'a CAR file')
    .option('-o, --output <dir>', 'output directory (default: the CAR name without .car)')
    .option('-f, --force', 'write into a non-empty directory')
    .action(act(async () => (await import('./commands/repo.js')).repoUnpackCommand));
  repo
    .command('diff')
    .description('records created, updated and deleted between two snapshots (NDJSON rows op, collection, rkey, cid, prev)')
    .argument('<a>', 'the earlier snapshot: CAR file or account')
    .argument('<b>', 'the later snapshot: CAR file or account')
    .addHelpText('after', examples(['atcli repo diff before.car after.car', 'atcli repo diff backup.car alice.example.com --json']))
    .action(act(async () => (await import('./commands/repo.js')).repoDiffCommand));
  repo
    .command('import')
    .description("upload a verified CAR to the logged-in account's PDS (com.atproto.repo.importRepo)")
    .argument('<car>', 'a CAR file of the logged-in account')
    .option('--key <did:key>', "check the signature with this key instead of the account's DID document")
    .addHelpText('after', examples(['atcli repo import backup.car --dry-run', 'atcli repo import backup.car --yes']))
    .action(act(async () => (await import('./commands/repo.js')).repoImportCommand));

  // --- accounts ---
  const account = program.command('account').description('log in and manage accounts');
  account
    .command('login')
    .description('log in to a PDS; stores tokens (never the password) in a 0600 file under $ATCLI_CONFIG_DIR')
    .option('-u, --identifier <id>', 'handle, DID or e-mail (env ATCLI_IDENTIFIER; prompted when missing)')
    .option('--pds <url>', 'PDS URL (default: resolved from the identifier)')
    .addHelpText(
      'after',
      `${examples(['atcli account login -u alice.example.com', 'ATCLI_PASSWORD=… atcli account login -u alice.example.com --no-input', 'atcli --profile work account login -u alice.work.example'])}
The password comes from ATCLI_PASSWORD or a hidden prompt; never from a flag. An e-mail 2FA code comes from ATCLI_AUTH_FACTOR_TOKEN or a prompt.
Scripts can skip login entirely: ATCLI_IDENTIFIER + ATCLI_PASSWORD give a session that is never written to disk.`,
    )
    .action(act(async () => (await import('./commands/account.js')).loginCommand));
  account
    .command('logout')
    .description('revoke and delete the stored session of the profile')
    .action(act(async () => (await import('./commands/account.js')).logoutCommand));
  account
    .command('whoami')
    .description('show the logged-in account (checks the session with the PDS)')
    .action(act(async () => (await import('./commands/account.js')).whoamiCommand));

  // --- raw calls ---
  const xrpc = program.command('xrpc').description('raw XRPC calls to any service (authenticated with "@pds")');
  for (const kind of ['query', 'procedure'] as const) {
    const call = xrpc.command(kind);
    if (kind === 'query') call.option('-o, --output <file>', 'write the response body to a file (binary responses such as CARs and blobs)');
    call
      .description(kind === 'query' ? 'HTTP GET an XRPC query' : 'HTTP POST an XRPC procedure')
      .argument('<service>', 'service URL, or "@pds" for the logged-in account\'s PDS (authenticated)')
      .argument('<nsid>', 'method NSID, e.g. com.atproto.repo.describeRepo')
      .argument('[params...]', kind === 'query' ? 'key=value parameters (repeat a key for arrays)' : 'the JSON body: @file.json, @- for stdin, or key=value fields')
      .addHelpText(
        'after',
        examples(
          kind === 'query'
            ? ['atcli xrpc query https://public.api.bsky.app app.bsky.actor.getProfile actor=bsky.app', 'atcli xrpc query @pds com.atproto.server.getSession']
            : ['atcli xrpc procedure @pds com.atproto.repo.createRecord @record.json', 'echo \'{"handle":"alice.example.com"}\' | atcli xrpc procedure @pds com.atproto.identity.updateHandle @-'],
        ),
      )
      .action(act(async () => (await import('./commands/xrpc.js'))[kind === 'query' ? 'xrpcQueryCommand' : 'xrpcProcedureCommand']));
  }

  // --- shell integration ---
  program
    .command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', examples(['atcli completion bash > /etc/bash_completion.d/atcli', 'atcli completion zsh > "${fpath[1]}/_atcli"', 'atcli completion fish > ~/.config/fish/completions/atcli.fish']))
    .action(act(async () => (await import('./commands/completion.js')).completionCommand));
  program
    .command('__complete', { hidden: true })
    .description('internal: print completion candidates for the words given')
    .argument('[words...]')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(act(async () => (await import('./commands/completion.js')).completeWordsCommand));

  registerLexCommands(program, act);
  registerRecordCommands(program, act);
  return program;
}
