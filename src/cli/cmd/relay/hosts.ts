import type { RelayHost } from '../../../core/relay/index.js';
import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';
import { printListing } from '../../render/listing.js';
import { plural } from '../../render/text.js';

const HOST_FIELDS = 'hostname, status (active, idle, offline, throttled, banned, …), accountCount, seq (the relay\'s recent sequence number for the host)';

export const hostsCommand = defineCommand({
  description: 'Lists the upstream hosts (PDSes) the relay consumes, page by page (com.atproto.sync.listHosts).',
  uses: ['network', 'relay'],
  examples: ['atcli relay hosts --relay https://relay.example.com', 'atcli relay hosts --json'],
  notes: `One row per host (NDJSON with --json): ${HOST_FIELDS}. Exit status: 0 listed, 1 the relay failed.`,
  async run({ g, out, err, f }) {
    const { listHosts, relayClient } = await import('../../../core/relay/hosts.js');
    const n = await printListing(out, listHosts(relayClient(await f.http(), g.relayUrl)), {
      header: ['hostname', 'status', 'accounts', 'seq'],
      row: (h: RelayHost) => [h.hostname, h.status ?? '', h.accountCount === undefined ? '' : String(h.accountCount), h.seq === undefined ? '' : String(h.seq)],
    });
    err.info(plural(n, 'host'));
  },
});

export const hostStatusCommand = defineCommand({
  description: 'What the relay knows of one upstream host (com.atproto.sync.getHostStatus).',
  args: { host: arg.required('host', 'the host: pds.example.com (a URL is accepted; its host is used)') },
  uses: ['network', 'relay'],
  examples: ['atcli relay host status pds.example.com --relay https://relay.example.com', 'atcli relay host status https://pds.example.com --json'],
  notes: `JSON: ${HOST_FIELDS}. Exit status: 0 known, 4 the relay does not know the host, 1 the relay failed.`,
  async run({ args, g, out, f }) {
    const { hostStatus, relayClient } = await import('../../../core/relay/hosts.js');
    const h = await hostStatus(relayClient(await f.http(), g.relayUrl), args.host);
    await out.result(h, (r) =>
      out.fields([
        ['hostname', r.hostname],
        ['status', r.status === undefined ? undefined : r.status === 'active' ? out.c.green(r.status) : out.c.yellow(r.status)],
        ['accounts', r.accountCount],
        ['seq', r.seq],
      ]),
    );
  },
});
