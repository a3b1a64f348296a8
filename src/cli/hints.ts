// What to do next, in CLI terms, for each error code core throws. Core states what is wrong in
// protocol terms; this table adds the flags and commands that fix it. A function receives the
// command path ("repo verify") for hints that name the command.
import type { AtcliError } from '../core/errors.js';

type Hint = string | ((err: AtcliError, path: string) => string | undefined);

const HINTS: Record<string, Hint> = {
  NotLoggedIn: (e) => e.hint,
  HandleNotFound: 'check the spelling; "atcli resolve <handle> -v" shows each method tried',
  DidNotFound: 'check the DID; for a local directory pass --plc <url>',
  HostNotFound: 'check the host name and your network; with a local test network pass --dev and --connect-to',
  ConnectionRefused: 'is the server running? with a local server pass --dev',
  PrivateAddress: 'loopback and private addresses are refused unless --dev is given',
  Timeout: 'the server did not answer in time; raise --timeout or try again later',
  FileExists: 'choose another path with -o, or pass --force to replace it',
  FileNotFound: 'check the path',
  InputRequired: (e) => e.hint,
};

export function hintFor(err: AtcliError, path: string): string | undefined {
  const hint = HINTS[err.code];
  const cli = typeof hint === 'function' ? hint(err, path) : hint;
  return cli ?? err.hint;
}
