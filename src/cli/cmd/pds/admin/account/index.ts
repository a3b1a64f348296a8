import { child, defineGroup } from '../../../../spec.js';

const action = (name: 'accountTakedown' | 'accountUntakedown' | 'accountDelete') => () => import('../actions.js').then((m) => ({ default: m[name] }));

export default defineGroup({
  examples: [
    'atcli pds admin account list --pds https://pds.example.com',
    'atcli pds admin account create --handle bob.pds.example.com --email bob@example.com --pds https://pds.example.com',
    'atcli pds admin account takedown spam.example.com --pds https://pds.example.com --ref case-123',
  ],
  commands: {
    list: child('every account: handle, DID, e-mail, status (NDJSON with --json)', () => import('./list.js')),
    info: child('one account: handle, e-mail, dates, invites, takedown, hosting status', () => import('./info.js')),
    create: child('create an account (an invite code is made when the PDS requires one); the password is shown once', () => import('./create.js')),
    'update-handle': child("change an account's handle", () => import('./update.js').then((m) => ({ default: m.updateHandle }))),
    'update-email': child("change an account's e-mail address", () => import('./update.js').then((m) => ({ default: m.updateEmail }))),
    'reset-password': child("set a new password for an account (generated and shown once, or from ATCLI_NEW_PASSWORD)", () => import('./update.js').then((m) => ({ default: m.resetPassword }))),
    takedown: child('take an account down (asks first; --yes, --dry-run)', action('accountTakedown')),
    untakedown: child('lift the takedown of an account', action('accountUntakedown')),
    delete: child('delete an account from the PDS for good (asks first; --yes, --dry-run)', action('accountDelete')),
  },
});
