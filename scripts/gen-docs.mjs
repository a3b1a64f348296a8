// Writes man/ and completions/ from the command tree (run after a build: `npm run gen`).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { generatedDocs } = await import('../dist/cli/main.js');
const files = await generatedDocs();
for (const dir of ['man', 'completions']) {
  for (const name of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (name.isFile()) rmSync(join(root, dir, name.name));
  }
}
for (const [path, content] of files) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}
console.error(`wrote ${files.size} files under man/ and completions/`);
