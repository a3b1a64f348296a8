// Builders for options and arguments, and the one parser of each kind of value (integers,
// durations, lists, identifiers, URLs). A parser turns text into a typed value or throws a
// usage error (exit 2) that names the flag.
import { usage } from '../core/errors.js';
import { checkAtUri } from '../core/syntax/aturi.js';
import { checkDid } from '../core/syntax/did.js';
import { checkHandle } from '../core/syntax/handle.js';
import { checkNsid } from '../core/syntax/nsid.js';
import { checkAtIdentifier } from '../core/syntax/atidentifier.js';
import { checkServiceUrl } from '../core/net/url-policy.js';
import type { ArgSpec, OptionSpec, ValueKind } from './spec.js';

/** The longest timer Node can hold (setTimeout overflows past 2^31 - 1 ms and fires at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export type Parser<T> = (text: string, flag: string) => T;

interface Extra {
  env?: string;
  valueKind?: ValueKind;
  hidden?: boolean;
  defaultText?: string;
}

function textOf(raw: unknown): string | undefined {
  return typeof raw === 'string' ? raw : undefined;
}

const keep: Parser<string> = (text) => text;

export const opt = {
  /** A switch: true when given. */
  flag(flags: string, description: string, extra: Extra = {}): OptionSpec<boolean> {
    return { flags, description, ...extra, convert: (raw) => raw === true };
  },

  /** "--no-verify": true unless the flag is given. */
  negatable(flags: string, description: string, extra: Extra = {}): OptionSpec<boolean> {
    return { flags, description, ...extra, convert: (raw) => raw !== false };
  },

  /** An optional text value. */
  value(flags: string, description: string, extra: Extra = {}): OptionSpec<string | undefined> {
    return opt.parsed(flags, description, keep, extra);
  },

  /** An optional value, parsed when given. */
  parsed<T>(flags: string, description: string, parse: Parser<T>, extra: Extra = {}): OptionSpec<T | undefined> {
    return { flags, description, ...extra, convert: (raw, flag) => (textOf(raw) === undefined ? undefined : parse(raw as string, flag)) };
  },

  /** A value with a default used when the flag is absent. */
  withDefault<T>(flags: string, description: string, fallback: T, parse: Parser<T>, extra: Extra = {}): OptionSpec<T> {
    return {
      flags,
      description,
      defaultText: String(fallback),
      ...extra,
      convert: (raw, flag) => (textOf(raw) === undefined ? fallback : parse(raw as string, flag)),
    };
  },

  /** A text value that must be given. */
  required(flags: string, description: string, extra: Extra = {}): OptionSpec<string> {
    return opt.requiredParsed(flags, description, keep, extra);
  },

  /** A value that must be given, parsed. */
  requiredParsed<T>(flags: string, description: string, parse: Parser<T>, extra: Extra = {}): OptionSpec<T> {
    return {
      flags,
      description,
      required: true,
      ...extra,
      convert: (raw, flag) => {
        const text = textOf(raw);
        if (text === undefined) throw usage('MissingOption', `${flag} is required`);
        return parse(text, flag);
      },
    };
  },

  /** Repeatable text values (`-c a -c b`, and with `commas` also `-c a,b`). Empty when absent. */
  list(flags: string, description: string, extra: Extra & { commas?: boolean } = {}): OptionSpec<string[]> {
    return opt.listParsed(flags, description, keep, extra);
  },

  /** Repeatable values, each parsed. */
  listParsed<T>(flags: string, description: string, parse: Parser<T>, extra: Extra & { commas?: boolean } = {}): OptionSpec<T[]> {
    const { commas, ...rest } = extra;
    return {
      flags,
      description,
      repeatable: true,
      ...rest,
      convert: (raw, flag) => {
        const values = Array.isArray(raw) ? (raw as string[]) : [];
        const split = commas ? values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '') : values;
        return split.map((v) => parse(v, flag));
      },
    };
  },

  /** One of a fixed set. */
  choice<const C extends readonly string[]>(flags: string, description: string, choices: C, extra: Extra = {}): OptionSpec<C[number] | undefined> {
    return { flags, description, choices, ...extra, convert: (raw) => textOf(raw) as C[number] | undefined };
  },

  /** One of a fixed set, with a default. */
  choiceWithDefault<const C extends readonly string[]>(flags: string, description: string, choices: C, fallback: C[number], extra: Extra = {}): OptionSpec<C[number]> {
    return { flags, description, choices, defaultText: fallback, ...extra, convert: (raw) => (textOf(raw) ?? fallback) as C[number] };
  },
};

interface ArgExtra {
  valueKind?: ValueKind;
}

