/**
 * Zone state written by an earlier release (test/fixtures/state/*.json), as the strings that
 * release left in Redis: upgrade tests store them, then read them with the current code.
 */
import { readFileSync } from 'node:fs';

/** Reads test/fixtures/state/<name>, a JSON array, as one stored JSON string per element. */
export function readStoredStrings(name: string): string[] {
  const elements = JSON.parse(
    readFileSync(new URL(`../fixtures/state/${name}`, import.meta.url), 'utf8'),
  ) as unknown[];
  return elements.map((element) => JSON.stringify(element));
}
