import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description: 'Operate a PDS: what it says about itself, the accounts it hosts, and administration with its admin password.',
  examples: ['atcli pds describe https://pds.example.com', 'atcli pds health pds.example.com', 'atcli pds accounts https://pds.example.com --status takendown --json', 'atcli pds admin account list --pds https://pds.example.com'],
  commands: {
    describe: child('what a PDS says about itself (describeServer): DID, handle domains, invite and verification rules, links', () => import('./describe.js')),
    health: child("is the PDS up: its health endpoint's status, version and latency", () => import('./health.js')),
    accounts: child('the repositories a PDS hosts (listRepos): DID, status, rev; or their counts', () => import('./accounts.js')),
    admin: child('administer a PDS with its admin password: accounts, invite codes, blob takedowns', () => import('./admin/index.js')),
  },
});
