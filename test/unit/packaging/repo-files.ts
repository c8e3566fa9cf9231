import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * The packaging tests read the repository's own files (compose file, Dockerfile, manifest,
 * README): they check what a new user copies and runs, so there is nothing to fake.
 */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function repoPath(relativePath: string): string {
  return path.join(REPO_ROOT, relativePath);
}

export function repoFileExists(relativePath: string): boolean {
  return existsSync(repoPath(relativePath));
}

export function readRepoFile(relativePath: string): string {
  return readFileSync(repoPath(relativePath), 'utf8');
}

/** Parses a YAML file of the repository; `merge` resolves `<<: *anchor` as Docker Compose does. */
export function readRepoYaml(relativePath: string): unknown {
  return parse(readRepoFile(relativePath), { merge: true, uniqueKeys: true });
}

/** Narrows an unknown YAML node to a mapping, failing the test with the path when it is not one. */
export function mapping(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where} should be a mapping, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Narrows an unknown YAML node to a list. */
export function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where} should be a list, got ${JSON.stringify(value)}`);
  return value;
}
