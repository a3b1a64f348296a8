import type { AtcliError, ErrorCode } from '../../errors.js';

export interface PreflightCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** A warning does not stop the run. */
  level?: 'warning';
  /** A failed check: the error code and what to do about it. */
  code?: ErrorCode;
  hint?: string;
}

/** The checks of a preflight: each passes, warns, or fails (the first failure is kept to throw). */
export class Checklist {
  readonly checks: PreflightCheck[] = [];
  readonly warnings: string[] = [];
  firstError: AtcliError | undefined;

  readonly pass = (name: string, detail: string): void => {
    this.checks.push({ name, ok: true, detail });
  };

  readonly warn = (name: string, detail: string): void => {
    this.checks.push({ name, ok: false, detail, level: 'warning' });
    this.warnings.push(detail);
  };

  readonly fail = (name: string, err: AtcliError): void => {
    this.checks.push({ name, ok: false, detail: err.message, code: err.code, ...(err.hint !== undefined ? { hint: err.hint } : {}) });
    this.firstError ??= err;
  };
}