export const arg = {
  required(name: string, description: string, extra: ArgExtra = {}): ArgSpec<string> {
    return arg.requiredParsed(name, description, keep, extra);
  },
  requiredParsed<T>(name: string, description: string, parse: Parser<T>, extra: ArgExtra = {}): ArgSpec<T> {
    return { name, description, required: true, variadic: false, ...extra, convert: (raw, n) => parse(String(raw), n) };
  },
  optional(name: string, description: string, extra: ArgExtra = {}): ArgSpec<string | undefined> {
    return arg.optionalParsed(name, description, keep, extra);
  },
  optionalParsed<T>(name: string, description: string, parse: Parser<T>, extra: ArgExtra = {}): ArgSpec<T | undefined> {
    return { name, description, required: false, variadic: false, ...extra, convert: (raw, n) => (raw === undefined ? undefined : parse(String(raw), n)) };
  },
  /** One of a fixed set (commander refuses anything else with exit 2). */
  choice<const C extends readonly string[]>(name: string, description: string, choices: C): ArgSpec<C[number]> {
    return { name, description, required: true, variadic: false, choices, convert: (raw) => String(raw) as C[number] };
  },
  /** Several values; `required` means at least one. */
  variadic(name: string, description: string, opts: { required?: boolean } & ArgExtra = {}): ArgSpec<string[]> {
    return arg.variadicParsed(name, description, keep, opts);
  },
  variadicParsed<T>(name: string, description: string, parse: Parser<T>, opts: { required?: boolean } & ArgExtra = {}): ArgSpec<T[]> {
    const { required, ...extra } = opts;
    return {
      name,
      description,
      required: required === true,
      variadic: true,
      ...extra,
      convert: (raw, n) => (Array.isArray(raw) ? (raw as unknown[]) : []).map((v) => parse(String(v), n)),
    };
  },
};

// ------------------------------------------------------------------------------------------
// value parsers

/** A whole number within bounds. */
export function integer(bounds: { min?: number; max?: number } = {}): Parser<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = bounds;
  return (text, flag) => {
    const n = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = bounds.max !== undefined ? ` from ${min} to ${max}` : bounds.min !== undefined ? ` of at least ${min}` : '';
      throw usage('InvalidNumber', `${flag} must be a whole number${range}, got "${text}"`);
    }
    return n;
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration in seconds ("30", "1.5") or with a unit ("500ms", "2m", "1h"); returns milliseconds. */
export function duration(bounds: { minMs?: number; maxMs?: number } = {}): Parser<number> {
  const { minMs = 1, maxMs = MAX_TIMER_MS } = bounds;
  return (text, flag) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
    const ms = m ? Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] as number)) : Number.NaN;
    if (!Number.isFinite(ms) || ms < minMs) {
      throw usage('InvalidDuration', `${flag} must be a positive duration in seconds (or with a unit: 500ms, 30s, 5m, 1h), got "${text}"`);
    }
    if (ms > maxMs) throw usage('InvalidDuration', `${flag} is too long: at most ${Math.floor(maxMs / 1000)} seconds, got "${text}"`);
    return ms;
  };
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1000 ** 4, tib: 1024 ** 4 };

/** A size in bytes: "1048576", "512MiB", "8GiB", "1.5GB". */
export function byteSize(bounds: { min?: number } = {}): Parser<number> {
  const min = bounds.min ?? 1;
  return (text, flag) => {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
    const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
    const n = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) throw usage('InvalidSize', `${flag} must be a size in bytes of at least ${min} (units KiB, MiB, GiB, TiB or KB, MB, GB, TB), got "${text}"`);
    return n;
  };
}

/**
 * A service URL (http(s), or ws(s) where allowed), checked as written by core's URL policy
 * (docs/network-policy.md): ambiguous hosts and user:password@ are refused here; whether a
 * loopback or private address may be reached is decided when it is connected to.
 */
export function serviceUrl(protocols: readonly string[] = ['http:', 'https:', 'ws:', 'wss:']): Parser<string> {
  return (text, flag) => {
    const schemes = protocols.map((p) => p.replace(/:$/, ''));
    checkServiceUrl(text, { dev: true, schemes, shape: 'base' }, flag);
    return text.replace(/\/+$/, '');
  };
}

function identifier(kind: string, check: (s: string) => string | null, example: string): Parser<string> {
  return (text, flag) => {
    const reason = check(text);
    if (reason !== null) throw usage('InvalidIdentifier', `${flag}: "${text.slice(0, 200)}" is not a valid ${kind}: ${reason}`, { hint: `for example ${example}` });
    return text;
  };
}

export const did = identifier('DID', checkDid, 'did:plc:ewvi7nxzyoun6zhxrhs64oiz');
export const handle = identifier('handle', checkHandle, 'alice.example.com');
export const nsid = identifier('NSID', checkNsid, 'app.bsky.feed.post');
export const atUri = identifier('AT-URI', checkAtUri, 'at://alice.example.com/app.bsky.feed.post/3k2…');
/** A handle or DID (an account). */
export const account = identifier('handle or DID', checkAtIdentifier, 'alice.example.com or did:plc:…');
