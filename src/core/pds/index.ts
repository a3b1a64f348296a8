/**
 * Operating a PDS: what it says about itself (describeServer, health), the repositories it hosts
 * (listRepos), and administration with its admin password.
 */
export { describePds, pdsHealth, type PdsDescription, type PdsHealth } from './server.js';
export { countRepos, listRepos, matchesStatus, parseHostedRepo, type HostedRepo, type ListReposOptions, type RepoCount, type RepoStatusFilter } from './repos.js';
export {
  accountDid,
  accountInfo,
  blobStatus,
  createAccountAsAdmin,
  createInviteCodes,
  disableInviteCodes,
  executeAdminAction,
  generatePassword,
  inviteMatches,
  listAccounts,
  listInviteCodes,
  pdsAdmin,
  planAdminAction,
  resetAccountPassword,
  updateAccountEmail,
  updateAccountHandle,
  type AdminAccountInfo,
  type AdminAccountListing,
  type AdminAccountView,
  type AdminAction,
  type AdminActionResult,
  type AdminCreateAccountInput,
  type AdminCreatedAccount,
  type AdminPlan,
  type BlobStatus,
  type CreatedInvites,
  type InviteCodeInfo,
  type InviteCodeUse,
  type InviteFilter,
  type PasswordReset,
  type PdsAdmin,
  type PlanOptions,
  type TakedownState,
} from './admin.js';
