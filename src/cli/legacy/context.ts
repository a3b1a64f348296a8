// Everything a command needs from the outside world, decided once from flags and environment:
// streams, colour, prompting, network configuration, config directory. Commands receive it;
// core receives only the plain configuration objects built here.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { usage } from '../../core/errors.js';
import type { HttpConfig } from '../../core/net/http.js';
import type { IdentityConfig } from '../../core/identity/index.js';

declare const __ATCLI_VERSION__: string | undefined;
export const VERSION: string = typeof __ATCLI_VERSION__ === 'string' ? __ATCLI_VERSION__ : '0.0.0-dev';

export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: number;
  color?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  timeout?: string;
  input?: boolean;
  plc?: string;
  handleResolver?: string;
  handleResolverFirst?: boolean;
  dnsServer?: string;
  relay?: string;
  profile?: string;
  dev?: boolean;
  connectTo?: string[];
}

export interface Context {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbosity: number;
  readonly yes: boolean;
  readonly dryRun: boolean;
  readonly canPrompt: boolean;
  readonly stdoutColor: boolean;
  readonly stderrColor: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly plcUrl: string;
  readonly relayUrl: string;
  readonly handleResolver: string | undefined;
  readonly handleResolverFirst: boolean;
  readonly dnsServers: string[] | undefined;
  readonly profile: string;
  readonly configDir: string;
  readonly dev: boolean;
  readonly connectTo: string[];
  /** A line of progress or information on stderr (suppressed by --quiet). */
  info(line: string): void;
  /** A warning on stderr (shown even with --quiet). */
  warn(line: string): void;
  /** A -v log line on stderr. */
  debug(line: string): void;
  httpConfig(): Promise<HttpConfig>;
  identityConfig(): Promise<IdentityConfig>;
  /** Releases network connections so the process can exit at once. */
  close(): Promise<void>;
}

const ENV_TRUE = (v: string | undefined): boolean => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';

export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR.toLowerCase() !== 'false';
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

function parseTimeout(value: string | undefined): number {
  if (value === undefined || value === '') return 30_000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw usage('InvalidTimeout', `--timeout must be a positive number of seconds, got "${value}"`);
  }
  return Math.round(seconds * 1000);
}

function checkServiceUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage('InvalidUrl', `${flag} must be a URL, got "${value}"`, { hint: 'for example https://plc.directory' });
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw usage('InvalidUrl', `${flag} must be an http(s) or ws(s) URL, got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}

export function defaultConfigDir(env: NodeJS.ProcessEnv): string {
  if (env.ATCLI_CONFIG_DIR) return env.ATCLI_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'atcli');
  return join(homedir(), '.config', 'atcli');
}

export function createContext(opts: GlobalOptions, signal: AbortSignal, env: NodeJS.ProcessEnv = process.env): Context {
  const json = opts.json === true;
  const quiet = opts.quiet === true || ENV_TRUE(env.ATCLI_QUIET);
  const verbosity = (opts.verbose ?? 0) + (ENV_TRUE(env.ATCLI_DEBUG) ? 2 : 0);
  const noInput = opts.input === false || ENV_TRUE(env.CI) || ENV_TRUE(env.ATCLI_NO_INPUT);
  const stdoutIsTTY = process.stdout.isTTY === true;
  const stderrIsTTY = process.stderr.isTTY === true;
  const canPrompt = !noInput && process.stdin.isTTY === true && stderrIsTTY;
  const stderrColor = colorEnabled(process.stderr, env, opts.color);
  const dnsSpec = opts.dnsServer ?? env.ATCLI_DNS_SERVER;
  const handleResolver = opts.handleResolver ?? env.ATCLI_HANDLE_RESOLVER;
  const connectTo = [...(opts.connectTo ?? []), ...(env.ATCLI_CONNECT_TO ? env.ATCLI_CONNECT_TO.split(',') : [])]
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const dev = opts.dev === true || ENV_TRUE(env.ATCLI_DEV);
  const timeoutMs = parseTimeout(opts.timeout ?? env.ATCLI_TIMEOUT);
  const profile = opts.profile ?? env.ATCLI_PROFILE ?? 'default';
  const write = (line: string): void => {
    process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
  };
  let httpConfigPromise: Promise<HttpConfig> | undefined;
  const ctx: Context = {
    json,
    quiet,
    verbosity,
    yes: opts.yes === true,
    dryRun: opts.dryRun === true,
    canPrompt,
    stdoutColor: colorEnabled(process.stdout, env, opts.color),
    stderrColor,
    stdoutIsTTY,
    stderrIsTTY,
    env,
    signal,
    timeoutMs,
    plcUrl: checkServiceUrl('--plc', opts.plc ?? env.ATCLI_PLC_URL ?? 'https://plc.directory'),
    relayUrl: checkServiceUrl('--relay', opts.relay ?? env.ATCLI_RELAY_URL ?? 'wss://bsky.network'),
    handleResolver: handleResolver ? checkServiceUrl('--handle-resolver', handleResolver) : undefined,
    handleResolverFirst: opts.handleResolverFirst === true,
    dnsServers: dnsSpec ? dnsSpec.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined,
    profile,
    configDir: defaultConfigDir(env),
    dev,
    connectTo,
    info(line) {
      if (!quiet) write(line);
    },
    warn(line) {
      write(`${stderrColor ? '\u001b[33mwarning:\u001b[39m' : 'warning:'} ${line}`);
    },
    debug(line) {
      if (verbosity > 0) write(stderrColor ? `\u001b[2m${line}\u001b[22m` : line);
    },
    httpConfig() {
      httpConfigPromise ??= (async () => {
        const { parseConnectTo } = await import('../../core/net/http.js');
        return {
          timeoutMs,
          userAgent: `atcli/${VERSION}`,
          allowPrivateNetwork: dev,
          connectTo: connectTo.map((spec) => parseConnectTo(spec)),
          log: verbosity > 0 ? (line: string) => ctx.debug(line) : undefined,
          signal,
        } satisfies HttpConfig;
      })();
      return httpConfigPromise;
    },
    async identityConfig() {
      return {
        http: await ctx.httpConfig(),
        plcUrl: ctx.plcUrl,
        dnsServers: ctx.dnsServers,
        handleResolver: ctx.handleResolver,
        handleResolverFirst: ctx.handleResolverFirst,
        dev,
      } satisfies IdentityConfig;
    },
    async close() {
      if (httpConfigPromise === undefined) return;
      const { closeHttp } = await import('../../core/net/http.js');
      await closeHttp();
    },
  };
  return ctx;
}
