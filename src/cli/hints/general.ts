import type { HintTable } from './index.js';

/** Hints for errors any command can meet: network, files, login, prompts. */
export const GENERAL_HINTS: HintTable = {
  NotLoggedIn: 'log in with "atcli account login", or set ATCLI_IDENTIFIER and ATCLI_PASSWORD',
  HandleNotFound: 'check the spelling; "atcli resolve <handle> -v" shows each method tried',
  DidNotFound: 'check the DID; for a local directory pass --plc <url>',
  HostNotFound: 'check the host name and your network; with a local test network pass --dev and --connect-to',
  ConnectionRefused: 'is the server running? with a local server pass --dev',
  PrivateAddress: 'loopback and private addresses are refused unless --dev is given',
  Timeout: 'the server did not answer in time; raise --timeout or try again later',
  FileExists: 'choose another path with -o, or pass --force to replace it',
  FileNotFound: 'check the path',
};
