import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';
import { printHostedRepos, repoListingOptions, REPO_LISTING_NOTE } from './repos.js';

export default defineCommand({
  description: 'Reads com.atproto.sync.listRepos page by page: every repository the PDS hosts, with its head commit, rev and hosting status (takendown, deactivated, …).',
  args: { url: arg.required('url', 'the PDS: https://host (a bare host means https)') },
  options: repoListingOptions,
  uses: ['network'],
  examples: ['atcli pds accounts https://pds.example.com', 'atcli pds accounts pds.example.com --status inactive --json', 'atcli pds accounts pds.example.com --count'],
  notes: `${REPO_LISTING_NOTE} Exit status: 0 listed, 1 the host failed.`,
  async run({ args, opts, out, err, f }) {
    const { serviceOrigin } = await import('../../../core/net/service-url.js');
    await printHostedRepos({ out, err }, await f.xrpc(serviceOrigin(args.url)), opts);
  },
});
