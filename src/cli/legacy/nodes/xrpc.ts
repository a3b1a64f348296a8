import type { LegacySpec } from '../../spec.js';
import { registerXrpcCommands } from '../tree/xrpc.js';

const node: LegacySpec = { kind: 'legacy', register: registerXrpcCommands };
export default node;
