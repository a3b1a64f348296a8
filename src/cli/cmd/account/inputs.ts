// Inputs shared by the account commands: the new account's password and a recovery key.
import { usage } from '../../../core/errors.js';
import type { Prompts } from '../../context.js';
import { secretFrom } from '../../inputs.js';
import type { IO } from '../../io.js';

export const NEW_PASSWORD_ENV = 'ATCLI_NEW_PASSWORD';
export const PLC_TOKEN_ENV = 'ATCLI_PLC_TOKEN';

/** The new account's password: ATCLI_NEW_PASSWORD, else a hidden prompt (asked twice when creating). */
export async function newAccountPassword(io: IO, prompt: Prompts, what: string, confirmTwice: boolean): Promise<string> {
  const fromEnv = io.env[NEW_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const first = await secretFrom(io, prompt, NEW_PASSWORD_ENV, `Password for ${what}`);
  if (confirmTwice && (await prompt.secret('Repeat the password', NEW_PASSWORD_ENV)) !== first) throw usage('PasswordMismatch', 'the two passwords differ');
  return first;
}

/** A rotation key the user holds: the public did:key (p256 or k256). */
export async function checkRecoveryKey(key: string | undefined): Promise<void> {
  if (key === undefined) return;
  const { parseDidKey } = await import('../../../core/crypto/index.js');
  try {
    parseDidKey(key);
  } catch {
    throw usage('InvalidRecoveryKey', '--recovery-key must be a p256 or k256 did:key (the PUBLIC key)', { hint: 'make one with: atcli key generate; keep the private key safe and offline' });
  }
}
