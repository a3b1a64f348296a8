#!/usr/bin/env node
import module from 'node:module';

// `atcli --version` answers without loading the CLI at all.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  // Node >= 22.8 caches compiled code between runs; a no-op where unavailable.
  try {
    module.enableCompileCache?.();
  } catch {}
  const { main } = await import('../dist/cli/main.js');
  await main(args);
}
