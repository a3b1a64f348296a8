// The static command tree. It holds names, arguments, options and help only: each action
// loads its command module on demand, so start-up never parses code the command does not use.
// The same tree drives shell completion and the generated man pages.
import { Command, Option } from 'commander';
import { VERSION, type Context, type GlobalOptions } from './context.js';

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
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Wraps a lazily loaded handler as a commander action. */
export type Act = (load: () => Promise<CommandHandler>) => (this: Command, ...args: unknown[]) => Promise<void>;

export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** Every command group, in help order. `focus` decides which one is built in full. */
interface CommandGroup {
  name: string;
  description: string;
  /** Loads the group's registrar; only the invoked group's module is ever imported. */
  load: () => Promise<(group: Command, act: Act) => void>;
}

export const ALL_GROUPS = '*';
const INTERNAL_COMPLETE = '__complete';

const GROUPS: CommandGroup[] = [
  { name: 'resolve', description: 'resolve a handle or DID: DID document, PDS, signing key, handle verified both ways', load: async () => (await import('./tree/identity.js')).registerResolveCommand },
  { name: 'repo', description: 'export, verify and explore repositories (CAR files or live accounts)', load: async () => (await import('./tree/repo.js')).registerRepoCommands },
  { name: 'record', description: 'read, list and write individual records (writes use the logged-in account)', load: async () => (await import('./tree/record.js')).registerRecordCommands },
  { name: 'plc', description: 'did:plc identities: history, data, verification; build, sign and submit operations (every check done locally first)', load: async () => (await import('./tree/plc.js')).registerPlcCommands },
  { name: 'lex', description: 'Lexicon schemas: lint them, validate records against them, scaffold new ones, compare versions', load: async () => (await import('./tree/lex.js')).registerLexCommands },
  { name: 'firehose', description: 'tail, filter, verify and record com.atproto.sync.subscribeRepos from a relay or any PDS', load: async () => (await import('./tree/firehose.js')).registerFirehoseCommands },
  { name: 'account', description: 'log in and manage accounts', load: async () => (await import('./tree/account.js')).registerAccountCommands },
  { name: 'blob', description: "an account's blobs (media): list, verified incremental sync to a folder, get, upload, compute a blob reference", load: async () => (await import('./tree/blob.js')).registerBlobCommands },
  { name: 'key', description: 'generate and inspect atproto keys (k256, p256)', load: async () => (await import('./tree/key.js')).registerKeyCommands },
  { name: 'syntax', description: 'check atproto identifiers offline; generate and inspect TIDs', load: async () => (await import('./tree/syntax.js')).registerSyntaxCommands },
  { name: 'xrpc', description: 'raw XRPC calls to any service (authenticated with "@pds")', load: async () => (await import('./tree/xrpc.js')).registerXrpcCommands },
  { name: 'completion', description: 'print a shell completion script', load: async () => (await import('./tree/completion.js')).registerCompletionCommand },
];

/** Names of the value-taking global options, to find the command word in argv. */
export const GLOBAL_VALUE_OPTIONS = new Set(['--timeout', '--plc', '--handle-resolver', '--dns-server', '--relay', '--profile', '--connect-to']);

/** The group an argv invokes ('*' when the whole tree is needed: help, completion). */
export function focusOf(argv: string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (GLOBAL_VALUE_OPTIONS.has(word)) {
      i++;
      continue;
    }
    if (word.startsWith('-')) continue;
    if (word === INTERNAL_COMPLETE) return ALL_GROUPS;
    return GROUPS.some((g) => g.name === word) ? word : '';
  }
  return '';
}

export async function buildProgram(runner: ActionRunner, focus: string = ALL_GROUPS): Promise<Command> {
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

  for (const group of GROUPS) {
    const command = program.command(group.name).description(group.description);
    // Only the invoked group is built in full; the others stay one-line stubs, which is all that
    // top-level help and "did you mean" need, and keeps start-up cheap.
    if (focus === ALL_GROUPS || focus === group.name) (await group.load())(command, act);
  }
  if (focus === ALL_GROUPS) (await import('./tree/internal.js')).registerInternalCommands(program, act);
  return program;
}








