import type { HintTable } from './index.js';

const LOGIN = 'atcli account login';

/** Hints for logins, sessions, account administration, PDS-managed PLC updates and migration. */
export const ACCOUNT_HINTS: HintTable = {
  SessionExpired: `log in again: ${LOGIN}`,
  SessionFileInvalid: `log in again to replace it: ${LOGIN}`,
  LoginFailed: 'check the handle or e-mail and the password (ATCLI_PASSWORD or the prompt)',
  AuthFactorTokenRequired: `set ATCLI_AUTH_FACTOR_TOKEN to the code from the e-mail and run "${LOGIN}" again`,
  InvalidAuthFactorToken: 'set ATCLI_AUTH_FACTOR_TOKEN to the latest code from the e-mail; codes expire after a few minutes',
  AppPasswordSession: `log in with the account password: ${LOGIN} (or ATCLI_IDENTIFIER + ATCLI_PASSWORD)`,
  AppPasswordNotAllowed: `log in with the account password, not an app password: ${LOGIN}`,
  ServiceAuthRequired:
    'get one from the current PDS with "atcli account service-auth --aud <new PDS DID> --lxm com.atproto.server.createAccount" and pass it with --service-auth',
  InviteCodeRequired: 'pass --invite-code <code>',
  HandleUnavailable: (_e, path) => `choose another with ${path === 'account migrate' ? '--new-handle' : '--handle'}`,
  InvalidHandle: (_e, path) => (path === 'account migrate' ? 'choose one with --new-handle' : undefined),
  HandleNotOnNewHost: (e) => {
    const domains = e.details?.availableUserDomains;
    return `choose a handle on the new host with --new-handle${Array.isArray(domains) && domains.length > 0 ? ` (it offers ${domains.join(', ')})` : ''}`;
  },
  EmailRequired: 'pass --new-email <address>',
  InvalidExpiry: (e) => (e.message.includes('one method') ? 'restrict it to one method with --lxm <nsid>, or shorten --exp' : '--exp takes 1 to 3600 seconds'),
  PlcTokenRejected: (_e, path) =>
    path === 'account plc sign'
      ? 'request a new code with "atcli account plc request-token" and use the one in the newest e-mail (codes expire after about 15 minutes and work once)'
      : undefined,
  StalePrev: (_e, path) => (path.startsWith('account plc') ? 'have it signed again on the current state: atcli account plc sign <op.json>' : undefined),
  SubmitNotConfirmed: (e) => `check with: atcli plc history ${typeof e.details?.did === 'string' ? e.details.did : '<did>'}`,
  WrongAccount: `log in to the account being migrated ("${LOGIN}"), or pick its stored login with --profile`,
  OldAccountInactive: 'reactivate it first (atcli account activate), or migrate from where it is active',
  NotPdsManaged: 'update a self-managed identity yourself: atcli plc update … | atcli plc sign … | atcli plc submit …',
  AlreadyOnNewHost: 'it looks migrated already: check with "atcli resolve <did>" and "atcli account status <did>"',
  NewHostUnreachable: 'check the --to URL, or try again when the host is back',
  MissingTarget: 'give the new host with --to <pds-url>, or continue a migration with --resume',
  TargetMismatch: 'resume without --to, or move the state file away to start a new migration',
  HandleMismatch: 'resume without --new-handle',
  RecoveryKeyMismatch: 'resume without --recovery-key',
  NoMigrationState: 'start one with "atcli account migrate --to <pds-url>", or name the state file with --state-file',
  NewPasswordRejected: 'give the password chosen when the migration started (ATCLI_NEW_PASSWORD or the prompt)',
  InvalidRecoveryKey: 'give the PUBLIC half of your key as did:key:z… (atcli key generate --recovery -o <file> prints it)',
};
