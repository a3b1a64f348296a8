import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';

export default defineCommand({
  description: "Asks the relay to follow a PDS (com.atproto.sync.requestCrawl). The PDS is asked first for describeServer: a relay does not follow a host that does not answer it, so atcli stops there instead. The usual fix for a self-hosted PDS whose accounts the network does not see.",
  args: { host: arg.required('pds-host', 'the PDS: pds.example.com or https://pds.example.com') },
  uses: ['network', 'relay', 'dryRun', 'yes'],
  examples: ['atcli relay request-crawl pds.example.com', 'atcli relay request-crawl https://pds.example.com --relay https://relay.example.com --json'],
  notes: 'JSON: relay, hostname, pds ({url, did}); with --dry-run the PDS is checked and the relay is not asked. Exit status: 0 asked, 1 the PDS does not answer, the relay refused or banned the host.',
  async run({ args, g, out, err, f }) {
    const http = await f.http();
    if (g.dryRun) {
      const [{ describePds }, { hostnameOf }] = await Promise.all([import('../../../core/pds/server.js'), import('../../../core/relay/hosts.js')]);
      const pds = await describePds(http, args.host);
      await out.result({ dryRun: true, relay: g.relayUrl, hostname: hostnameOf(pds.url), pds: { url: pds.url, did: pds.did } }, (r) => `would ask ${r.relay} to crawl ${r.hostname} (the PDS answers as ${r.pds.did})`);
      err.info('dry run: the relay was not asked');
      return;
    }
    const { requestCrawl } = await import('../../../core/relay/hosts.js');
    const spin = err.spinner(`checking ${args.host}, then asking ${g.relayUrl}`);
    const done = await requestCrawl(http, g.relayUrl, args.host).finally(() => spin.stop());
    await out.result(done, (r) => `${out.mark('ok')} asked ${r.relay} to crawl ${r.hostname} (the PDS answers as ${r.pds.did})`);
    err.hint(`see what the relay makes of it: atcli relay host status ${done.hostname} --relay ${g.relayUrl}`);
  },
});
