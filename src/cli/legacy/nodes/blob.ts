import type { LegacySpec } from '../../spec.js';
import { registerBlobCommands } from '../tree/blob.js';

const node: LegacySpec = { kind: 'legacy', register: registerBlobCommands };
export default node;
