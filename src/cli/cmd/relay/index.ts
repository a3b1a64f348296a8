import { child, defineGroup } from '../../spec.js';

const account = defineGroup({
  examples: ['atcli relay account status alice.example.com --relay https://relay.example.com'],
  commands: {
    status: child("the relay's view of one account next to its own PDS's: in sync, behind, missing", () => import('./account-status.js')),
  },
});

const host = defineGroup({
  examples: ['atcli relay host status pds.example.com --relay https://relay.example.com'],
  commands: {
    status: child("what the relay knows of one upstream host: status, accounts, sequence", () => import('./hosts.js').then((m) => ({ default: m.hostStatusCommand }))),
  },
});

export default defineGroup({
  description: 'A relay collects the repositories of many PDSes into one firehose. These commands ask it (com.atproto.sync.*) which accounts and hosts it follows, and how its view compares with the PDSes. The relay is --relay (https:// or its firehose form wss://; default wss://bsky.network, also ATCLI_RELAY_URL).',
  examples: [
    'atcli relay account status alice.example.com',
    'atcli relay request-crawl pds.example.com --relay https://relay.example.com',
    'atcli relay diff https://relay1.example.com https://relay2.example.com --json',
  ],
  commands: {
    accounts: child('the repositories the relay follows (listRepos): DID, status, rev; or their counts', () => import('./accounts.js')),
    account: child("one account as the relay sees it, compared with its PDS", async () => ({ default: account })),
    hosts: child('the upstream hosts the relay consumes (listHosts)', () => import('./hosts.js').then((m) => ({ default: m.hostsCommand }))),
    host: child("one upstream host's status on the relay (getHostStatus)", async () => ({ default: host })),
    'request-crawl': child('ask the relay to follow a PDS, once the PDS is seen to answer', () => import('./request-crawl.js')),
    diff: child('accounts two hosts (relays, or a relay and a PDS) disagree on: missing, status, rev', () => import('./diff.js')),
  },
});
