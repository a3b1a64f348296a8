// Core is a library: its messages and hints state what is wrong in protocol terms and never name
// a CLI flag, an atcli command or one of the CLI's environment variables (the command layer adds
// those from its hint tables, src/cli/hints/). Checked over the source of these core areas.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const AREAS = ['account', 'blob', 'xrpc', 'net', 'identity'];
const CLI_TERMS = [
  /\batcli (account|blob|xrpc|repo|record|plc|lex|firehose|key|syntax|resolve)\b/,
  /(^|[\s('"`])--[a-z][a-z-]*/,
  /\bATCLI_[A-Z]/,
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('core messages name no CLI flags, commands or variables', () => {
  it.each(AREAS)('src/core/%s', (area) => {
    const root = new URL(`../../../src/core/${area}/`, import.meta.url).pathname;
    const found: string[] = [];
    for (const file of sources(root)) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.trim();
          if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
          if (CLI_TERMS.some((re) => re.test(code))) found.push(`${file.slice(root.length)}:${i + 1}: ${code}`);
        });
    }
    expect(found).toEqual([]);
  });
});
