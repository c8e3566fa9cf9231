import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SIGNING_SECRET } from '../../support/app-harness.js';
import { FAKE_API_TOKEN, type FakeCloudflare, startFakeCloudflare } from '../../support/fake-cloudflare.js';
import { type FakeSlack, sendSlashCommand, startFakeSlack } from '../../support/fake-slack.js';
import { connectTestRedis, deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../../support/redis.js';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
// The bot runs as `node --import tsx`, not through the tsx CLI: the CLI relays SIGTERM to its child
// and, when the child does not confirm within 30 ms (a loaded machine), kills it and exits 143, so a
// graceful stop would look like a crash.
const BOT_COMMAND = process.execPath;
const BOT_ARGS = ['--import', 'tsx', 'src/main.ts'];

interface RunningProcess {
  child: ChildProcess;
  port: number;
  output: string[];
  exited: Promise<number | null>;
}

let slack: FakeSlack;
let cloudflare: FakeCloudflare;
let prefix: string;
let directory: string;

/** Starts `src/main.ts` as its own process, as `npm start` would, and waits for its first log line. */
async function startProcess(role: 'web' | 'worker' | 'all'): Promise<RunningProcess> {
  const token = FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '';
  const child = spawn(BOT_COMMAND, BOT_ARGS, {
    env: {
      PATH: process.env.PATH,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      CLOUDFLARE_API_TOKEN: token,
      CLOUDFLARE_API_BASE_URL: cloudflare.baseUrl,
      REDIS_URL: testRedisUrl(),
      AOP_REDIS_PREFIX: prefix,
      AOP_ROLE: role,
      AOP_CONFIG: path.join(directory, 'aop-status.yml'),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start:\n${output.join('')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      for (const line of chunk.toString().split('\n')) {
        if (!line.includes('aop-status started')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    void exited.then((code) => reject(new Error(`${role} exited with ${code}:\n${output.join('')}`)));
  });
  return { child, port, output, exited };
}

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudflare = await startFakeCloudflare();
  const zone = cloudflare.state.addZone({ id: ZONE_ID, name: 'example.com' });
  const certificate = cloudflare.state.addCertificate(zone.id, { expires_on: '2020-01-01T00:00:00Z' });
  cloudflare.state.associate(zone.id, { hostname: 'app.example.com', cert_id: certificate.id });
  prefix = uniquePrefix('roles');
  directory = await mkdtemp(path.join(tmpdir(), 'aop-roles-'));
  writeFileSync(
    path.join(directory, 'aop-status.yml'),
    stringify({
      zones: [{ id: ZONE_ID, name: 'example.com', hostnames: ['app.example.com'] }],
      digest: { channels: [] },
    }),
  );
});

afterAll(async () => {
  await slack.close();
  await cloudflare.close();
  await rm(directory, { recursive: true, force: true });
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('running as separate web and worker processes', () => {
  it('web takes the command, the worker posts the digest, both report health and stop cleanly on SIGTERM', async () => {
    const [web, worker] = await Promise.all([startProcess('web'), startProcess('worker')]);
    try {
      const workerHealth = await fetch(`http://127.0.0.1:${worker.port}/healthz`);
      expect(workerHealth.status).toBe(200);
      const workerReport = (await workerHealth.json()) as { checks: Record<string, { ok: boolean }> };
      expect(workerReport.checks.workers?.ok).toBe(true);
      const webReport = (await (await fetch(`http://127.0.0.1:${web.port}/healthz`)).json()) as {
        checks: Record<string, unknown>;
      };
      expect(webReport.checks.workers).toBeUndefined();
      expect(await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text()).toContain(
        'aop_queue_depth',
      );

      const answer = await sendSlashCommand(`http://127.0.0.1:${web.port}`, SIGNING_SECRET, {
        text: 'digest',
        response_url: slack.responseUrl(),
        channel_id: 'C0DIGEST',
      });
      expect(answer.status).toBe(200);
      const digest = await slack.waitFor(
        () => slack.callsTo('chat.postMessage').find((call) => call.args.channel === 'C0DIGEST'),
        { timeoutMs: 20_000, what: 'the digest posted by the worker process' },
      );
      expect(JSON.stringify(digest.args.metadata)).toContain('aop_digest');
      expect(JSON.stringify(digest.args.blocks)).toContain('app.example.com');

      // What a team alerts on from Prometheus, scraped from the process that did the work.
      let metrics = '';
      const deadline = Date.now() + 10_000;
      while (
        !metrics.includes('aop_run_last_success_timestamp_seconds{run="digest",route=""}') &&
        Date.now() < deadline
      ) {
        metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(metrics).toMatch(
        /aop_certificate_expiry_timestamp_seconds\{zone="example.com",hostname="app.example.com",level="hostname",certificate_id="[^"]*",route="",account="default"\} 1577836800/,
      );
      expect(metrics).toMatch(
        /aop_hostname_severity\{zone="example.com",hostname="app.example.com",level="hostname",certificate_id="[^"]*",route="",account="default"\} 4/,
      );
      expect(metrics).toMatch(/aop_run_last_success_timestamp_seconds\{run="digest",route=""\} \d+/);
      expect(metrics).toMatch(
        /aop_cloudflare_requests_total\{route="GET [^"]+",status="200",account="default"\} \d+/,
      );
      expect(metrics).toMatch(/aop_slack_calls_total\{method="chat.postMessage",outcome="ok"\} 1/);
      expect(metrics).toContain('process_resident_memory_bytes');
    } finally {
      web.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
    }
    const codes = await Promise.all([web.exited, worker.exited]);
    expect(codes).toEqual([0, 0]);
    expect(worker.output.join('')).toContain('"msg":"stopped"');
  }, 60_000);

  it('exits with status 78 and lists every configuration problem at once', async () => {
    const child = spawn(BOT_COMMAND, BOT_ARGS, {
      env: { PATH: process.env.PATH, PORT: 'x', REDIS_URL: 'http://nope', AOP_CONFIG: '/nonexistent.yml' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(78);
    for (const fragment of [
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'Cloudflare credentials',
      'PORT',
      'REDIS_URL',
      'AOP_CONFIG',
    ]) {
      expect(stderr).toContain(fragment);
    }
  }, 30_000);
});
