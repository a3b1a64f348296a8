import { existsSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const networkSetup = 'test/setup/network.global.ts';

export default defineConfig({
  define: { __ATCLI_VERSION__: JSON.stringify(pkg.version) },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/network/**'],
    globalSetup: existsSync(networkSetup) ? [networkSetup] : [],
    testTimeout: 30000,
    hookTimeout: 120000,
    pool: 'forks',
  },
});
