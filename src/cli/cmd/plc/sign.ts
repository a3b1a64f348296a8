import { arg, opt } from '../../flags.js';
import { loadPrivateKey } from '../../inputs.js';
import { defineCommand } from '../../spec.js';
import { KEY_ENV, KEY_SOURCES, keyFileOption, keyTypeOption, oneStdin, readOperationFile, removedForce, showWarnings } from './shared.js';

export default defineCommand({
  args: { op: arg.required('op.json|-', 'the operation, as plc update or plc genesis wrote it ("-" for stdin)', { valueKind: 'file' }) },
  options: {
    keyFile: keyFileOption('file holding the private rotation key ("-" for stdin)'),
    keyType: keyTypeOption,
    did: opt.value('--did <did>', 'the DID an update is for, when its file does not say (a file that names its DID must name this one)'),
    skipAuthorityCheck: opt.flag('--skip-authority-check', 'sign even when the key cannot be checked against the audit log or is not authorised for the operation (the directory will refuse what it must)'),
    force: removedForce('--skip-authority-check signs without the key being authorised for the operation'),
  },
  uses: ['network'],
  examples: [
    'atcli plc sign genesis.json --key-file rotation.key > signed.json',
    'atcli plc update alice.example.com --handle alice.new.example | atcli plc sign - --key-file rotation.key > signed.json',
    'ATCLI_PLC_SIGNING_KEY="$(pass show plc/rotation)" atcli plc sign op.json > signed.json',
  ],
  notes: `${KEY_SOURCES}
The key must be a rotation key of the operation its prev names (for a genesis operation: one of its own), and for a recovery one of higher priority than the signer of the first operation it nullifies; the audit log is fetched and verified to check this. The DID comes from the file (plc update writes it there), or from --did for a bare operation. The signed operation goes to stdout in a file that names its DID.
Exit status: 0 signed; 2 --did differs from the file's DID, or the DID of an update is unknown; 3 the operation is invalid, the log does not verify, or the key may not sign it (unless --skip-authority-check).`,
  async run({ args, opts, io, out, err, f, prompt }) {
    oneStdin(args.op, opts.keyFile);
    const file = await readOperationFile(io, args.op);
    const [{ operationFileDid, operationFileText }, { signPlcOperation }] = await Promise.all([import('../../../core/plc/operation-file.js'), import('../../../core/plc/sign.js')]);
    const signed = await signPlcOperation({
      operation: file.operation,
      did: operationFileDid(file, opts.did),
      skipAuthorityCheck: opts.skipAuthorityCheck,
      directory: () => f.plc(),
      privateKey: async () =>
        (await loadPrivateKey(io, prompt, {
          file: opts.keyFile,
          envName: KEY_ENV,
          ...(opts.keyType !== undefined ? { keyType: opts.keyType } : {}),
          promptMessage: 'Private rotation key (input hidden)',
        }))!,
    });
    showWarnings(err, signed.warnings, signed.warningsOmitted);
    const by = signed.signedBy.keyIndex !== null ? `rotation key #${signed.signedBy.keyIndex} ` : '';
    err.info(`signed with ${by}${signed.signedBy.key}; operation CID ${signed.cid}${signed.genesis ? `; it creates ${signed.did}` : ''}`);
    await out.text(operationFileText(signed.operation, signed.did));
  },
});
