import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description:
    'did:plc identities: read and verify their PLC log; build, sign and submit operations. Everything is checked locally before a key is asked for or anything is sent. An operation travels from update to sign to submit in a file that names its DID.',
  examples: [
    'atcli plc history alice.example.com',
    'atcli plc verify did:plc:ewvi7nxzyoun6zhxrhs64oiz',
    'atcli plc update did:plc:ewvi7nxzyoun6zhxrhs64oiz --handle new.example.com > op.json && atcli plc sign op.json --key-file rot.key > signed.json && atcli plc submit signed.json',
  ],
  commands: {
    history: child("the DID's audit log: every operation with its signer, nullification and validity", () => import('./history.js')),
    data: child('the current state: rotation keys (in priority order), verification methods, handles, services', () => import('./data.js')),
    verify: child('replay the whole log and, online, compare the DID document it derives with the directory’s', () => import('./verify.js')),
    genesis: child('build an unsigned genesis operation for a new identity (JSON on stdout), checked first', () => import('./genesis.js')),
    update: child('build an unsigned update on the current state (after verifying the audit log)', () => import('./update.js')),
    sign: child('sign an operation with a rotation key, after checking the key may sign it', () => import('./sign.js')),
    submit: child('check a signed operation locally, confirm, and submit it to the directory', () => import('./submit.js')),
    'calc-did': child('the DID a signed genesis operation creates (checked: strict shape, signed by its own rotation key)', () => import('./calc-did.js')),
    watch: child('watch identities for operations not signed by your own rotation keys; each finding with its recovery window and remedy', () => import('./watch.js')),
    recover: child('undo an unwanted operation within its 72-hour window, signed with a higher-priority rotation key of yours', () => import('./recover.js')),
    dump: child("stream the directory's export as NDJSON; --tail keeps polling for new operations", () => import('./dump.js')),
  },
});
