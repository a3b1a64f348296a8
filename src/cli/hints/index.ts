// What to do next, in CLI terms, for each error code core throws. Core states what is wrong in
// protocol terms; these tables add the flags and commands that fix it. Each area of commands keeps
// its own table here; a function receives the error and the command path ("repo verify").
import { AtcliError } from '../../core/errors.js';
import { ACCOUNT_HINTS } from './account.js';
import { BLOB_HINTS } from './blob.js';
import { GENERAL_HINTS } from './general.js';
import { NETWORK_HINTS } from './network.js';
import { XRPC_HINTS } from './xrpc.js';

export type Hint = string | ((err: AtcliError, path: string) => string | undefined);
export type HintTable = Readonly<Record<string, Hint>>;

const TABLES: readonly HintTable[] = [GENERAL_HINTS, ACCOUNT_HINTS, BLOB_HINTS, XRPC_HINTS, NETWORK_HINTS];

/** Errors whose hint a command has already written in full: the tables are not consulted. */
const COMPLETE = new WeakSet<AtcliError>();

/** The same error with a hint the command composed itself (for example with the command that resumes). */
export function withCompleteHint(err: AtcliError, hint: string): AtcliError {
  const out = new AtcliError(err.kind, err.code, err.message, { hint, ...(err.details ? { details: err.details } : {}), cause: err });
  COMPLETE.add(out);
  return out;
}

export function hintFor(err: AtcliError, path: string): string | undefined {
  if (COMPLETE.has(err)) return err.hint;
  for (const table of TABLES) {
    const hint = table[err.code];
    if (hint === undefined) continue;
    const text = typeof hint === 'function' ? hint(err, path) : hint;
    if (text !== undefined) return text;
  }
  return err.hint;
}
