import type { LegacySpec } from '../../spec.js';
import { registerLexCommands } from '../tree/lex.js';

const node: LegacySpec = { kind: 'legacy', register: registerLexCommands };
export default node;
