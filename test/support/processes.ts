import { type ChildProcess, spawn } from 'node:child_process';
import { SIGNING_SECRET } from './app-harness.js';
import { FAKE_API_TOKEN } from './fake-cloudflare.js';

// The bot runs as `node --import tsx`, not through the tsx CLI: the CLI relays SIGTERM to its child
// and, when the child does not confirm within 30 ms (a loaded machine), kills it and exits 143, so a
// graceful stop would look like a crash.
const BOT_COMMAND = process.execPath;
const BOT_ARGS = ['--import', 'tsx', 'src/main.ts'];

export interface BotProcess {
  child: ChildProcess;
  role: 'web' | 'worker' | 'all';
  port: number;
  url: string;
  output: string[];
  exited: Promise<number | null>;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
}

export interface BotProcessOptions {
  role: 'web' | 'worker' | 'all';
  slackApiUrl: string;
  cloudflareBaseUrl: string;
  redisUrl: string;
  prefix: string;
  configPath: string;
  logLevel?: string;
  env?: Record<string, string>;
}

/** Starts `src/main.ts` as its own OS process, as `npm start` would, and waits until it serves. */
export async function startBotProcess(options: BotProcessOptions): Promise<BotProcess> {
  const token = FAKE_API_TOKEN.scheme === 'api_token' ? FAKE_API_TOKEN.token : '';
  const child = spawn(BOT_COMMAND, BOT_ARGS, {
    env: {
      PATH: process.env.PATH,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: options.slackApiUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      CLOUDFLARE_API_TOKEN: token,
      CLOUDFLARE_API_BASE_URL: options.cloudflareBaseUrl,
      REDIS_URL: options.redisUrl,
      AOP_REDIS_PREFIX: options.prefix,
      AOP_ROLE: options.role,
      AOP_CONFIG: options.configPath,
      LOG_LEVEL: options.logLevel ?? 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.role} did not start:\n${output.join('')}`)),
      30_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      for (const line of chunk.toString().split('\n')) {
        if (!line.includes('aop-status started')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    void exited.then((code) => reject(new Error(`${options.role} exited with ${code}:\n${output.join('')}`)));
  });
  return {
    child,
    role: options.role,
    port,
    url: `http://127.0.0.1:${port}`,
    output,
    exited,
    logs: () =>
      output
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves to the exit code. */
export async function stopBotProcess(bot: BotProcess, graceMs = 15_000): Promise<number | null> {
  if (bot.child.exitCode !== null || bot.child.signalCode !== null) return bot.child.exitCode;
  bot.child.kill('SIGTERM');
  const timer = setTimeout(() => bot.child.kill('SIGKILL'), graceMs);
  const code = await bot.exited;
  clearTimeout(timer);
  return code;
}
