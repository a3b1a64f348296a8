import type { LegacySpec } from '../../spec.js';
import { registerFirehoseCommands } from '../tree/firehose.js';

const node: LegacySpec = { kind: 'legacy', register: registerFirehoseCommands };
export default node;
