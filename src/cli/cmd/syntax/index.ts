import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  examples: ['atcli syntax check handle alice.example.com', 'atcli syntax tid generate'],
  commands: {
    check: child('check values against the atproto syntax rules (exit 0 valid, 3 invalid with the reason)', () => import('./check.js')),
    tid: child('generate or inspect timestamp identifiers (TIDs)', () => import('./tid.js')),
  },
});
