import { usage } from '../../../core/errors.js';
import { arg, opt } from '../../flags.js';
import { loadPrivateKey } from '../../inputs.js';
import { defineCommand } from '../../spec.js';
import { KEY_ENV, keyFileOption, keyTypeOption, oneStdin, readOperationFile, removedForce, showChanges, showWarnings, waitFor } from './shared.js';

export default defineCommand({
  args: { op: arg.required('signed.json|-', 'the signed operation, as plc sign wrote it ("-" for stdin)', { valueKind: 'file' }) },
  options: {
    did: opt.value('--did <did>', 'the DID an update is for, when its file does not say (a file that names its DID must name this one)'),
    keyFile: keyFileOption(`a private rotation key you also hold, for the lock-out check (${KEY_ENV} counts too)`),
    keyType: keyTypeOption,
    allowLosingKeys: opt.flag('--allow-losing-keys', 'submit even though you would hold none of the new rotation keys (you could never update or recover the identity again)'),
    allowTombstone: opt.flag('--allow-tombstone', 'submit a tombstone: it deactivates the DID (only a recovery within 72 hours can undo it)'),
    allowInvalidLog: opt.flag('--allow-invalid-log', 'submit even though the DID\'s audit log does not verify'),
    force: removedForce('say which check to skip: --allow-losing-keys, --allow-tombstone or --allow-invalid-log'),
  },
  uses: ['network', 'dryRun', 'yes'],
  examples: [
    'atcli plc submit signed.json',
    'atcli plc submit signed.json --dry-run --json',
    'atcli plc sign op.json --key-file k | atcli plc submit - --yes',
  ],
  notes: `Checked before anything is sent (exit 3 when a check fails, and no request changes anything): the operation's shape and strict signature encoding (no padding, 64-byte low-S); a signature by an authorised rotation key for its prev (against a freshly fetched, verified audit log); prev is the current head (or a permitted recovery, whose nullified operations are listed); the resulting document is well formed (handle, endpoint, keys, limits); and that you keep a rotation key you hold.
The keys you hold: the one that signed the operation, plus any given with --key-file or ${KEY_ENV}. An operation that leaves none of them among the new rotation keys is refused unless --allow-losing-keys, a tombstone unless --allow-tombstone.
The DID is named in a confirmation unless --yes (without a terminal, --yes is required: exit 2). --dry-run prints what would be sent. After the POST, atcli checks that the directory's latest operation is this one.
Exit status: 0 submitted (or, with --dry-run, checked); 2 usage, or no confirmation; 3 refused by a check or by the directory; 4 unknown DID.`,
  async run({ args, opts, g, io, out, err, f, prompt }) {
    oneStdin(args.op, opts.keyFile);
    const file = await readOperationFile(io, args.op, 'required');
    const op = file.operation;
    const [{ operationFileDid }, { requireBuildable }, { checkSubmission, submitChecked }, { isGenesis, isSigned }] = await Promise.all([
      import('../../../core/plc/operation-file.js'),
      import('../../../core/plc/prepare.js'),
      import('../../../core/plc/submit.js'),
      import('../../../core/plc/operation.js'),
    ]);
    if (!isSigned(op)) throw usage('InvalidOperationFile', 'the operation is not signed');
    showWarnings(err, requireBuildable(op, 'to submit this operation'), 0);
    const did = operationFileDid(file, opts.did);
    const held = await loadPrivateKey(io, prompt, { file: opts.keyFile, envName: KEY_ENV, ...(opts.keyType !== undefined ? { keyType: opts.keyType } : {}) });
    const client = await f.plc();
    const check = await waitFor(err, `checking the operation against the audit log at ${client.baseUrl}`, () =>
      checkSubmission(client, op, {
        ...(did !== undefined ? { did } : {}),
        heldKeys: held !== undefined ? [held.publicKey.did()] : [],
        allowLosingKeys: opts.allowLosingKeys,
        allowTombstone: opts.allowTombstone,
        allowInvalidLog: opts.allowInvalidLog,
      }),
    );
    showWarnings(err, check.overridden, 0);
    const signer = `signed by rotation key #${check.signer.keyIndex} ${check.signer.key}`;
    showChanges(err, `operation ${check.cid} for ${check.did} (prev: ${check.prevLabel}; ${signer}); changes to the current state:`, check.changes, check.changesOmitted);
    for (const n of check.nullifies) err.warn(`this RECOVERY nullifies ${n.label}`);
    if (check.nullifiesOmitted > 0) err.warn(`this RECOVERY nullifies ${check.nullifiesOmitted} more operations`);
    const url = `${client.baseUrl}/${check.did}`;
    const changes = check.changes.map((c) => c.message);
    const nullifies = check.nullifies.map((n) => n.cid);
    if (g.dryRun) {
      const plan = { dryRun: true, did: check.did, url, method: 'POST', cid: check.cid, prev: op.prev, signedBy: check.signer, nullifies, changes, changesOmitted: check.changesOmitted, operation: op, submitted: false };
      await out.result(plan, (p) => `dry run: would POST to ${p.url}:\n${JSON.stringify(p.operation, null, 2)}`);
      return;
    }
    await prompt.require(`Submit this operation for ${check.did} to ${client.baseUrl}?`, 'not submitted: cancelled at the confirmation');
    await waitFor(err, `submitting to ${client.baseUrl}`, () => submitChecked(client, check));
    const result = { did: check.did, cid: check.cid, submitted: true, confirmed: true, genesis: isGenesis(op), signedBy: check.signer, nullified: nullifies, changes, changesOmitted: check.changesOmitted };
    await out.result(result, (r) => `${out.mark('ok')} submitted ${r.cid} for ${r.did}; the directory's latest operation is now this one`);
  },
});
