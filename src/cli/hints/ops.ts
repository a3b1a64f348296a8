// What to do next, in CLI terms, for the operators' commands (pds, relay, doctor): hints by error
// code, and the fix for each kind of failed `doctor` check (core names the check's problem in
// protocol terms and gives it a stable code; these name the atcli command or record that fixes it).
import type { DoctorCheck, DoctorSubject } from '../../core/doctor/index.js';
import type { Hint, HintTable } from './index.js';

function detail(err: { details?: Record<string, unknown> | undefined }, key: string): string | undefined {
  const v = err.details?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** A hint for commands under `prefix` only; other commands fall through to other tables. */
function under(prefix: string, text: string): Hint {
  return (_err, path) => (path === prefix || path.startsWith(`${prefix} `) ? text : undefined);
}

export const OPS_HINTS: HintTable = {
  AdminAuthRefused: 'check ATCLI_ADMIN_PASSWORD: it must be the PDS_ADMIN_PASSWORD the PDS was started with',
  AccountNotFound: under('pds admin', 'see the accounts of that PDS with: atcli pds admin account list --pds <url>'),
  HandleUnavailable: under('pds admin', 'choose another handle; one outside the PDS\'s own domains must resolve to the account first (check with: atcli resolve <handle>)'),
  NothingToDisable: 'name the invite codes as arguments, or accounts with --account <id>',
  RelayHostUnknown: (err) => `ask the relay to follow it: atcli relay request-crawl ${detail(err, 'hostname') ?? '<host>'}`,
  PdsNotAnswering: (err, path) => {
    if (!path.startsWith('relay')) return undefined;
    const pds = detail(err, 'pds') ?? '<pds>';
    return `check the PDS first: atcli pds health ${pds} and atcli pds describe ${pds}`;
  },
  HostBanned: 'a crawl request cannot lift a ban: ask the relay operator',
};

/** What a doctor fix may name: the account and its PDS (as far as known), the relays asked. */
export interface DoctorFixContext extends DoctorSubject {
  relays: readonly string[];
}

type Fix = (check: DoctorCheck, x: DoctorFixContext) => string | undefined;

const hostOf = (url: string): string => new URL(url).host;

/** How a hint names a PDS to crawl: its host when it is on https (a bare host means https), else its URL. */
export function crawlTarget(pdsUrl: string): string {
  return pdsUrl.startsWith('https://') ? hostOf(pdsUrl) : pdsUrl;
}
const retry: Fix = () => 'a temporary failure? try again, or allow more time with --timeout';
const resolveHandle: Fix = (c, x) => (x.handle === null ? c.hint : `${c.hint ?? 'publish the record'}; then check with: atcli resolve ${x.handle}`);
const relayFix: Fix = (c, x) => {
  const host = c.name.slice('relay:'.length);
  const relay = x.relays.find((r) => hostOf(r) === host) ?? host;
  if (x.pds === null) return undefined;
  return `ask the relay to crawl the PDS: atcli relay request-crawl ${crawlTarget(x.pds)} --relay ${relay}; then: atcli relay account status ${x.did} --relay ${relay}`;
};
const operatorInfo: Fix = (_c, x) => (x.pds === null ? undefined : `the PDS operator sees why with: atcli pds admin account info ${x.did} --pds ${x.pds}`);

const DOCTOR_FIXES: Readonly<Record<string, Fix>> = {
  HandleOtherDid: resolveHandle,
  HandleSeveralDids: resolveHandle,
  HandleNotResolving: resolveHandle,
  DidDocumentMissing: (_c, x) => `see what the directory holds: atcli plc history ${x.did}`,
  DidDocumentUnusable: (_c, x) => (x.did?.startsWith('did:plc:') ? `see the document: atcli plc data ${x.did}; a PLC operation fixes it (atcli plc update ${x.did} --pds <url> or --signing-key <did:key>)` : undefined),
  HandleNotListed: (_c, x) => (x.pds === null || x.handle === null ? undefined : `setting the handle again through the PDS rewrites the document; as the PDS operator: atcli pds admin account update-handle ${x.did} ${x.handle} --pds ${x.pds}`),
  PdsNotAnswering: (_c, x) => (x.pds === null ? undefined : `check the PDS: atcli pds health ${x.pds}; if the account moved, its DID document must name the new PDS (atcli plc data ${x.did})`),
  RepoNotOnPds: (_c, x) => (x.pds === null ? undefined : `see which accounts the PDS hosts: atcli pds accounts ${x.pds}`),
  AccountDeactivated: () => 'log in with the account password (atcli account login), then: atcli account activate',
  AccountTakenDown: (_c, x) => (x.pds === null ? undefined : `only the PDS operator can lift it: atcli pds admin account untakedown ${x.did} --pds ${x.pds}`),
  AccountDeleted: operatorInfo,
  AccountInactive: operatorInfo,
  HeadKeyMismatch: (_c, x) => `compare the keys: atcli resolve ${x.did}; for a did:plc an operation with the PDS's key fixes it (atcli plc update ${x.did} --signing-key <did:key>)`,
  HeadInvalid: (_c, x) => `check the whole repository: atcli repo verify ${x.did}`,
  RelayBehind: relayFix,
  RelayMissing: relayFix,
  RelayStatusDiffers: relayFix,
  AppViewNoProfile: (_c, x) => `the AppView learns of accounts from a relay; see where it stands: atcli relay account status ${x.did} --relay <the AppView's relay>`,
  AppViewHandleInvalid: (_c, x) => (x.handle === null ? undefined : `fix the handle checks first (atcli resolve ${x.handle} must verify both ways); the AppView looks again after the next handle update`),
  AppViewOtherHandle: (_c, x) => (x.handle === null ? undefined : `the AppView looks again after the next handle update; check the handle with: atcli resolve ${x.handle}`),
  PlcDidUnknown: (_c, x) => `check the DID and the directory: atcli plc history ${x.did} --plc <url>`,
  PlcLogInvalid: (_c, x) => `see which operation fails: atcli plc verify ${x.did}`,
  LookupFailed: retry,
  DidUnresolvable: retry,
  RepoStatusFailed: retry,
  HeadUnavailable: retry,
  RelayUnreachable: retry,
  AppViewUnreachable: (_c) => 'is the AppView right? give another with --appview <url>, or try again',
  PlcUnreachable: retry,
};

/** The fix for a failed or unchecked doctor check in CLI terms, when there is one. */
export function doctorFix(check: DoctorCheck, x: DoctorFixContext): string | undefined {
  const fix = check.code === undefined ? undefined : DOCTOR_FIXES[check.code];
  return fix?.(check, x);
}
