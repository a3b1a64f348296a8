import type { AtcliError } from '../../core/errors.js';
import type { HintTable } from './index.js';

function detail(err: AtcliError, key: string): string | undefined {
  const value = err.details?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** An argument as the user would type it again. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Hints for repositories and records (repo …, record …). */
export const REPO_HINTS: HintTable = {
  InvalidRepo: (e, path) => {
    if (path === 'repo import') return undefined;
    const repository = detail(e, 'repository');
    return `run "atcli repo verify${repository === undefined ? '' : ` ${shellWord(repository)}`}" for the full report`;
  },
  RepoUnreadable: 'check the network and try again',
  RepoUnchecked: 'check the network or --plc, or give the key with --key',
  CarFileRequired: (e) => {
    const account = detail(e, 'account');
    return account === undefined ? undefined : `export it first: atcli repo export ${shellWord(account)} -o repo.car`;
  },
  DirectoryNotEmpty: (_e, path) => (path === 'repo unpack' ? 'choose another folder with -o, or pass --force to write into it' : undefined),
  NoSigningKey: (_e, path) => (path === 'record get' ? 'give the key to check with: --key did:key:z…' : undefined),
  RecordNotFound: (e) => {
    const did = detail(e, 'did');
    const collection = detail(e, 'collection');
    return did === undefined || collection === undefined ? undefined : `list the collection with "atcli record ls ${did} -c ${collection}"`;
  },
  InvalidCid: (e, path) => (e.kind === 'usage' && path.startsWith('record ') ? 'give a "cid" as "atcli record get" prints it' : undefined),
  RecordChanged: (e) => {
    const uri = detail(e, 'uri');
    return uri === undefined ? undefined : `fetch the current version with "atcli record get ${uri}" and retry with its CID`;
  },
  InvalidRecord: (e, path) =>
    e.kind === 'invalid' && (path === 'record create' || path === 'record put') ? 'fix the record to match its Lexicon, or pass --no-validate to store it without Lexicon validation' : undefined,
};
