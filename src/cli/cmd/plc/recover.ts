import { defineCommand } from '../../spec.js';
import { arg, did, opt } from '../../flags.js';
import { loadPrivateKey } from '../../inputs.js';
import type { RecoverResult } from '../../../core/plc/recover.js';
import { KEY_ENV, KEY_SOURCES, keyFileOption, keyTypeOption, showWarnings, waitFor } from './shared.js';

function describe(r: RecoverResult): string {
  const lines = [
    `operation to undo: ${r.target.cid} (#${r.target.index}, ${r.target.createdAt}${r.target.signedBy ? `, signed by rotation key #${r.target.signedBy.keyIndex} ${r.target.signedBy.key}` : ''})`,
    `recovery window: until ${r.target.window.endsAt}`,
    `new operation ${r.cid ?? '?'} on prev ${r.prev}${r.signedBy ? `, signed by your rotation key #${r.signedBy.keyIndex} ${r.signedBy.key}` : ''}`,
    `nullifies: ${r.nullifies.join(', ')}`,
    ...(r.changes.length > 0 ? ['changes to the current state:', ...r.changes.map((c) => `  ${c}`)] : ['no change to the current state besides nullifying']),
  ];
  return lines.join('\n');
}

export default defineCommand({
  description:
    'Undoes an unwanted operation of a did:plc identity within its 72-hour recovery window: a new operation on the one before it, restoring the state before it and signed with a rotation key of yours that has a higher priority than the key that signed it. Everything is checked against the verified audit log before the key signs and before anything is sent.',
  args: { did: arg.requiredParsed('did', 'the did:plc identity', did) },
  options: {
    nullify: opt.required('--nullify <cid>', 'CID of the operation to undo (atcli plc history and atcli plc watch name it)', { valueKind: 'none' }),
    keyFile: keyFileOption(`your private rotation key (or ${KEY_ENV}, or a hidden prompt)`),
    keyType: keyTypeOption,
    removeRotationKey: opt.list('--remove-rotation-key <did:key>', 'also drop this rotation key from the restored state (repeatable), e.g. the key that signed the unwanted operation', { valueKind: 'none' }),
  },
  uses: ['network', 'dryRun', 'yes'],
  examples: [
    'atcli plc recover did:plc:ewvi7nxzyoun6zhxrhs64oiz --nullify bafyrei… --key-file recovery.key',
    'atcli plc recover did:plc:… --nullify bafyrei… --key-file recovery.key --dry-run --json',
  ],
  notes: `${KEY_SOURCES}\nThe operation is shown and confirmed before it is sent (--yes confirms; without a terminal --yes is required). --dry-run builds, checks and signs it, and sends nothing. After sending, the audit log is fetched again to confirm the unwanted operation is nullified.\nJSON: status (dry-run|recovered|already-nullified), did, target (cid, index, createdAt, signedBy, window), nullifies, prev, operation, cid, signedBy, changes, verified, warnings.\nExit status: 0 recovered (or checked with --dry-run, or nullified already), 1 sent but not confirmed, 2 usage or not confirmed, 3 refused (window closed, key not a rotation key or not of higher priority, log invalid), 4 unknown DID or operation.`,
  async run({ args, opts, g, io, out, err, f, prompt }) {
    const key = await loadPrivateKey(io, prompt, {
      file: opts.keyFile,
      envName: KEY_ENV,
      ...(opts.keyType !== undefined ? { keyType: opts.keyType } : {}),
      promptMessage: 'Private rotation key',
    });
    const { recoverPlc } = await import('../../../core/plc/recover.js');
    const plc = await f.plc();
    const base = { plc, did: args.did, nullify: opts.nullify, key: key!, removeRotationKeys: opts.removeRotationKey };
    const plan = await waitFor(err, `checking ${opts.nullify} against the audit log of ${args.did}`, () => recoverPlc({ ...base, dryRun: true }));
    showWarnings(err, plan.warnings, 0);
    if (plan.status === 'already-nullified' || g.dryRun) {
      await out.result(plan, (r) => (r.status === 'already-nullified' ? `${out.mark('ok')} ${r.target.cid} is already nullified: nothing to do` : `dry run, nothing sent:\n${describe(r)}\n${JSON.stringify(r.operation, null, 2)}`));
      return;
    }
    if (!out.json) err.info(describe(plan));
    await prompt.require(`Submit this recovery operation for ${args.did} to ${plc.baseUrl}?`, 'not submitted: cancelled at the confirmation');
    const result = await waitFor(err, `submitting to ${plc.baseUrl}`, () => recoverPlc(base));
    await out.result(result, (r) => `${out.mark('ok')} ${r.target.cid} is nullified: the directory's head is now ${r.verified?.head ?? r.cid ?? '?'}`);
  },
});
