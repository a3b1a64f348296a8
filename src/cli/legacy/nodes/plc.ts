import type { LegacySpec } from '../../spec.js';
import { registerPlcCommands } from '../tree/plc.js';

const node: LegacySpec = { kind: 'legacy', register: registerPlcCommands };
export default node;
