/**
 * Small helpers shared by the identity modules.
 */
import { AtcliError } from '../errors.js';
import { checkDid, checkHandle } from '../syntax/index.js';

/** True when `s` is syntactically a handle; no TLD policy. */
export function isHandleSyntax(s: string): boolean {
  return checkHandle(s) === null;
}

/** True when `s` is syntactically a DID. */
export function isDidSyntax(s: string): boolean {
  return checkDid(s) === null;
}

/** Quote untrusted text for a message: JSON-escaped, control characters visible, cut at `max`. */
export function quote(text: string, max = 60): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

/** Same error with `prefix: ` in front of the message (kind, code, hint, details kept). */
export function withContext(err: unknown, prefix: string): unknown {
  if (!(err instanceof AtcliError)) return err;
  if (err.message.startsWith(prefix)) return err;
  const opts: { hint?: string; details?: Record<string, unknown>; cause: unknown } = { cause: err };
  if (err.hint !== undefined) opts.hint = err.hint;
  if (err.details !== undefined) opts.details = err.details;
  return new AtcliError(err.kind, err.code, `${prefix}: ${err.message}`, opts);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '[::1]' || h === '::1') return true;
  return /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(h) && h.split('.').every((p) => Number(p) <= 255);
}
