/**
 * Bolt's three classes the bot constructs, each loaded from its own file. The package's entry also
 * loads the Express and AWS Lambda receivers, and with them Express and its dependencies (about
 * 1.5 MB of heap in every process), which this bot never uses. The package publishes no `exports`
 * map, so these files are part of its layout; a unit test checks they are the very classes the
 * entry exports, so an upgrade that moves them fails there first.
 *
 * Types still come from the entry: `import type` loads nothing.
 */
import { createRequire } from 'node:module';
import type * as bolt from '@slack/bolt';

// `require`, not `import`: Node and the test runner disagree on what a CommonJS file's default
// import is (its `module.exports`, or that object's `default`); `require` is the same in both.
const require = createRequire(import.meta.url);
const defaultExportOf = <T>(file: string): T => (require(file) as { default: T }).default;

export const App = defaultExportOf<typeof bolt.App>('@slack/bolt/dist/App.js');
export type App = bolt.App;
export const HTTPReceiver = defaultExportOf<typeof bolt.HTTPReceiver>(
  '@slack/bolt/dist/receivers/HTTPReceiver.js',
);
export type HTTPReceiver = bolt.HTTPReceiver;
export const SocketModeReceiver = defaultExportOf<typeof bolt.SocketModeReceiver>(
  '@slack/bolt/dist/receivers/SocketModeReceiver.js',
);
export type SocketModeReceiver = bolt.SocketModeReceiver;
