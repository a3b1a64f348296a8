import type { LegacySpec } from '../../spec.js';
import { registerAccountCommands } from '../tree/account.js';

const node: LegacySpec = { kind: 'legacy', register: registerAccountCommands };
export default node;
