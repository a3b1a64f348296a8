// `npm run bench`: every benchmark, each reported as a ratio against a peer measured in the same run.
import { benchStartup } from './startup.mjs';

const only = process.argv[2];
const benches = { startup: benchStartup };
const results = [];
for (const [name, fn] of Object.entries(benches)) {
  if (only && only !== name) continue;
  process.stderr.write(`running ${name}…\n`);
  const result = await fn();
  results.push(result);
  console.log(`\n## ${result.bench}  (${result.target})`);
  console.table(result.rows);
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results, null, 2));
