import { Option, type Command } from 'commander';
import { examples, type Act } from '../program.js';

export function registerAccountCommands(account: Command, act: Act): void {
  account
    .command('login')
    .description('log in to a PDS; stores tokens (never the password) in a 0600 file under $ATCLI_CONFIG_DIR')
    .option('-u, --identifier <id>', 'handle, DID or e-mail (env ATCLI_IDENTIFIER; prompted when missing)')
    .option('--pds <url>', 'PDS URL (default: resolved from the identifier)')
    .addHelpText(
      'after',
      `${examples(['atcli account login -u alice.example.com', 'ATCLI_PASSWORD=… atcli account login -u alice.example.com --no-input', 'atcli --profile work account login -u alice.work.example'])}
The password comes from ATCLI_PASSWORD or a hidden prompt; never from a flag. An e-mail 2FA code comes from ATCLI_AUTH_FACTOR_TOKEN or a prompt.
Scripts can skip login entirely: ATCLI_IDENTIFIER + ATCLI_PASSWORD give a session that is never written to disk.`,
    )
    .action(act(async () => (await import('../commands/account.js')).loginCommand));
  account
    .command('logout')
    .description('revoke and delete the stored session of the profile')
    .action(act(async () => (await import('../commands/account.js')).logoutCommand));
  account
    .command('whoami')
    .description('show the logged-in account (checks the session with the PDS)')
    .action(act(async () => (await import('../commands/account.js')).whoamiCommand));

  account
    .command('status')
    .description('the logged-in account as its PDS sees it (checkAccountStatus: active, records, blobs); or any account\'s repo status')
    .argument('[id]', 'handle or DID of another account (com.atproto.sync.getRepoStatus on its PDS)')
    .addHelpText('after', `${examples(['atcli account status', 'atcli account status --json', 'atcli account status alice.example.com'])}
Without an argument: checkAccountStatus of the logged-in account (activated, whether the DID document points at this
host, repo rev, indexed records, imported vs expected blobs). With one: whether its PDS serves the repo (active,
deactivated, takendown…). Exit 4 when the account or its repo is unknown.`)
    .action(act(async () => (await import('../commands/account.js')).statusCommand));

  account
    .command('create')
    .description('create an account on a PDS (with --existing-did: a deactivated account for an identity you bring)')
    .requiredOption('--pds <url>', 'the PDS to create it on')
    .requiredOption('--handle <handle>', 'the handle of the new account')
    .requiredOption('--email <address>', 'its e-mail address')
    .option('--invite-code <code>', 'invite code (when the PDS requires one)')
    .option('--existing-did <did>', 'bring an existing DID (migration); needs --service-auth')
    .option('--service-auth <jwt>', 'service-auth token from the DID\'s current PDS (aud = the new PDS\'s DID, lxm = com.atproto.server.createAccount)')
    .option('--recovery-key <did:key>', 'a rotation key you hold, put first in a new DID (not with --existing-did)')
    .addHelpText('after', `${examples([
      'atcli account create --pds https://pds.example.com --handle alice.pds.example.com --email alice@example.com',
      'jwt=$(atcli account service-auth --aud did:web:pds.example.com --lxm com.atproto.server.createAccount)\n  atcli account create --pds https://pds.example.com --handle alice.example.com --email a@example.com --existing-did did:plc:… --service-auth "$jwt"',
    ])}
The password comes from ATCLI_NEW_PASSWORD or a hidden prompt (asked twice); never from a flag. The account is not
logged in afterwards: atcli account login -u <did> --pds <url>. For a whole move use "atcli account migrate".`)
    .action(act(async () => (await import('../commands/account.js')).createCommand));

  account
    .command('service-auth')
    .description('a short-lived inter-service auth token (JWT): from the PDS, or signed offline with the account\'s signing key')
    .requiredOption('--aud <did>', 'the service the token is for (its DID, or DID#service)')
    .option('--lxm <nsid>', 'restrict it to one method (needed for lifetimes over 60 s)')
    .option('--exp <seconds>', 'lifetime in seconds (default 60, at most 3600)')
    .option('--key-file <path>', 'sign offline with this private atproto signing key (multikey z…, hex with --key-type, or "atcli key generate --json" output); env ATCLI_SIGNING_KEY')
    .addOption(new Option('--key-type <type>', 'curve of a hex private key').choices(['k256', 'p256']))
    .option('--iss <did>', 'offline: the account the token speaks for (default: the logged-in DID)')
    .addHelpText('after', `${examples([
      'atcli account service-auth --aud did:web:pds.example.com --lxm com.atproto.server.createAccount',
      'atcli account service-auth --aud did:web:api.bsky.chat --lxm chat.bsky.convo.listConvos --exp 300 --json',
      'atcli account service-auth --aud did:web:pds.example.com --lxm com.atproto.server.createAccount --key-file signing.key --iss did:plc:…',
    ])}
From the PDS: com.atproto.server.getServiceAuth (app-password sessions cannot get tokens for privileged methods such
as createAccount). Offline: an ES256K (k256) or ES256 (p256) JWT signed locally; the audience accepts it only when the
key is the #atproto key of --iss's DID document. Prints the token (with --json: token, iss, aud, lxm, exp).`)
    .action(act(async () => (await import('../commands/account.js')).serviceAuthCommand));

  account
    .command('activate')
    .description('activate the logged-in account on its PDS (after a migration, once the identity points there)')
    .action(act(async () => (await import('../commands/account.js')).activateCommand));

  account
    .command('deactivate')
    .description('deactivate the logged-in account (it stays on the PDS and can be reactivated); asks first unless --yes')
    .option('--delete-after <datetime>', 'ask the PDS to delete the account after this time')
    .addHelpText('after', `${examples(['atcli account deactivate', 'atcli account deactivate --yes --json'])}
Moderate confirmation: a yes/no question (default no), or --yes; without a terminal --yes is required (exit 2).`)
    .action(act(async () => (await import('../commands/account.js')).deactivateCommand));

  account
    .command('missing-blobs')
    .description('blobs the logged-in account\'s records reference that its PDS does not have (NDJSON with --json)')
    .addHelpText('after', `${examples(['atcli account missing-blobs', 'atcli account missing-blobs --json | jq -r .cid'])}
One line per blob reference: "cid<TAB>record URI" (--json: {"cid","recordUri"} per line). Empty after a complete migration.`)
    .action(act(async () => (await import('../commands/account.js')).missingBlobsCommand));

  account
    .command('migrate')
    .description('move the logged-in account to another PDS: verified, journalled, resumable')
    .option('--to <pds-url>', 'the new host (required unless --resume)')
    .option('--new-handle <handle>', 'handle on the new host (default: the current one, if the new host can serve it)')
    .option('--new-email <address>', 'e-mail of the new account (default: the current one)')
    .option('--invite-code <code>', 'invite code for the new host')
    .option('--plc-token <code>', 'the PLC confirmation code from the e-mail (env ATCLI_PLC_TOKEN); asked for at the identity step otherwise')
    .option('--recovery-key <did:key>', 'a rotation key you hold, added at the highest priority')
    .option('--resume', 'continue the migration recorded in the state file')
    .option('--state-file <path>', 'the state file (default $XDG_STATE_HOME/atcli/migrate-<did>.json)')
    .option('--concurrency <n>', 'blobs copied at once (default 4)')
    .addHelpText('after', `${examples([
      'atcli account migrate --to https://new-pds.example.com --dry-run',
      'atcli account migrate --to https://new-pds.example.com --recovery-key did:key:zQ3sh…',
      'ATCLI_NEW_PASSWORD=… atcli account migrate --to https://new-pds.example.com --yes',
      'atcli account migrate --resume --plc-token ABCDE-12345 --yes',
    ])}
Needs the ACCOUNT password session (not an app password). The new account's password comes from
ATCLI_NEW_PASSWORD or a hidden prompt. Steps (each journalled in a 0600 state file, written atomically; no
password or token is ever stored in it):
  preflight → service-auth → create-account (deactivated) → export-repo → verify-repo (against the current key)
  → import-repo → blobs (listMissingBlobs; MIME types kept; failures retried; one that cannot be copied stops
  here) → preferences → verify-copy (every record and blob on the new host) → request-plc-token (only now) →
  build-plc-op (recommended credentials; your own rotation keys and services kept) → sign-plc-op (diff shown;
  type the DID or pass --yes) → check-plc-op → submit-plc-op → verify-identity (resolved without cache) →
  activate → verify-new → deactivate-old (never before the new account is verified active) → report.
An interrupted or failed run continues with --resume; each step checks the real state first, so nothing is done
twice. Without a terminal the run stops at the token step (exit 0) and prints the command to continue.
Until the identity step, a failure leaves the old account active and fully usable. The verified CAR, the
preferences and the PLC audit log are kept next to the state file (<state file>.backup/). When the migration
completes, a stored login (profile) is switched to the new host.
--dry-run runs only the preflight checks and prints the plan: nothing changes on either host.`)
    .action(act(async () => (await import('../commands/account.js')).migrateCommand));

  const plc = account.command('plc').description('PDS-managed did:plc operations: recommended credentials, e-mail token, sign, submit');
  plc
    .command('recommended')
    .description('the DID credentials the logged-in account\'s PDS recommends (identity.getRecommendedDidCredentials; JSON)')
    .action(act(async () => (await import('../commands/account.js')).plcRecommendedCommand));
  plc
    .command('request-token')
    .description('ask the PDS to e-mail the confirmation code that signing a PLC operation needs (valid ~15 minutes)')
    .action(act(async () => (await import('../commands/account.js')).plcRequestTokenCommand));
  plc
    .command('sign')
    .description('have the PDS sign an identity update (not submitted); prints the signed operation')
    .argument('<op.json|->', 'JSON with any of rotationKeys, alsoKnownAs, verificationMethods, services (e.g. from "atcli plc update"); "-" for stdin')
    .option('--token <code>', 'the code from the e-mail (env ATCLI_PLC_TOKEN; prompted otherwise)')
    .addHelpText('after', `${examples(['atcli account plc request-token', 'atcli plc update alice.example.com --add-rotation-key did:key:zQ3sh… > op.json && atcli account plc sign op.json --token ABCDE-12345 > signed.json'])}
Fields left out keep their current values. Checked locally first: the resulting document (limits, keys, handle,
endpoint); a "prev" in the file must still be the current head. The diff is shown on stderr.`)
    .action(act(async () => (await import('../commands/account.js')).plcSignCommand));
  plc
    .command('submit')
    .description('check a signed operation locally, confirm, and submit it through the PDS')
    .argument('<signed.json|->', 'the signed operation ("-" for stdin)')
    .addHelpText('after', `${examples(['atcli account plc submit signed.json', 'atcli account plc submit signed.json --dry-run', 'atcli account plc submit signed.json --yes'])}
Checked before anything is sent (exit 3 otherwise): strict shape; prev is the current head of a freshly fetched,
verified audit log; the signature verifies with a rotation key of that head; the document is well formed; the
directory would accept it next. Asks for confirmation unless --yes. Afterwards the directory's head must be it.`)
    .action(act(async () => (await import('../commands/account.js')).plcSubmitCommand));
}
