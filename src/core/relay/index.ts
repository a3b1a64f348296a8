/**
 * Relays (https://atproto.com/specs/sync): the accounts they follow (listRepos, getRepoStatus
 * compared with the account's own PDS), their upstream hosts (listHosts, getHostStatus), crawl
 * requests, and per-account differences between two relays or a relay and a PDS.
 */
export { compareRepoViews, relayAccountStatus, repoView, type Agreement, type RelayAccountStatus, type RepoView } from './accounts.js';
export { hostStatus, hostnameOf, listHosts, relayClient, requestCrawl, type CrawlRequest, type RelayHost } from './hosts.js';
export { diffAccounts, type AccountDiff, type AccountDifference, type DiffOptions, type DiffScope, type DiffSummary } from './diff.js';
export { listRepos as listRelayRepos, countRepos as countRelayRepos } from '../pds/repos.js';
