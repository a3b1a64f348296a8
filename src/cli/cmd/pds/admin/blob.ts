import { child, defineCommand, defineGroup } from '../../../spec.js';
import { ADMIN_NOTE, cidArg, idArg, openAdmin, pdsOption } from './connect.js';

const status = defineCommand({
  description: "The blob's takedown state as the PDS reports it (com.atproto.admin.getSubjectStatus); a blob that never had one reports none.",
  args: { id: idArg, cid: cidArg },
  options: { pds: pdsOption },
  uses: ['network'],
  examples: ['atcli pds admin blob status alice.example.com bafkrei… --pds https://pds.example.com'],
  notes: `JSON: did, cid, takedown ({applied, ref} or null). Exit status: 0 reported, 2 not a blob CID, 4 no such account. ${ADMIN_NOTE}`,
  async run({ args, opts, io, prompt, f, out }) {
    const { blobStatus } = await import('../../../../core/pds/admin.js');
    const s = await blobStatus(await openAdmin({ io, prompt, f }, opts.pds), args.id, args.cid);
    await out.result(s, (r) =>
      out.fields([
        ['did', r.did],
        ['cid', r.cid],
        ['takedown', r.takedown === null ? 'none recorded' : r.takedown.applied ? `${out.c.red('taken down')}${r.takedown.ref !== undefined ? ` (ref ${r.takedown.ref})` : ''}` : 'not taken down'],
      ]),
    );
  },
});

export default defineGroup({
  examples: ['atcli pds admin blob takedown alice.example.com bafkrei… --pds https://pds.example.com --ref case-7', 'atcli pds admin blob status alice.example.com bafkrei… --pds https://pds.example.com --json'],
  commands: {
    takedown: child('stop serving one blob of an account (asks first; --yes, --dry-run)', () => import('./actions.js').then((m) => ({ default: m.blobTakedown }))),
    untakedown: child('serve a taken-down blob again', () => import('./actions.js').then((m) => ({ default: m.blobUntakedown }))),
    status: child("a blob's takedown state", async () => ({ default: status })),
  },
});
