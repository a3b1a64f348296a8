// The global flags: declared once (help, man pages, completion and parsing all read this table),
// with their environment equivalents and the capability a command must have to accept them.
import { usage } from '../core/errors.js';
import { envFlag, type IO } from './io.js';
import { byteSize, duration, opt, serviceUrl } from './flags.js';
import type { Capability, OptionSpec } from './spec.js';

export interface GlobalSpec {
  readonly option: OptionSpec<unknown>;
  /** The capability a command needs for this flag to be accepted on its command line. */
  readonly scope?: Capability;
  /** Shown in the compact list of a command's help. */
  readonly short: string;
}

const collectUrl = serviceUrl();

/** -v, -vv: counted. */
const verbosity: OptionSpec<number> = {
  flags: '-v, --verbose',
  description: 'more on stderr: each HTTP request with timing (-vv: stack traces; also ATCLI_DEBUG=1)',
  repeatable: true,
  convert: (raw) => (Array.isArray(raw) ? raw.length : 0),
};

export const GLOBAL_OPTIONS = {
  json: { short: '--json', option: opt.flag('--json', 'machine output on stdout: one JSON document, or NDJSON for streams; errors as one JSON line on stderr') },
  quiet: { short: '-q', option: opt.flag('-q, --quiet', 'less on stderr: no progress, hints or notes (errors and warnings still print)', { env: 'ATCLI_QUIET' }) },
  verbose: { short: '-v', option: verbosity },
  color: { short: '--no-color', option: opt.negatable('--no-color', 'never colour output (also NO_COLOR; FORCE_COLOR forces it)') },
  input: { short: '--no-input', option: opt.negatable('--no-input', 'never prompt: a missing value is a usage error (implied when stdin is not a terminal, or CI is set)', { env: 'ATCLI_NO_INPUT' }) },
  version: { short: '-V', option: opt.flag('-V, --version', 'print the version (with --json: version, Node.js, platform)') },
  yes: { short: '-y', scope: 'yes', option: opt.flag('-y, --yes', 'answer yes to confirmations (commands that change something remote)') },
  dryRun: { short: '-n', scope: 'dryRun', option: opt.flag('-n, --dry-run', 'show what would change and change nothing (commands that change something)') },
  timeout: { short: '--timeout', scope: 'network', option: opt.parsed('--timeout <seconds>', 'network timeout per request, retries included (default 30; units ms, s, m, h)', duration(), { env: 'ATCLI_TIMEOUT', valueKind: 'none' }) },
  plc: { short: '--plc', scope: 'network', option: opt.parsed('--plc <url>', 'PLC directory (default https://plc.directory)', collectUrl, { env: 'ATCLI_PLC_URL', valueKind: 'none' }) },
  transferTimeout: { short: '--transfer-timeout', scope: 'network', option: opt.parsed('--transfer-timeout <duration>', 'longest a single download may take, however steadily it flows (default 2h)', duration(), { env: 'ATCLI_TRANSFER_TIMEOUT', valueKind: 'none' }) },
  minRate: { short: '--min-rate', scope: 'network', option: opt.parsed('--min-rate <bytes/s>', 'a download slower than this (measured while waiting for the server) is stopped (default 1024; 0 turns it off)', byteSize({ min: 0 }), { env: 'ATCLI_MIN_RATE', valueKind: 'none' }) },
  handleResolver: { short: '--handle-resolver', scope: 'network', option: opt.parsed('--handle-resolver <url>', 'XRPC service for com.atproto.identity.resolveHandle when DNS and HTTPS do not answer', collectUrl, { env: 'ATCLI_HANDLE_RESOLVER', valueKind: 'none' }) },
  handleResolverFirst: { short: '--handle-resolver-first', scope: 'network', option: opt.flag('--handle-resolver-first', 'ask --handle-resolver before DNS and HTTPS') },
  dnsServer: { short: '--dns-server', scope: 'network', option: opt.value('--dns-server <ip[:port]>', 'DNS server for _atproto / _lexicon TXT look-ups (comma-separated for several)', { env: 'ATCLI_DNS_SERVER', valueKind: 'none' }) },
  relay: { short: '--relay', scope: 'relay', option: opt.listParsed('--relay <url>', 'relay for firehose and relay queries (default wss://bsky.network; doctor checks each one given)', collectUrl, { env: 'ATCLI_RELAY_URL', valueKind: 'none' }) },
  profile: { short: '--profile', scope: 'auth', option: opt.value('--profile <name>', 'which stored login to use (default "default")', { env: 'ATCLI_PROFILE', valueKind: 'none' }) },
  dev: { short: '--dev', scope: 'network', option: opt.flag('--dev', 'development mode: allow http://, loopback and private addresses, .test handles, did:web:localhost%3APORT', { env: 'ATCLI_DEV' }) },
  connectTo: { short: '--connect-to', scope: 'network', option: opt.list('--connect-to <host:port:host2:port2>', 'connect to host2:port2 whenever a URL names host:port, like curl (the environment variable takes a comma-separated list)', { env: 'ATCLI_CONNECT_TO', valueKind: 'none' }) },
} as const satisfies Record<string, GlobalSpec>;

export type GlobalName = keyof typeof GLOBAL_OPTIONS;

