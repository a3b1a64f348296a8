// Everything a command says on stderr: notes, warnings, hints, debug lines, and one transient line
// (a progress bar or a spinner) on a terminal. Any other line first clears the transient line and
// redraws it after, so messages never land on top of a bar. Off a terminal, long work prints plain
// step lines instead (CI logs).
import { Chalk, type ChalkInstance } from 'chalk';
import type { Ora } from 'ora';
import type { IO } from '../io.js';
import { formatBytes } from './text.js';

export interface ProgressBar {
  update(done: number, total?: number | null, note?: string): void;
  /** Clears the bar; prints `line` (if any) as the step's final status. */
  done(line?: string): void;
}

export interface Spinner {
  text(label: string): void;
  /** Stops and clears; prints `line` (if any). */
  stop(line?: string): void;
}

interface Transient {
  clear(): void;
  redraw(): void;
}

const REDRAW_MS = 100;
const PLAIN_EVERY_MS = 10_000;
const CLEAR_LINE = '\r\u001b[2K';

export class StderrWriter {
  readonly color: ChalkInstance;
  private transient: Transient | undefined;

  constructor(
    private readonly io: IO,
    colorOn: boolean,
    readonly quiet: boolean,
    readonly verbosity: number,
  ) {
    this.color = new Chalk({ level: colorOn ? 1 : 0 });
  }

  /** Bars and spinners are drawn only on a terminal, and not with -q or -v (log lines would interleave). */
  get interactive(): boolean {
    return this.io.stderrIsTTY && !this.quiet && this.verbosity === 0;
  }

  /** A line that is always shown (errors, warnings). */
  line(text: string): void {
    this.transient?.clear();
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    this.transient?.redraw();
  }

  info(text: string): void {
    if (!this.quiet) this.line(text);
  }

  warn(text: string): void {
    this.line(`${this.color.yellow('warning:')} ${text}`);
  }

  hint(text: string): void {
    if (!this.quiet) this.line(`${this.color.dim('hint:')} ${text}`);
  }

  debug(text: string): void {
    if (this.verbosity > 0) this.line(this.color.dim(text));
  }

  private draw(text: string): void {
    this.io.stderr.write(`${CLEAR_LINE}${text.slice(0, Math.max(10, (this.io.stderrColumns ?? 100) - 1))}`);
  }

  /** A byte or count progress bar. */
  progress(label: string, unit: 'bytes' | 'items' = 'bytes'): ProgressBar {
    const fmt = (n: number): string => (unit === 'bytes' ? formatBytes(n) : n.toLocaleString('en-US'));
    const started = this.io.clock.now();
    const interactive = this.interactive;
    let last = '';
    let lastDraw = 0;
    let shown = false;
    const transient: Transient = {
      clear: () => {
        if (shown) this.io.stderr.write(CLEAR_LINE);
      },
      redraw: () => {
        if (shown) this.draw(last);
      },
    };
    if (interactive) this.transient = transient;
    else this.info(`${label}…`);
    return {
      update: (done, total, note) => {
        const now = this.io.clock.now();
        if (interactive) {
          if (now - lastDraw < REDRAW_MS) return;
          lastDraw = now;
          const rate = done / Math.max(0.001, (now - started) / 1000);
          const width = 24;
          let bar = '';
          if (total) {
            const filled = Math.min(width, Math.round((done / total) * width));
            bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.min(100, Math.floor((done / total) * 100))}% `;
          }
          last = `${label} ${bar}${fmt(done)}${total ? `/${fmt(total)}` : ''}${unit === 'bytes' ? ` ${formatBytes(rate)}/s` : ''}${note ? ` ${note}` : ''}`;
          shown = true;
          this.draw(last);
        } else if (this.verbosity > 0 && now - lastDraw >= PLAIN_EVERY_MS) {
          lastDraw = now;
          this.info(`${label}: ${fmt(done)}${total ? ` of ${fmt(total)}` : ''}${note ? ` ${note}` : ''}`);
        }
      },
      done: (line) => {
        transient.clear();
        shown = false;
        if (this.transient === transient) this.transient = undefined;
        if (line) this.info(line);
      },
    };
  }

  /** A spinner for a wait of unknown length (ora, loaded only when drawn); a plain line elsewhere. */
  spinner(label: string): Spinner {
    if (!this.interactive) {
      this.info(`${label}…`);
      return { text: () => {}, stop: (line) => line && this.info(line) };
    }
    let ora: Ora | undefined;
    let stopped = false;
    let current = label;
    const transient: Transient = { clear: () => ora?.clear(), redraw: () => ora?.render() };
    this.transient = transient;
    void import('ora').then(({ default: create }) => {
      if (stopped) return;
      ora = create({ text: current, stream: this.io.stderr as NodeJS.WritableStream, discardStdin: false, isEnabled: true, color: 'cyan' }).start();
    });
    return {
      text: (next) => {
        current = next;
        if (ora) ora.text = next;
      },
      stop: (line) => {
        stopped = true;
        ora?.stop();
        if (this.transient === transient) this.transient = undefined;
        if (line) this.info(line);
      },
    };
  }
}
