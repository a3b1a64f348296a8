import { child, defineGroup } from '../../../spec.js';

export default defineGroup({
  description:
    "Administration with the PDS's admin password (HTTP Basic admin:<PDS_ADMIN_PASSWORD> on com.atproto.admin.*), as the PDS's own pdsadmin scripts and goat's pds admin do. The password comes from ATCLI_ADMIN_PASSWORD or a hidden prompt, and is sent only to the PDS named by --pds.",
  examples: [
    'atcli pds admin account list --pds https://pds.example.com',
    'atcli pds admin account takedown alice.example.com --pds https://pds.example.com --ref case-123',
    'atcli pds admin invites create --count 5 --pds https://pds.example.com',
  ],
  commands: {
    account: child("the PDS's accounts: list, info, create, change handle, e-mail or password, take down, delete", () => import('./account/index.js')),
    invites: child('invite codes: create, list, disable', () => import('./invites.js')),
    blob: child('take blobs down (the PDS stops serving them), lift it, show the state', () => import('./blob.js')),
  },
});
