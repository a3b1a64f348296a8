// The `plc` command group: did:plc history, data, verify, genesis, update, sign, submit, calc-did, dump.
// Names, arguments, options and help only; handlers load lazily from ../commands/plc.js.
import { Option, type Command } from 'commander';
import { examples, type Act } from '../program.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const KEY_SOURCES = `The private rotation key comes from --key-file (a file holding the private multikey z…, 64 hex
characters with --key-type, or the JSON of "atcli key generate --json"), else ATCLI_PLC_SIGNING_KEY,
else a hidden prompt. Never from a command-line argument.`;

/** Registers the sub-commands on the `plc` group command (created by program.ts). */
export function registerPlcCommands(plc: Command, act: Act): void {

  plc
    .command('history')
    .description("the DID's audit log: every operation with its signer, nullification and validity")
    .argument('<id>', 'did:plc, handle or at:// URI')
    .option('-l, --long', 'also show what each operation changed')
    .addHelpText(
      'after',
      `${examples(['atcli plc history alice.example.com', 'atcli plc history did:plc:ewvi7nxzyoun6zhxrhs64oiz --long', 'atcli plc history did:plc:ewvi7nxzyoun6zhxrhs64oiz --json | jq \'.operations[] | select(.nullified)\''])}
Columns: index, createdAt, CID, type, the rotation key (index in the keys of the operation its prev
names) that signed it, whether it was nullified, and ✓/✗ for its validity. Exit 0 (a log that does
not verify is reported with a warning; "atcli plc verify" exits 3 for it), 4 unknown DID.`,
    )
    .action(act(async () => (await import('../commands/plc.js')).plcHistoryCommand));

  plc
    .command('data')
    .description('the current state: rotation keys (in priority order), verification methods, handles, services')
    .argument('<id>', 'did:plc, handle or at:// URI')
    .addHelpText('after', `${examples(['atcli plc data alice.example.com', 'atcli plc data did:plc:ewvi7nxzyoun6zhxrhs64oiz --json'])}
Exit 0, 4 unknown or deactivated DID.`)
    .action(act(async () => (await import('../commands/plc.js')).plcDataCommand));

  plc
    .command('verify')
    .description("replay the whole log: CIDs, signatures, prev chain, rotation-key authority, nullification windows, timestamps; online also compare the derived DID document with the directory's")
    .argument('<id|audit-log.json>', 'did:plc, handle or at:// URI; or an audit-log file ("-" for stdin), checked offline')
    .option('--did <did>', 'the DID an audit-log file belongs to (default: the DID of its entries)')
    .addHelpText(
      'after',
      `${examples([
        'atcli plc verify alice.example.com',
        'atcli plc verify did:plc:ewvi7nxzyoun6zhxrhs64oiz --json',
        'curl -s https://plc.directory/did:plc:ewvi7nxzyoun6zhxrhs64oiz/log/audit > audit.json && atcli plc verify audit.json',
      ])}
Exit status: 0 the log verifies (and, online, the directory serves the document it derives), 3 it
does not (each problem names the operation by index and CID), 4 unknown DID.`,
    )
    .action(act(async () => (await import('../commands/plc.js')).plcVerifyCommand));

  plc
    .command('genesis')
    .description('build an unsigned genesis operation for a new identity (JSON on stdout), checked before it is printed')
    .requiredOption('--signing-key <did:key>', 'the atproto signing key (verificationMethods.atproto), a p256/k256 did:key')
    .requiredOption('--rotation-key <did:key>', 'a rotation key, highest priority first (repeatable, 1 to 5)', collect)
    .requiredOption('--handle <handle>', 'the handle (alsoKnownAs[0] = at://<handle>)')
    .requiredOption('--pds <url>', 'the PDS endpoint (https; http only for localhost)')
    .addHelpText(
      'after',
      `${examples([
        'atcli plc genesis --signing-key did:key:zQ3sh… --rotation-key did:key:zDnae… --rotation-key did:key:zQ3sh… --handle alice.example.com --pds https://pds.example.com > genesis.json',
        'atcli plc sign genesis.json --key-file rotation.key > signed.json && atcli plc calc-did signed.json',
      ])}
Refused with exit 3 before anything is printed: an invalid handle or endpoint, a key that is not a
p256/k256 did:key, duplicate rotation keys, more than 5 rotation keys, an operation over 4000 bytes.`,
    )
    .action(act(async () => (await import('../commands/plc.js')).plcGenesisCommand));

  plc
    .command('update')
    .description('build an unsigned operation on top of the latest one (after verifying the audit log); the operation goes to stdout, what it changes to stderr')
    .argument('<id>', 'did:plc, handle or at:// URI')
    .option('--handle <handle>', 'new primary handle (alsoKnownAs[0])')
    .option('--pds <url>', 'new PDS endpoint (services.atproto_pds)')
    .option('--signing-key <did:key>', 'new atproto signing key (verificationMethods.atproto)')
    .option('--add-rotation-key <did:key>', 'add a rotation key at the lowest priority (repeatable)', collect)
    .option('--add-rotation-key-first', 'add the new rotation keys at the highest priority instead')
    .option('--remove-rotation-key <did:key>', 'remove a rotation key (repeatable)', collect)
    .option('--prev <cid>', 'build on this operation instead of the latest: a recovery that nullifies the operations after it (within 72 hours, signed by a higher-priority key)')
    .addHelpText(
      'after',
      `${examples([
        'atcli plc update alice.example.com --handle alice.new.example > op.json',
        'atcli plc update did:plc:ewvi7nxzyoun6zhxrhs64oiz --pds https://pds2.example.com --signing-key did:key:zQ3sh… > op.json',
        'atcli plc update did:plc:ewvi7nxzyoun6zhxrhs64oiz --add-rotation-key did:key:zDnae… --remove-rotation-key did:key:zQ3sh… > op.json',
        'atcli plc update did:plc:ewvi7nxzyoun6zhxrhs64oiz --prev bafyrei… --handle alice.example.com > recovery.json',
      ])}
