// Results on stdout: the result object as JSON with --json, else its human rendering; NDJSON
// lines for streams; tables and key/value blocks. Messages go through StderrWriter.
import { Chalk, type ChalkInstance } from 'chalk';
import { write, type IO } from '../io.js';
import { renderTable } from './table.js';
import type { StderrWriter } from './stderr.js';

/** BigInt is not JSON; atproto integers beyond 2^53 are printed as strings. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export type FieldValue = string | number | boolean | undefined | null;

export class Output {
  /** Colour for stdout. */
  readonly c: ChalkInstance;

  constructor(
    private readonly io: IO,
    readonly json: boolean,
    colorOn: boolean,
    /** Messages on stderr: notes, warnings, hints, progress. */
    readonly err: StderrWriter,
  ) {
    this.c = new Chalk({ level: colorOn ? 1 : 0 });
  }

  get tty(): boolean {
    return this.io.stdoutIsTTY;
  }

  /** Raw text on stdout, with back-pressure. */
  text(text: string): Promise<void> {
    return write(this.io.stdout, text);
  }

  /** Raw bytes on stdout (a blob, a response body), resolved once written. */
  bytes(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.io.stdout.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** The command's result: pretty JSON with --json, else the human rendering (if any). */
  async result<T>(value: T, human: (value: T) => string | undefined | Promise<string | undefined>): Promise<void> {
    if (this.json) return this.text(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
    const text = await human(value);
    if (text !== undefined && text !== '') await this.text(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** One NDJSON line (streams and long listings). */
  ndjson(value: unknown): Promise<void> {
    return this.text(`${JSON.stringify(value, jsonReplacer)}\n`);
  }

  /** A listing: aligned with a header on a terminal, tab-separated when piped. */
  table(rows: readonly (readonly string[])[], header?: readonly string[]): Promise<string> {
    return renderTable(rows, { tty: this.tty, ...(header ? { header } : {}), bold: (s) => this.c.bold(s) });
  }

  /** A key/value block: "did      did:plc:…". Empty values are left out. */
  fields(entries: ReadonlyArray<readonly [string, FieldValue]>): string {
    const shown = entries.filter(([, v]) => v !== undefined && v !== null);
    const width = Math.max(0, ...shown.map(([k]) => k.length));
    return shown.map(([k, v]) => `${this.c.dim(k.padEnd(width))}  ${String(v)}`).join('\n');
  }

  /** ✓ / ✗ / ! / ? / - marks. */
  mark(status: 'ok' | 'fail' | 'warn' | 'unchecked' | 'skipped'): string {
    if (status === 'skipped') return this.c.dim('-');
    return status === 'ok' ? this.c.green('✓') : status === 'fail' ? this.c.red('✗') : status === 'warn' ? this.c.yellow('!') : this.c.yellow('?');
  }
}
