import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as entry from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { App, HTTPReceiver, SocketModeReceiver } from '../../../src/slack/bolt.js';
import { REPO_ROOT } from '../packaging/repo-files.js';

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((item) => {
    const full = path.join(directory, item.name);
    if (item.isDirectory()) return sourceFiles(full);
    return item.name.endsWith('.ts') ? [full] : [];
  });
}

/** An import or re-export of a value from the package entry; `import type` loads nothing. */
const VALUE_IMPORT_OF_ENTRY =
  /^\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+'@slack\/bolt'|import\(\s*'@slack\/bolt'\s*\)/m;

describe('Bolt classes loaded from their own files', () => {
  it('are the very classes the package entry exports', () => {
    expect(App).toBe(entry.App);
    expect(HTTPReceiver).toBe(entry.HTTPReceiver);
    expect(SocketModeReceiver).toBe(entry.SocketModeReceiver);
  });

  it('are the only way the bot loads Bolt: no source imports a value from the entry', () => {
    const offenders = sourceFiles(path.join(REPO_ROOT, 'src')).filter((file) =>
      VALUE_IMPORT_OF_ENTRY.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map((file) => path.relative(REPO_ROOT, file))).toEqual([]);
  });

  it('tells a value import of the entry from a type-only one', () => {
    expect(VALUE_IMPORT_OF_ENTRY.test("import { App } from '@slack/bolt';")).toBe(true);
    expect(VALUE_IMPORT_OF_ENTRY.test("import { type App, LogLevel } from '@slack/bolt';")).toBe(true);
    expect(VALUE_IMPORT_OF_ENTRY.test("const bolt = await import('@slack/bolt');")).toBe(true);
    expect(VALUE_IMPORT_OF_ENTRY.test("import type { App, RespondFn } from '@slack/bolt';")).toBe(false);
    expect(VALUE_IMPORT_OF_ENTRY.test("import type * as bolt from '@slack/bolt';")).toBe(false);
    expect(VALUE_IMPORT_OF_ENTRY.test("import appFile from '@slack/bolt/dist/App.js';")).toBe(false);
  });
});
