import { type Command } from 'commander';
import { examples, collect, type Act } from '../program.js';

export function registerRepoCommands(repo: Command, act: Act): void {
  repo
    .command('verify')
    .description('full self-authentication: CAR, every block hash, commit and signature, MST structure, every record')
    .argument('<car|id>', 'a CAR file, or an account (handle, DID) whose repository is downloaded and checked')
    .option('--key <did:key>', "check the signature with this key instead of the account's DID document")
    .option('--did <did>', 'the DID the repository must belong to')
    .addHelpText('after', `${examples(['atcli repo verify alice.example.com', 'atcli repo verify repo.car --json', 'atcli repo verify repo.car --key did:key:zQ3sh… --did did:plc:…'])}
Exit status: 0 valid, 3 invalid (each failed check is named), 4 account not found.`)
    .action(act(async () => (await import('../commands/repo.js')).repoVerifyCommand));
  repo
    .command('export')
    .description('download an account\'s repository to a CAR file (atomic write), then verify it')
    .argument('<id>', 'handle or DID')
    .option('-o, --output <file>', 'where to write (default: <did>.car)')
    .option('--no-verify', 'skip verification after the download')
    .option('-f, --force', 'replace an existing file')
    .addHelpText('after', examples(['atcli repo export alice.example.com', 'atcli repo export did:plc:… -o backup.car --json']))
    .action(act(async () => (await import('../commands/repo.js')).repoExportCommand));
  repo
    .command('inspect')
    .description('summary of a repository: commit, MST root, record counts per collection')
    .argument('<car|id>', 'a CAR file or an account')
    .action(act(async () => (await import('../commands/repo.js')).repoInspectCommand));
  repo
    .command('ls')
    .description('list record paths (NDJSON rows collection, rkey, cid with --json)')
    .argument('<car|id>', 'a CAR file or an account')
    .option('-c, --collection <nsid>', 'only this collection (repeatable)', collect)
    .action(act(async () => (await import('../commands/repo.js')).repoLsCommand));
  repo
    .command('mst')
    .description('print the Merkle Search Tree: nodes by layer, entries, missing blocks')
    .argument('<car>', 'a CAR file (partial CARs show missing nodes)')
    .action(act(async () => (await import('../commands/repo.js')).repoMstCommand));
  repo
    .command('unpack')
    .description('write one JSON file per record: <dir>/<collection>/<rkey>.json')
    .argument('<car>', 'a CAR file')
    .option('-o, --output <dir>', 'output directory (default: the CAR name without .car)')
    .option('-f, --force', 'write into a non-empty directory')
    .action(act(async () => (await import('../commands/repo.js')).repoUnpackCommand));
  repo
    .command('diff')
    .description('records created, updated and deleted between two snapshots (NDJSON rows op, collection, rkey, cid, prev)')
    .argument('<a>', 'the earlier snapshot: CAR file or account')
    .argument('<b>', 'the later snapshot: CAR file or account')
    .addHelpText('after', examples(['atcli repo diff before.car after.car', 'atcli repo diff backup.car alice.example.com --json']))
    .action(act(async () => (await import('../commands/repo.js')).repoDiffCommand));
  repo
    .command('import')
    .description("upload a verified CAR to the logged-in account's PDS (com.atproto.repo.importRepo)")
    .argument('<car>', 'a CAR file of the logged-in account')
    .option('--key <did:key>', "check the signature with this key instead of the account's DID document")
    .addHelpText('after', examples(['atcli repo import backup.car --dry-run', 'atcli repo import backup.car --yes']))
    .action(act(async () => (await import('../commands/repo.js')).repoImportCommand));
}
