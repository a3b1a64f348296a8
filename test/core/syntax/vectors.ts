import { readFileSync } from 'node:fs';

export interface VectorCase {
  /** Short display name for the test title (line number + truncated, JSON-quoted value). */
  name: string;
  /** The exact line, whitespace included. */
  value: string;
}

/**
 * Read an interop vector file the way the upstream test suites do: split on '\n', skip
 * empty lines and lines starting with '#', and keep every other line exactly as written
 * (leading/trailing whitespace is part of the case).
 */
export function readVectors(file: string): VectorCase[] {
  const url = new URL(`../../fixtures/interop/syntax/${file}`, import.meta.url);
  const lines = readFileSync(url, 'utf8').split('\n');
  const cases: VectorCase[] = [];
  lines.forEach((line, idx) => {
    if (line.length === 0 || line.startsWith('#')) return;
    const shown = line.length > 60 ? `${line.slice(0, 60)}…(${line.length} chars)` : line;
    cases.push({ name: `${file}:${idx + 1} ${JSON.stringify(shown)}`, value: line });
  });
  if (cases.length === 0) throw new Error(`no vectors in ${file}`);
  return cases;
}
