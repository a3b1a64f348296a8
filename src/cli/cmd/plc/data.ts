import type { PlcData } from '../../../core/plc/types.js';
import type { Output } from '../../render/output.js';
import { capped } from '../../render/text.js';
import { defineCommand } from '../../spec.js';
import { SHOWN, idArg, plcDid, waitFor } from './shared.js';

/** One row per value, the label on the first; a long list (only a hostile directory serves one) is cut. */
function rowsOf(label: string, values: readonly string[]): string[][] {
  if (values.length === 0) return [[label, '(none)']];
  const { shown, more } = capped(values, SHOWN);
  const rows = shown.map((v, i) => [i === 0 ? label : '', v]);
  if (more > 0) rows.push(['', `… and ${more} more (all of them with --json)`]);
  return rows;
}

function render(out: Output, d: PlcData): Promise<string> {
  const handle = d.alsoKnownAs.find((a) => a.startsWith('at://'));
  return out.table([
    ['did', d.did],
    ['handle', handle === undefined ? '(none)' : handle.slice('at://'.length)],
    ...rowsOf('alsoKnownAs', d.alsoKnownAs),
    ...rowsOf('rotation keys', d.rotationKeys.map((k, i) => `#${i} ${k}${i === 0 ? '  (highest priority)' : ''}`)),
    ...rowsOf('verification methods', Object.entries(d.verificationMethods).map(([n, k]) => `${n}  ${k}`)),
    ...rowsOf('services', Object.entries(d.services).map(([n, s]) => `${n}  ${s.type}  ${s.endpoint}`)),
  ]);
}

export default defineCommand({
  args: { id: idArg },
  uses: ['network'],
  examples: ['atcli plc data alice.example.com', 'atcli plc data did:plc:ewvi7nxzyoun6zhxrhs64oiz --json'],
  notes: 'The state as the directory serves it (GET /<did>/data), not checked against the audit log: "atcli plc verify" does that.\nExit status: 0, 4 unknown or deactivated DID.',
  async run({ args, out, err, f }) {
    const did = await plcDid(f, err, args.id);
    const client = await f.plc();
    const data = await waitFor(err, `fetching the PLC data of ${did}`, () => client.getData(did));
    await out.result(data, (d) => render(out, d));
  },
});