Next: atcli plc sign op.json --did <did> --key-file <rotation key> > signed.json, then atcli plc submit signed.json --did <did>.
Exit 3 when the audit log does not verify, the DID is deactivated, or the result would be invalid.`,
    )
    .action(act(async () => (await import('../commands/plc.js')).plcUpdateCommand));

  plc
    .command('sign')
    .description('sign an operation with a rotation key, after checking the key may sign it (prints the signed operation)')
    .argument('<op.json|->', 'the unsigned operation ("-" for stdin)')
    .option('--key-file <path>', 'file holding the private rotation key')
    .addOption(new Option('--key-type <type>', 'curve of a hex private key').choices(['k256', 'p256']))
    .option('--did <did>', 'the DID the operation is for (needed to check the key of an update; a genesis carries its own)')
    .option('-f, --force', 'sign even with a key that is not authorised for the operation\'s prev (the directory will refuse it)')
    .addHelpText(
      'after',
      `${examples([
        'atcli plc sign genesis.json --key-file rotation.key > signed.json',
        'atcli plc update alice.example.com --handle alice.new.example | atcli plc sign - --did did:plc:ewvi7nxzyoun6zhxrhs64oiz --key-file rotation.key > signed.json',
        'ATCLI_PLC_SIGNING_KEY="$(pass show plc/rotation)" atcli plc sign op.json --did did:plc:ewvi7nxzyoun6zhxrhs64oiz',
      ])}
${KEY_SOURCES}
The key must be a rotation key of the operation its prev names (for a genesis: one of its own), and
for a recovery one of higher priority than the signer of the first operation it nullifies; the audit
log is fetched to check this. Refused with exit 3 otherwise (unless --force).`,
    )
    .action(act(async () => (await import('../commands/plc.js')).plcSignCommand));

  plc
    .command('submit')
    .description('check a signed operation locally, confirm, and submit it to the directory')
    .argument('<signed.json|->', 'the signed operation ("-" for stdin)')
    .option('--did <did>', 'the DID the operation is for (required unless it is a genesis operation)')
    .option('--key-file <path>', 'a private rotation key you also hold (for the lock-out check; ATCLI_PLC_SIGNING_KEY counts too)')
    .addOption(new Option('--key-type <type>', 'curve of a hex private key in --key-file').choices(['k256', 'p256']))
    .option('-f, --force', 'submit even though you would keep none of the rotation keys you hold (or the operation is a tombstone)')
    .addHelpText(
      'after',
      `${examples([
        'atcli plc submit signed.json',
        'atcli plc submit signed.json --did did:plc:ewvi7nxzyoun6zhxrhs64oiz --dry-run',
        'atcli plc sign op.json --did did:plc:… --key-file k | atcli plc submit - --did did:plc:… --yes',
      ])}
Checked before anything is sent (exit 3 when a check fails, and no request is made): the operation's
shape and strict signature encoding (no padding, 64-byte low-S); a signature by an authorised rotation
key for its prev (against a freshly fetched audit log); prev is the current head (or a permitted
recovery, whose nullified operations are listed); the resulting document is well formed (handle,
endpoint, keys, limits); and that you keep a rotation key you hold.
The keys you hold: the one that signed the operation, plus any given with --key-file or
ATCLI_PLC_SIGNING_KEY. An operation that leaves none of them among the new rotation keys (or a
tombstone) is refused unless --force. The DID is named in a confirmation unless --yes (without a
terminal, --yes is required: exit 2). --dry-run prints what would be sent. After the POST, atcli
checks that the directory's latest operation is this one.`,
    )
    .action(act(async () => (await import('../commands/plc.js')).plcSubmitCommand));

  plc
    .command('calc-did')
    .description('the DID a signed genesis operation creates (checked: strict shape, signed by one of its own rotation keys)')
    .argument('<signed-genesis.json|->', 'the signed genesis operation ("-" for stdin)')
    .addHelpText('after', `${examples(['atcli plc calc-did signed.json', 'atcli plc sign genesis.json --key-file rotation.key | atcli plc calc-did -'])}
Exit 0, 3 when it is not a valid signed genesis operation.`)
    .action(act(async () => (await import('../commands/plc.js')).plcCalcDidCommand));

  plc
    .command('dump')
    .description("stream the directory's export as NDJSON (paged, with back-pressure); --tail keeps polling for new operations")
    .option('--cursor <seq|datetime>', 'start after this sequence number or createdAt timestamp')
    .option('--tail', 'keep polling for new operations once caught up (Ctrl-C stops and prints the cursor to resume from)')
    .option('--limit <n>', 'stop after n operations')
    .option('--count <n>', 'operations per request, 1–1000', '1000')
    .option('--interval <seconds>', 'poll interval with --tail', '5')
    .addHelpText(
      'after',
      `${examples(['atcli plc dump --limit 100', 'atcli plc dump --cursor 2024-01-01T00:00:00.000Z > ops.ndjson', 'atcli plc dump --cursor 12345 --tail | jq -r .did'])}
The last cursor is printed on stderr at the end (and on Ctrl-C, exit 130): pass it to --cursor to resume.`,
    )
    .action(act(async () => (await import('../commands/plc.js')).plcDumpCommand));
}
