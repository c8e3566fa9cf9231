import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig } from '../../../src/config/load.js';
import { list, mapping, readRepoYaml, repoFileExists } from './repo-files.js';

/**
 * docker-compose.yml cannot be run here (no Docker engine), so these tests hold it to what the
 * README and the issue promise: Redis set up the way BullMQ needs it, the Slack app and the
 * workers as separate, scalable services of one image, and every file it points at present.
 */
const compose = mapping(readRepoYaml('docker-compose.yml'), 'docker-compose.yml');
const services = mapping(compose.services, 'services');
const redis = mapping(services.redis, 'services.redis');
const bot = mapping(services.bot, 'services.bot');
const worker = mapping(services.worker, 'services.worker');

/** The value that follows `flag` in a redis-server command line. */
function flagValue(command: unknown[], flag: string): unknown {
  const index = command.indexOf(flag);
  return index === -1 ? undefined : command[index + 1];
}

/** Loads the config the way the container would see it, with placeholder tokens. */
function configProblemsFor(environment: Record<string, unknown>): string[] {
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: 'xoxb-placeholder',
    SLACK_APP_TOKEN: 'xapp-placeholder',
    CLOUDFLARE_API_TOKEN: 'placeholder',
  };
  for (const [name, value] of Object.entries(environment)) env[name] = String(value);
  const result = loadConfig({ env, cwd: '/app', fileExists: () => false });
  return result.ok ? [] : result.problems;
}

describe('docker-compose.yml', () => {
  it('defines exactly the redis, bot and worker services', () => {
    expect(Object.keys(services).sort()).toEqual(['bot', 'redis', 'worker']);
  });

  it('runs Redis 7 with append-only persistence and noeviction, as BullMQ requires', () => {
    expect(redis.image).toBe('redis:7-alpine');
    const command = list(redis.command, 'services.redis.command');
    expect(command[0]).toBe('redis-server');
    expect(flagValue(command, '--appendonly')).toBe('yes');
    expect(flagValue(command, '--maxmemory-policy')).toBe('noeviction');
  });

  it('keeps Redis data in a named volume declared at the top level', () => {
    expect(redis.volumes).toEqual(['redis-data:/data']);
    expect(Object.keys(mapping(compose.volumes, 'volumes'))).toEqual(['redis-data']);
  });

  it('publishes Redis on loopback only, for npm start and npm test on the host', () => {
    expect(redis.ports).toEqual(['127.0.0.1:6379:6379']);
  });

  it('health-checks Redis so the bot and workers start only once it answers', () => {
    const healthcheck = mapping(redis.healthcheck, 'services.redis.healthcheck');
    expect(healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
    for (const service of [bot, worker]) {
      expect(mapping(service.depends_on, 'depends_on').redis).toEqual({ condition: 'service_healthy' });
    }
  });

  it('builds the bot from the Dockerfile and runs the workers from the same image', () => {
    expect(bot.build).toBe('.');
    expect(repoFileExists('Dockerfile')).toBe(true);
    expect(bot.image).toBe('aop-status:local');
    expect(worker.image).toBe(bot.image);
    // Only one service builds, so `docker compose build` builds the image once.
    expect(worker.build).toBeUndefined();
  });

  it('reads the tokens from .env, whose template .env.example exists', () => {
    for (const service of [bot, worker]) expect(service.env_file).toBe('.env');
    expect(repoFileExists('.env.example')).toBe(true);
  });

  it('mounts ./aop-status.yml read-only where the process looks for its config by default', () => {
    const expectedMount = {
      type: 'bind',
      source: './aop-status.yml',
      // The image's WORKDIR is /app and the default config file is resolved against it.
      target: path.posix.join('/app', DEFAULTS.configFile),
      read_only: true,
    };
    for (const service of [bot, worker]) expect(service.volumes).toEqual([expectedMount]);
    expect(repoFileExists('aop-status.example.yml')).toBe(true);
  });

  it('points both roles at the Compose Redis and splits them with AOP_ROLE', () => {
    expect(bot.environment).toEqual({ REDIS_URL: 'redis://redis:6379', AOP_ROLE: 'web' });
    expect(worker.environment).toEqual({ REDIS_URL: 'redis://redis:6379', AOP_ROLE: 'worker' });
  });

  it('uses environment values that the config loader accepts', () => {
    expect(configProblemsFor(mapping(bot.environment, 'bot.environment'))).toEqual([]);
    expect(configProblemsFor(mapping(worker.environment, 'worker.environment'))).toEqual([]);
  });

  it('publishes the bot on port 3000, on loopback', () => {
    expect(bot.ports).toEqual(['127.0.0.1:3000:3000']);
  });

  it('lets the worker scale: no published port and no fixed container name', () => {
    expect(worker.ports).toBeUndefined();
    expect(worker.container_name).toBeUndefined();
  });

  it('gives running jobs longer than the 10 s Docker default to finish on stop', () => {
    for (const service of [bot, worker]) {
      expect(service.stop_grace_period).toBe('30s');
      expect(service.restart).toBe('unless-stopped');
    }
  });

  it('does not switch off the image HEALTHCHECK for the bot or the worker', () => {
    for (const service of [bot, worker]) expect(service.healthcheck).toBeUndefined();
  });
});
