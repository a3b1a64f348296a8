import { defineCommand } from '../../spec.js';
import { printHostedRepos, repoListingOptions, REPO_LISTING_NOTE } from '../pds/repos.js';

export default defineCommand({
  description: 'Reads the relay\'s com.atproto.sync.listRepos page by page: every account it follows, with its head commit, rev and hosting status. A relay may list millions: rows are printed as pages arrive.',
  options: repoListingOptions,
  uses: ['network', 'relay'],
  examples: ['atcli relay accounts --relay https://relay.example.com', 'atcli relay accounts --status takendown --json', 'atcli relay accounts --count'],
  notes: `${REPO_LISTING_NOTE} Exit status: 0 listed, 1 the relay failed.`,
  async run({ opts, g, out, err, f }) {
    const { relayClient } = await import('../../../core/relay/hosts.js');
    await printHostedRepos({ out, err }, relayClient(await f.http(), g.relayUrl), opts);
  },
});
