import type { HintTable } from './index.js';

/** Hints for errors any command can meet: network, files, login, prompts. */
export const GENERAL_HINTS: HintTable = {
  NotLoggedIn: 'log in with "atcli account login", or set ATCLI_IDENTIFIER and ATCLI_PASSWORD',
  HandleNotFound: 'check the spelling; "atcli resolve <handle> -v" shows each method tried',
  // `key` commands name the curve with --type; commands reading a private key say how in the error.
  AmbiguousKeyType: (_e, path) => (path.startsWith('key ') ? "say which curve with --type k256 or --type p256 (the DID document's verification method type tells)" : undefined),
  DidNotFound: 'check the DID; for a local directory pass --plc <url>',
  NetworkError: (e) => {
    const cause = String(e.details?.cause ?? '');
    if (cause === 'ENOTFOUND') return 'check the host name and your network; with a local test network pass --dev and --connect-to';
    if (cause === 'ECONNREFUSED') return 'is the server running? with a local server pass --dev';
    if (/TLS|SSL|CERT/.test(cause)) return "the server's TLS certificate was not accepted; for a local CA set NODE_EXTRA_CA_CERTS";
    return 'check your network connection and that the server is up, then try again';
  },
  PrivateAddress: 'loopback and private addresses are refused unless --dev is given',
  Timeout: 'the server did not answer in time; raise --timeout or try again later',
  FileExists: 'choose another path with -o, or pass --force to replace it',
  FileNotFound: 'check the path',
};
