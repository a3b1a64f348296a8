import { VERSION } from '../context.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  examples: ['atcli version', 'atcli version --json'],
  notes: 'The same as "atcli --version" (or "atcli --json --version").',
  async run({ out }) {
    await out.result({ version: VERSION, node: process.version, platform: `${process.platform}-${process.arch}` }, (v) => v.version);
  },
});
