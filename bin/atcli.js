#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.8 caches compiled code between runs; a no-op where unavailable.
try {
  module.enableCompileCache?.();
} catch {}

const { run } = await import('../dist/cli/main.js');
await run(process.argv.slice(2));
