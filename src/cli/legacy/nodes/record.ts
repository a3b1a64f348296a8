import type { LegacySpec } from '../../spec.js';
import { registerRecordCommands } from '../tree/record.js';

const node: LegacySpec = { kind: 'legacy', register: registerRecordCommands };
export default node;
