import { child, defineGroup } from '../../../spec.js';

export default defineGroup({
  description:
    'A rotation key you hold yourself, at the top of your did:plc identity: with it you can undo what your PDS (or anyone holding a lower rotation key) does to your identity within 72 hours, and move to another PDS without the old one.',
  examples: ['atcli key generate --recovery -o ~/offline/recovery.key', 'atcli account recovery-key add did:key:zQ3sh…'],
  commands: {
    add: child('add your own key as the highest-priority rotation key (the PDS signs the update after an e-mailed code)', () => import('./add.js')),
  },
});
