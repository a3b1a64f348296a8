import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description: 'Log in to a PDS and manage the account there: status, creation, service-auth tokens, (de)activation, identity updates the PDS signs, and migration to another PDS.',
  examples: [
    'atcli account login -u alice.example.com',
    'atcli account whoami',
    'atcli account migrate --to https://new-pds.example.com --dry-run',
  ],
  notes: 'Logins are stored per profile (--profile, default "default") in 0600 files under $ATCLI_CONFIG_DIR; ATCLI_IDENTIFIER + ATCLI_PASSWORD give a login that is never written to disk.',
  commands: {
    login: child('log in to a PDS; stores tokens (never the password) in a 0600 file', () => import('./login.js')),
    logout: child('revoke and delete the stored login of the profile', () => import('./logout.js')),
    whoami: child('show the logged-in account (checks the session with the PDS)', () => import('./whoami.js')),
    status: child("the logged-in account as its PDS sees it, or any account's repository status", () => import('./status.js')),
    create: child('create an account on a PDS (with --existing-did: a deactivated one for an identity you bring)', () => import('./create.js')),
    'service-auth': child("a short-lived inter-service auth token (JWT): from the PDS, or signed offline with the account's signing key", () => import('./service-auth.js')),
    activate: child('activate the logged-in account on its PDS (after a migration, once the identity points there)', () => import('./activate.js')),
    deactivate: child('deactivate the logged-in account (it stays on the PDS and can be reactivated)', () => import('./deactivate.js')),
    'missing-blobs': child("blobs the logged-in account's records reference that its PDS does not have", () => import('./missing-blobs.js')),
    migrate: child('move the logged-in account to another PDS: verified, journalled, resumable', () => import('./migrate.js')),
    'recovery-key': child('a rotation key you hold at the top of your did:plc identity (to undo what the PDS does)', () => import('./recovery-key/index.js')),
    plc: child('identity updates signed by the PDS: recommended credentials, e-mail token, sign, submit', () => import('./plc/index.js')),
  },
});
