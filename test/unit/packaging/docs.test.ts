import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULTS, loadConfig } from '../../../src/config/load.js';
import { fileConfigSchema, validateFileConfig } from '../../../src/config/schema.js';
import { CERTIFICATE_GAUGES } from '../../../src/observability/hostname-gauges.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { list, mapping, readRepoFile, readRepoYaml } from './repo-files.js';

/**
 * The README, .env.example and aop-status.example.yml are what a new user reads instead of the
 * code. These tests hold them to src/config and src/observability, so a new setting or metric
 * cannot ship undocumented and a changed default cannot leave a stale one behind.
 */
const readme = readRepoFile('README.md');
const envExample = readRepoFile('.env.example');
const loadSource = readRepoFile('src/config/load.ts');
const packageJson = mapping(JSON.parse(readRepoFile('package.json')), 'package.json');

/** The lines of one README section, from its heading to the next heading of the same or higher level. */
function readmeSection(heading: string): string[] {
  const lines = readme.split('\n');
  const start = lines.indexOf(heading);
  if (start === -1) throw new Error(`README has no heading "${heading}"`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex(
    (line, index) => index > start && /^#+ /.test(line) && line.indexOf(' ') <= level,
  );
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** Table rows of a section as cells, header and separator rows dropped. */
function tableRows(heading: string): string[][] {
  return readmeSection(heading)
    .filter((line) => line.startsWith('| ') && !line.startsWith('|---'))
    .slice(1)
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

function withoutBackticks(text: string): string {
  return text.replace(/`/g, '');
}

/** Every environment variable src/config/load.ts reads. */
function environmentVariablesRead(): string[] {
  const names = new Set<string>();
  for (const match of loadSource.matchAll(/nonEmpty\((?:sources\.)?env, '([A-Z][A-Z0-9_]+)'\)/g)) {
    names.add(match[1] ?? '');
  }
  for (const match of loadSource.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(match[1] ?? '');
  return [...names].sort();
}

/** The documented default of each variable that has one, as src/config/load.ts applies it. */
const ENV_DEFAULTS: Record<string, string> = {
  SLACK_API_URL: DEFAULTS.slackApiUrl,
  PORT: String(DEFAULTS.port),
  CLOUDFLARE_API_BASE_URL: DEFAULTS.cloudflareBaseUrl,
  REDIS_URL: DEFAULTS.redisUrl,
  AOP_REDIS_PREFIX: DEFAULTS.redisKeyPrefix,
  AOP_CONFIG: `./${DEFAULTS.configFile}`,
  AOP_ROLE: DEFAULTS.role,
  LOG_LEVEL: DEFAULTS.logLevel,
};

interface YamlKey {
  /** As the README writes it: `zones[].id`, `cloudflare.rate_limit.requests`. */
  path: string;
  /** Path segments into the parsed defaults; null under a list of objects (no default there). */
  defaultPath: string[] | null;
}

/** Walks the file schema down to its leaves, the keys a user can set. */
function yamlKeys(schema: z.ZodType, prefix: string, defaultPath: string[] | null): YamlKey[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    return yamlKeys(schema.unwrap() as z.ZodType, prefix, defaultPath);
  }
  if (schema instanceof z.ZodPipe) return yamlKeys(schema.in as z.ZodType, prefix, defaultPath);
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape).flatMap(([key, child]) =>
      yamlKeys(
        child as z.ZodType,
        prefix ? `${prefix}.${key}` : key,
        defaultPath ? [...defaultPath, key] : null,
      ),
    );
  }
  if (schema instanceof z.ZodArray && schema.element instanceof z.ZodObject) {
    return yamlKeys(schema.element, `${prefix}[]`, null);
  }
  return [{ path: prefix, defaultPath }];
}

/** A default as the README's table shows it (without backticks). */
function formatDefault(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (value === '') return '""';
  if (Array.isArray(value)) return `[${value.map((item) => formatDefault(item)).join(', ')}]`;
  return String(value);
}

function valueAt(value: unknown, segments: string[]): unknown {
  let current = value;
  for (const segment of segments) current = mapping(current, segments.join('.'))[segment];
  return current;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function githubAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** `NAME=value` and `# NAME=value` lines of .env.example. */
function envExampleAssignments(): Array<{ name: string; value: string; commented: boolean }> {
  return envExample.split('\n').flatMap((line) => {
    const match = /^(# )?([A-Z][A-Z0-9_]+)=(.*)$/.exec(line);
    return match ? [{ name: match[2] ?? '', value: match[3] ?? '', commented: match[1] !== undefined }] : [];
  });
}

/**
 * The defaults, with every optional section (`discover`) given empty so its keys' defaults, the
 * ones that apply once the section is written, are there to compare with.
 */
const fileDefaults = fileConfigSchema.parse(
  Object.fromEntries(
    Object.entries(fileConfigSchema.shape).flatMap(([key, schema]) =>
      schema instanceof z.ZodOptional && schema.unwrap() instanceof z.ZodObject ? [[key, {}]] : [],
    ),
  ),
);
const documentedYamlKeys = yamlKeys(fileConfigSchema, '', []);

describe('README first screen', () => {
  it('leads with what works with nothing installed: the demo, then the tests, then the real bot', () => {
    const firstScreen = readme.split('\n---\n')[0] ?? '';
    const steps = [
      '```sh\nnpm ci && npm run demo\n```',
      '```sh\nnpm test\n```',
      '[quick start](#quick-start)',
    ].map((step) => firstScreen.indexOf(step));
    expect(steps.every((index) => index >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    // No other command comes before the demo: the first one a newcomer copies must work as is.
    expect(firstScreen.indexOf('```sh')).toBe(steps[0]);
    expect(firstScreen).toContain('docker compose up -d redis');
  });
});

describe('README configuration reference', () => {
  const envRows = tableRows('### Environment');
  const documentedEnv = new Map<string, string>();
  for (const row of envRows) {
    for (const match of (row[0] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)) {
      documentedEnv.set(match[1] ?? '', withoutBackticks(row[2] ?? ''));
    }
  }

  it('finds every variable the config loader reads', () => {
    expect(environmentVariablesRead()).toEqual([
      'AOP_CONFIG',
      'AOP_REDIS_PREFIX',
      'AOP_ROLE',
      'CLOUDFLARE_API_BASE_URL',
      'CLOUDFLARE_API_EMAIL',
      'CLOUDFLARE_API_KEY',
      'CLOUDFLARE_API_TOKEN',
      'HOST',
      'LOG_LEVEL',
      'PORT',
      'REDIS_URL',
      'SLACK_API_URL',
      'SLACK_APP_TOKEN',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
    ]);
  });

  it('documents exactly the environment variables the config loader reads', () => {
    expect([...documentedEnv.keys()].sort()).toEqual(environmentVariablesRead());
  });

  it('states the default the loader applies for every variable that has one', () => {
    for (const [name, value] of Object.entries(ENV_DEFAULTS)) {
      const documented = documentedEnv.get(name);
      if (name === 'AOP_CONFIG') expect(documented).toBe(`${value} when present`);
      else expect(documented, name).toBe(value);
    }
  });

  it('documents every key of the YAML file', () => {
    const documented = tableRows('### The YAML file').map((row) => withoutBackticks(row[0] ?? ''));
    expect(documented).toEqual(documentedYamlKeys.map((key) => key.path));
  });

  it('states the schema default of every YAML key that has one', () => {
    const defaults = new Map(
      tableRows('### The YAML file').map((row) => [
        withoutBackticks(row[0] ?? ''),
        withoutBackticks(row[2] ?? ''),
      ]),
    );
    for (const key of documentedYamlKeys) {
      if (key.defaultPath === null) continue;
      expect(defaults.get(key.path), key.path).toBe(formatDefault(valueAt(fileDefaults, key.defaultPath)));
    }
  });
});

describe('.env.example', () => {
  it('mentions every variable the config loader reads', () => {
    const mentioned = new Set(envExampleAssignments().map((assignment) => assignment.name));
    expect([...mentioned].sort()).toEqual(environmentVariablesRead());
  });

  it('shows the real default in every commented-out line of a variable that has one', () => {
    for (const { name, value, commented } of envExampleAssignments()) {
      const expected = ENV_DEFAULTS[name];
      if (!commented || expected === undefined) continue;
      expect(path.posix.normalize(value), name).toBe(path.posix.normalize(expected));
    }
  });

  it('together with aop-status.example.yml fails only because the placeholders were not replaced', () => {
    const env = Object.fromEntries(
      envExampleAssignments()
        .filter((assignment) => !assignment.commented)
        .map((assignment) => [assignment.name, assignment.value]),
    );
    expect(Object.keys(env).sort()).toEqual(['CLOUDFLARE_API_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_BOT_TOKEN']);
    const result = loadConfig({
      env,
      cwd: '/app',
      fileExists: (file) => file === '/app/aop-status.yml',
      readFile: () => readRepoFile('aop-status.example.yml'),
    });
    // Everything else in a copied pair is valid; the start refuses placeholders by name.
    expect(result.ok ? [] : result.problems).toEqual([
      'SLACK_BOT_TOKEN is still the placeholder from .env.example',
      'SLACK_APP_TOKEN is still the placeholder from .env.example',
      'CLOUDFLARE_API_TOKEN is still the placeholder from .env.example',
    ]);
  });
});

describe('aop-status.example.yml', () => {
  const example = mapping(readRepoYaml('aop-status.example.yml'), 'aop-status.example.yml');

  it('is valid and shows exactly the defaults', () => {
    expect(validateFileConfig(example).issues).toEqual([]);
    const parsed = fileConfigSchema.parse(example);
    // The example writes `channel: null` (off); the schema's default leaves it out. Both mean off.
    expect(parsed.alerts.channel).toBeNull();
    expect({ ...parsed, alerts: { ...parsed.alerts, channel: undefined } }).toEqual(
      fileConfigSchema.parse({}),
    );
  });

  it('shows every key, the zone keys in a commented example', () => {
    const text = readRepoFile('aop-status.example.yml');
    for (const key of documentedYamlKeys) {
      const leaf = key.path.split('.').at(-1)?.replace('[]', '') ?? '';
      expect(text, key.path).toMatch(new RegExp(`^#?\\s*(- )?${leaf}:`, 'm'));
    }
  });
});

describe('README operations', () => {
  it('documents exactly the metrics the bot exports', () => {
    const exported = [
      ...createMetrics({ collectProcessMetrics: false })
        .registry.getMetricsAsArray()
        .map((metric) => metric.name),
      // Written after the registry's metrics (one series per hostname).
      ...Object.values(CERTIFICATE_GAUGES).map((gauge) => gauge.name),
    ].sort();
    const documented = tableRows('### Metrics')
      .map((row) => withoutBackticks(row[0] ?? ''))
      .filter((name) => name.startsWith('aop_'))
      .sort();
    expect(documented).toEqual(exported);
  });

  it('justifies every bot scope that manifest.yml requests', () => {
    const manifest = mapping(readRepoYaml('manifest.yml'), 'manifest.yml');
    const oauth = mapping(manifest.oauth_config, 'oauth_config');
    const scopes = list(mapping(oauth.scopes, 'oauth_config.scopes').bot, 'oauth_config.scopes.bot');
    const justified = tableRows('## Slack app: scopes').map((row) => withoutBackticks(row[0] ?? ''));
    for (const scope of scopes) expect(justified, String(scope)).toContain(scope);
  });
});

describe('README links and commands', () => {
  it('links only to headings that exist', () => {
    const anchors = new Set(
      readme
        .split('\n')
        .filter((line) => /^#{1,6} /.test(line))
        .map((line) => githubAnchor(line.replace(/^#+ /, ''))),
    );
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1] ?? '');
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) expect(anchors, link).toContain(link);
  });

  it('names only npm scripts that package.json defines', () => {
    const scripts = Object.keys(mapping(packageJson.scripts, 'scripts'));
    // `demo` and `cli` arrive with src/demo and src/cli (issue 7); drop them here once they exist.
    const arriving = ['demo', 'cli'].filter((name) => !scripts.includes(name));
    const named = [...readme.matchAll(/npm run ([a-z:-]+)/g)].map((match) => match[1] ?? '');
    for (const name of new Set(named)) {
      if (arriving.includes(name)) continue;
      expect(scripts, name).toContain(name);
    }
  });
});
