// Bundles the CLI with esbuild: one entry plus lazily loaded chunks per command group,
// so start-up parses only what the invoked command needs.
//
// Start-up cost grows with the number of files the ES module loader has to resolve, read and link
// before the first line runs. esbuild cuts shared code into one chunk per distinct set of entry
// points that reach it, which left the entry's own static imports spread over ~17 chunks. The
// build therefore runs twice: the first pass finds every source file the entry loads statically
// (the hot path), the second makes every other source file import the entry module, so all
// entries reach the hot path and esbuild emits it as one chunk. Nothing changes at run time but
// the chunk layout: those files would have been loaded before any command module anyway.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const root = resolve(new URL('..', import.meta.url).pathname);
const entry = resolve(root, 'src/cli/main.ts');
const outdir = resolve(root, 'dist');

const options = {
  entryPoints: { 'cli/main': entry },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  define: { __ATCLI_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies call require() for Node built-ins; give the ESM bundle one.
  banner: { js: "import { createRequire as __atcliCreateRequire } from 'node:module'; const require = __atcliCreateRequire(import.meta.url);" },
};

/** The source files in the entry's static import graph (first pass, written nowhere). */
async function hotPathSources() {
  const { metafile } = await build({ ...options, write: false, sourcemap: false, metafile: true });
  const outputs = metafile.outputs;
  const entryOutput = Object.keys(outputs).find((name) => outputs[name].entryPoint !== undefined);
  const reached = new Set();
  const visit = (name) => {
    if (reached.has(name)) return;
    reached.add(name);
    for (const imported of outputs[name].imports) if (imported.kind === 'import-statement' && outputs[imported.path]) visit(imported.path);
  };
  visit(entryOutput);
  const sources = new Set();
  for (const name of reached) for (const input of Object.keys(outputs[name].inputs)) sources.add(resolve(root, input));
  return sources;
}

const hot = await hotPathSources();
const hotPathInOneChunk = {
  name: 'hot-path-in-one-chunk',
  setup(b) {
    b.onLoad({ filter: /\/src\/.*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      return { contents: hot.has(args.path) ? source : `import ${JSON.stringify(entry)};\n${source}`, loader: 'ts' };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({ ...options, plugins: [hotPathInOneChunk] });
