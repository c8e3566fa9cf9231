import { readFileSync } from 'node:fs';
import type { AppsManifestCreateArguments } from '@slack/web-api';
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { COMMAND_GRAMMAR, COMMAND_NAME } from '../../../src/render/help.js';
import { list, mapping, readRepoFile, readRepoYaml } from './repo-files.js';

type Manifest = AppsManifestCreateArguments['manifest'];
type Settings = NonNullable<Manifest['settings']>;
type Features = NonNullable<Manifest['features']>;
type SlashCommand = NonNullable<Features['slash_commands']>[number];

// Key lists checked against @slack/web-api's manifest types, so a misspelt key fails here
// instead of being rejected (or silently ignored) when someone pastes the manifest into Slack.
const TOP_LEVEL_KEYS = ['_metadata', 'display_information', 'features', 'oauth_config', 'settings'] as const;
const SETTINGS_KEYS = [
  'event_subscriptions',
  'interactivity',
  'org_deploy_enabled',
  'socket_mode_enabled',
  'token_rotation_enabled',
] as const satisfies readonly (keyof Settings)[];
const FEATURES_KEYS = [
  'app_home',
  'bot_user',
  'slash_commands',
] as const satisfies readonly (keyof Features)[];
const SLASH_COMMAND_KEYS = [
  'command',
  'description',
  'usage_hint',
  'should_escape',
] as const satisfies readonly (keyof SlashCommand)[];

const manifest = mapping(readRepoYaml('manifest.yml'), 'manifest.yml');
const display = mapping(manifest.display_information, 'display_information');
const features = mapping(manifest.features, 'features');
const settings = mapping(manifest.settings, 'settings');
const commands = list(features.slash_commands, 'features.slash_commands');
const command = mapping(commands[0], 'features.slash_commands[0]');

const Ajv = AjvModule.default;

/**
 * Slack's published manifest schema (slackapi/manifest-schema, vendored with its LICENSE and
 * SOURCE in test/fixtures/slack-manifest-schema), one file per `_metadata.major_version`.
 */
function manifestSchema(majorVersion: number): Record<string, unknown> {
  const file = new URL(
    `../../fixtures/slack-manifest-schema/manifest.schema.${majorVersion}.0.0.json`,
    import.meta.url,
  );
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

const validators = new Map<number, ReturnType<InstanceType<typeof Ajv>['compile']>>();

/** Every schema violation as `path: message`, so a failure names the key at fault. */
function schemaViolations(document: unknown, majorVersion: number): string[] {
  const validate =
    validators.get(majorVersion) ??
    new Ajv({ allErrors: true, strict: false }).compile(manifestSchema(majorVersion));
  validators.set(majorVersion, validate);
  if (validate(document)) return [];
  return (validate.errors ?? []).map(
    (error) => `${error.instancePath || '/'}: ${error.message ?? 'invalid'} ${JSON.stringify(error.params)}`,
  );
}

describe('manifest.yml', () => {
  it("is valid against Slack's published manifest schema for its major version", () => {
    const metadata = mapping(manifest._metadata, '_metadata');
    expect(metadata.major_version).toBe(1);
    expect(schemaViolations(manifest, 1)).toEqual([]);
  });

  it('is checked by a schema that rejects what Slack rejects', () => {
    // A misspelt key, a wrong type and an event subscription without http(s) each fail.
    expect(schemaViolations({ ...manifest, feature: {} }, 1)).not.toEqual([]);
    expect(
      schemaViolations({ ...manifest, features: { ...features, app_home: { home_tab_enabled: 'yes' } } }, 1),
    ).not.toEqual([]);
    expect(
      schemaViolations(
        { ...manifest, settings: { ...settings, event_subscriptions: { request_url: 'ftp://x' } } },
        1,
      ),
    ).not.toEqual([]);
  });

  it('uses only keys the Slack manifest schema knows', () => {
    expect(Object.keys(manifest).sort()).toEqual([...TOP_LEVEL_KEYS].sort());
    expect(Object.keys(settings).sort()).toEqual([...SETTINGS_KEYS].sort());
    expect(Object.keys(features).sort()).toEqual([...FEATURES_KEYS].sort());
    expect(Object.keys(command).sort()).toEqual([...SLASH_COMMAND_KEYS].sort());
  });

  it('asks for exactly the bot scopes the bot uses: commands and chat:write', () => {
    const scopes = mapping(mapping(manifest.oauth_config, 'oauth_config').scopes, 'oauth_config.scopes');
    expect(scopes).toEqual({ bot: ['commands', 'chat:write'] });
  });

  it('turns on the Home tab and subscribes to app_home_opened alone, with no request URL in Socket Mode', () => {
    expect(features.app_home).toEqual({
      home_tab_enabled: true,
      messages_tab_enabled: false,
      messages_tab_read_only_enabled: false,
    });
    expect(settings.event_subscriptions).toEqual({ bot_events: ['app_home_opened'] });
  });

  it('turns on interactivity for the card and alert buttons, and Socket Mode', () => {
    expect(settings.interactivity).toEqual({ is_enabled: true });
    expect(settings.socket_mode_enabled).toBe(true);
  });

  it('creates the one slash command the app registers, without a request URL in Socket Mode', () => {
    expect(commands).toHaveLength(1);
    expect(command.command).toBe(COMMAND_NAME);
    expect(command.should_escape).toBe(false);
    expect(command.url).toBeUndefined();
  });

  it('names every subcommand of the grammar in the usage hint', () => {
    const keywords = COMMAND_GRAMMAR.map((line) => line.usage.split(' ')[0] ?? '').filter(
      (word) => !word.startsWith('<'),
    );
    expect(keywords).toEqual([
      'help',
      'list',
      'route',
      'digest',
      'zones',
      'watch',
      'unwatch',
      'subscribe',
      'unsubscribe',
    ]);
    const hintWords = String(command.usage_hint).split(/[\s|]+/);
    for (const keyword of keywords) expect(hintWords, keyword).toContain(keyword);
  });

  it("stays within Slack's length and character limits", () => {
    expect(String(display.name).length).toBeLessThanOrEqual(35);
    expect(String(display.description).length).toBeLessThanOrEqual(140);
    expect(String(display.long_description).length).toBeLessThanOrEqual(4000);
    const botUser = mapping(features.bot_user, 'features.bot_user');
    expect(botUser.display_name).toMatch(/^[a-z0-9._-]{1,80}$/);
    expect(String(command.command).length).toBeLessThanOrEqual(32);
    expect(String(command.description).length).toBeLessThanOrEqual(2000);
    expect(String(command.usage_hint).length).toBeLessThanOrEqual(1000);
  });

  it('explains in its comments how to switch to HTTP mode', () => {
    const text = readRepoFile('manifest.yml');
    expect(text).toContain('socket_mode_enabled: false');
    expect(text).toContain('url: https://<host>/slack/events');
    expect(text).toContain(
      'request_url: https://<host>/slack/events` under `interactivity` and under\n#      `event_subscriptions`',
    );
  });
});
