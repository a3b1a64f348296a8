import { defineCommand } from '../../../spec.js';
import { arg } from '../../../flags.js';
import { readJsonArgument } from '../../../inputs.js';
import { showChanges } from './changes.js';

const MAX_OPERATION_BYTES = 256 * 1024;

export default defineCommand({
  description:
    'Checks a signed identity update of the logged-in did:plc and submits it through the PDS (com.atproto.identity.submitPlcOperation). Checked before anything is sent: strict shape; prev is the head of a freshly fetched, verified audit log; the signature verifies with a rotation key of that head; the document is well formed; the directory would accept it next. Afterwards the directory\'s head must be it.',
  args: { operation: arg.required('signed.json|-', 'the signed operation or operation file ("-" for stdin)', { valueKind: 'file' }) },
  uses: ['network', 'auth', 'dryRun', 'yes'],
  examples: ['atcli account plc submit signed.json', 'atcli account plc submit signed.json --dry-run', 'atcli account plc submit signed.json --yes'],
  notes: 'Asks for confirmation unless --yes (without a terminal --yes is required).\nExit status: 0 submitted (or already the head), 3 refused by the checks (nothing sent), 2 not confirmed, 1 not confirmed by the directory, 5 not logged in.',
  async run({ args, io, g, out, err, prompt, f }) {
    const json = await readJsonArgument(io, args.operation, 'signed operation', MAX_OPERATION_BYTES);
    const update = await import('../../../../core/account/plc-update.js');
    const submission = update.parsePdsSubmission(json);
    const { client, session } = await f.session();
    const plc = await f.plc();
    const check = await update.checkPdsSubmission(plc, session.did, submission);
    const did = check.did;
    if (check.alreadyApplied) {
      return out.result({ did, cid: check.cid, submitted: false, alreadyApplied: true }, (r) => `${r.cid} is already the latest operation of ${r.did}: nothing to do`);
    }
    for (const w of check.warnings) err.warn(w);
    const changes = check.changes.map((c) => c.message);
    showChanges(err, `operation ${check.cid} for ${did} (prev ${check.operation.prev}; signed by rotation key #${check.signedBy?.keyIndex} ${check.signedBy?.key}):`, check.changes);
    if (g.dryRun) {
      return out.result({ dryRun: true, did, cid: check.cid, submitted: false, via: client.service, changes }, (r) => `dry run: would submit ${r.cid} via ${r.via}`);
    }
    await prompt.require(`Submit this identity update for ${did} via ${new URL(client.service).host}?`, 'not submitted: cancelled at the confirmation');
    await update.submitPdsUpdate(client, plc, check);
    await out.result({ did, cid: check.cid, submitted: true, changes }, (r) => `submitted ${r.cid} for ${r.did}; the directory's latest operation is now this one`);
  },
});
