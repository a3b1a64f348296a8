// Progress on stderr: a redrawn bar on a terminal, plain step lines elsewhere (CI logs).
// Core reports numbers through callbacks; only this file draws.
import type { Context } from './context.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export interface ProgressBar {
  update(done: number, total?: number | null, note?: string): void;
  /** Clears the bar; prints `line` (if any) as the step's final status. */
  done(line?: string): void;
}

const REDRAW_MS = 100;
const PLAIN_EVERY_MS = 10_000;

/** A byte or count progress bar. `unit: 'bytes'` formats sizes. */
export function progressBar(ctx: Context, label: string, unit: 'bytes' | 'items' = 'bytes'): ProgressBar {
  const fmt = (n: number): string => (unit === 'bytes' ? formatBytes(n) : String(n));
  const started = Date.now();
  const interactive = ctx.stderrIsTTY && !ctx.quiet && ctx.verbosity === 0;
  let lastDraw = 0;
  let drawn = false;
  if (!interactive && !ctx.quiet) ctx.info(`${label}…`);
  return {
    update(done, total, note) {
      const now = Date.now();
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
        const text = `${label} ${bar}${fmt(done)}${total ? `/${fmt(total)}` : ''}${unit === 'bytes' ? ` ${formatBytes(rate)}/s` : ''}${note ? ` ${note}` : ''}`;
        process.stderr.write(`\r\u001b[2K${text.slice(0, (process.stderr.columns ?? 100) - 1)}`);
        drawn = true;
      } else if (!ctx.quiet && ctx.verbosity > 0 && now - lastDraw >= PLAIN_EVERY_MS) {
        lastDraw = now;
        ctx.info(`${label}: ${fmt(done)}${total ? ` of ${fmt(total)}` : ''}${note ? ` ${note}` : ''}`);
      }
    },
    done(line) {
      if (drawn) process.stderr.write('\r\u001b[2K');
      if (line) ctx.info(line);
    },
  };
}
