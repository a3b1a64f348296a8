// What to do next, in CLI terms, for each error code core throws. Core states what is wrong in
// protocol terms; these tables add the flags and commands that fix it. Each area of commands keeps
// its own table here; a function receives the error and the command path ("repo verify").
import type { AtcliError } from '../../core/errors.js';
import { GENERAL_HINTS } from './general.js';

export type Hint = string | ((err: AtcliError, path: string) => string | undefined);
export type HintTable = Readonly<Record<string, Hint>>;

const TABLES: readonly HintTable[] = [GENERAL_HINTS];

export function hintFor(err: AtcliError, path: string): string | undefined {
  for (const table of TABLES) {
    const hint = table[err.code];
    if (hint === undefined) continue;
    const text = typeof hint === 'function' ? hint(err, path) : hint;
    if (text !== undefined) return text;
  }
  return err.hint;
}