/** The global settings a command runs with: flags, else environment, else defaults. */
export interface Globals {
  json: boolean;
  quiet: boolean;
  verbosity: number;
  color: boolean | undefined;
  noInput: boolean;
  version: boolean;
  yes: boolean;
  dryRun: boolean;
  timeoutMs: number;
  transferTimeoutMs: number | undefined;
  minBytesPerSecond: number | undefined;
  plcUrl: string;
  handleResolver: string | undefined;
  handleResolverFirst: boolean;
  dnsServers: string[] | undefined;
  relayUrl: string;
  /** Every relay given (--relay repeated, or ATCLI_RELAY_URL comma-separated); relayUrl is the last. */
  relays: string[];
  profile: string;
  dev: boolean;
  connectTo: string[];
}

export const DEFAULT_TIMEOUT_MS = 30_000;

function fromEnv<T>(env: IO['env'], name: string | undefined, parse: (text: string) => T): T | undefined {
  if (name === undefined) return undefined;
  const v = env[name];
  return v === undefined || v === '' ? undefined : parse(v);
}

/** Reads the global flags (raw commander values keyed by attribute name) and the environment. */
export function readGlobals(raw: Record<string, unknown>, env: IO['env']): Globals {
  const G = GLOBAL_OPTIONS;
  const val = <K extends GlobalName>(name: K): unknown => {
    const spec = G[name].option;
    return spec.convert(raw[name], spec.flags.replace(/^.*?(--[\w-]+).*$/, '$1'));
  };
  const asEnv = (name: GlobalName, text: string): unknown => {
    const spec = G[name].option;
    return spec.convert(spec.repeatable ? text.split(',') : text, spec.env ?? name);
  };
  const pick = <T>(name: GlobalName, fallback: T): T => (val(name) as T | undefined) ?? (fromEnv(env, G[name].option.env, (t) => asEnv(name, t) as T) ?? fallback);
  const connectTo = [...(val('connectTo') as string[]), ...((fromEnv(env, 'ATCLI_CONNECT_TO', (t) => asEnv('connectTo', t)) as string[] | undefined) ?? [])];
  const dns = pick<string | undefined>('dnsServer', undefined);
  const givenRelays = val('relay') as string[];
  const relays = givenRelays.length > 0 ? givenRelays : ((fromEnv(env, 'ATCLI_RELAY_URL', (t) => asEnv('relay', t)) as string[] | undefined) ?? ['wss://bsky.network']);
  return {
    json: val('json') as boolean,
    quiet: (val('quiet') as boolean) || envFlag(env, 'ATCLI_QUIET'),
    verbosity: (val('verbose') as number) + (envFlag(env, 'ATCLI_DEBUG') ? 2 : 0),
    color: raw.color === false ? false : undefined,
    noInput: raw.input === false || envFlag(env, 'ATCLI_NO_INPUT') || envFlag(env, 'CI'),
    version: val('version') as boolean,
    yes: val('yes') as boolean,
    dryRun: val('dryRun') as boolean,
    timeoutMs: pick('timeout', DEFAULT_TIMEOUT_MS),
    transferTimeoutMs: pick<number | undefined>('transferTimeout', undefined),
    minBytesPerSecond: pick<number | undefined>('minRate', undefined),
    plcUrl: pick('plc', 'https://plc.directory'),
    handleResolver: pick<string | undefined>('handleResolver', undefined),
    handleResolverFirst: val('handleResolverFirst') as boolean,
    dnsServers: dns === undefined ? undefined : dns.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    relayUrl: relays[relays.length - 1] as string,
    relays,
    profile: pick('profile', 'default'),
    dev: (val('dev') as boolean) || envFlag(env, 'ATCLI_DEV'),
    connectTo,
  };
}

/** Globals for reporting an error before the flags could be read (an invalid value). */
export function fallbackGlobals(argv: readonly string[], env: IO['env']): Pick<Globals, 'json' | 'quiet' | 'verbosity' | 'color'> {
  return {
    json: argv.includes('--json'),
    quiet: argv.includes('-q') || argv.includes('--quiet') || envFlag(env, 'ATCLI_QUIET'),
    verbosity: (argv.includes('-v') || argv.includes('--verbose') ? 1 : 0) + (envFlag(env, 'ATCLI_DEBUG') ? 2 : 0),
    color: argv.includes('--no-color') ? false : undefined,
  };
}

/** The value-taking global flags, to find the command words in argv before parsing. */
export const GLOBAL_VALUE_FLAGS: ReadonlySet<string> = new Set(
  Object.values(GLOBAL_OPTIONS as Record<string, GlobalSpec>)
    .filter((g) => /<.+>/.test(g.option.flags))
    .flatMap((g) => g.option.flags.split(/[ ,]+/).filter((f) => f.startsWith('-'))),
);

/** Refuses a global flag given on the command line to a command that cannot honour it. */
export function refuseUnusableGlobals(givenOnCommandLine: readonly GlobalName[], uses: readonly Capability[], commandPath: string): void {
  for (const name of givenOnCommandLine) {
    const spec: GlobalSpec = GLOBAL_OPTIONS[name];
    if (spec.scope === undefined || uses.includes(spec.scope)) continue;
    const flag = spec.option.flags.replace(/^.*?(--[\w-]+).*$/, '$1');
    throw usage('UnsupportedGlobalFlag', `${flag} has no effect on "atcli ${commandPath}", so it is refused rather than ignored`, {
      hint: `${SCOPE_REASON[spec.scope]}; run "atcli ${commandPath} --help" for what it accepts`,
    });
  }
}

const SCOPE_REASON: Record<Capability, string> = {
  network: 'this command makes no network requests',
  auth: 'this command does not use a stored login',
  relay: 'this command does not talk to a relay',
  dryRun: 'this command has no dry-run mode',
  yes: 'this command asks for no confirmation',
};
