import type { LegacySpec } from '../../spec.js';
import { registerRepoCommands } from '../tree/repo.js';

const node: LegacySpec = { kind: 'legacy', register: registerRepoCommands };
export default node;
