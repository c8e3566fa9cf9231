import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateFileConfig } from '../../../src/config/schema.js';
import { createRouter } from '../../../src/domain/routing.js';
import { mapping, readRepoFile } from './repo-files.js';

/** The README's worked routing example is real: the config is valid and the table is what the router does. */
const readme = readRepoFile('README.md');
const section = readme.slice(
  readme.indexOf('## Routing\n'),
  readme.indexOf('\n## ', readme.indexOf('## Routing\n') + 3),
);

describe('README "Routing"', () => {
  const yamlText = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const file = mapping(parse(yamlText), 'the Routing example');
  const validated = validateFileConfig(file);

  it('shows a valid configuration', () => {
    expect(validated.issues).toEqual([]);
  });

  it('says for each hostname of its table the owner the router picks', () => {
    const config = validated.config;
    if (!config) throw new Error('invalid example');
    const zones = config.zones.map((zone) => ({ id: zone.id, name: zone.name ?? null }));
    const router = createRouter(
      config.routes.map((route) => ({
        name: route.name,
        match: { zones: route.match.zones ?? null, hostnames: route.match.hostnames ?? null },
      })),
      zones,
    );
    const rows = section
      .split('\n')
      .filter((line) => /^\| `[^`]+` \|/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim().replace(/`/g, '')));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const [, hostname = '', owner = ''] of rows) {
      const zone = zones.find((candidate) => hostname.endsWith(`.${candidate.name}`));
      if (!zone) throw new Error(`no zone for ${hostname}`);
      expect(router.routeOf(hostname, zone).route?.name ?? 'top level', hostname).toBe(owner);
    }
  });

  it("puts each alert table row's hostnames in the channel and with the mention of their owner", () => {
    const config = validated.config;
    if (!config) throw new Error('invalid example');
    const zones = config.zones.map((zone) => ({ id: zone.id, name: zone.name ?? null }));
    const router = createRouter(
      config.routes.map((route) => ({
        ...route,
        match: { zones: route.match.zones ?? null, hostnames: route.match.hostnames ?? null },
      })),
      zones,
    );
    const rows = section
      .split('\n')
      .filter((line) => /^\| C0[A-Z0-9]+ \|/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    expect(rows).toHaveLength(2);
    for (const [, channel = '', hostnames = '', mention = '', route = ''] of rows) {
      for (const hostname of hostnames.split(', ')) {
        const zone = zones.find((candidate) => hostname.endsWith(`.${candidate.name}`));
        if (!zone) throw new Error(`no zone for ${hostname}`);
        const owner = router.routeOf(hostname, zone).route;
        expect(`\`${owner?.name}\``, hostname).toBe(route);
        expect(owner?.alerts_channel ?? config.alerts.channel, hostname).toBe(channel);
        expect(mention).toContain(`\`${owner?.mention_on_critical ?? config.alerts.mention_on_critical}\``);
      }
    }
  });

  it('names a shadowed route the way the config check reports it', () => {
    const routes = file.routes as unknown[];
    const swapped = validateFileConfig({ ...file, routes: [routes[1], routes[0]] });
    expect(swapped.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      expect.stringContaining(
        'routes[1] (payments).match: can never match: routes[0] (platform) comes first',
      ),
    ]);
  });
});
