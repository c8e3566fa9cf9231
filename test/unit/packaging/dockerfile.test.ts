import { describe, expect, it } from 'vitest';
import { readRepoFile, repoFileExists } from './repo-files.js';

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions, joining `\` continuations and dropping comments. */
function parseDockerfile(text: string): Stage[] {
  const logicalLines: string[] = [];
  let pending = '';
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logicalLines.push(`${pending}${line}`.trim());
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of logicalLines) {
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    const args = match[2] ?? '';
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: from?.[1] ?? args, name: from?.[2] ?? null, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile: ${keyword} before the first FROM`);
    stage.instructions.push({ keyword, args });
  }
  return stages;
}

function argsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map((i) => i.args);
}

const stages = parseDockerfile(readRepoFile('Dockerfile'));
const buildStage = stages[0];
const runtimeStage = stages.at(-1);
if (!buildStage || !runtimeStage) throw new Error('Dockerfile has no stages');

/** The .dockerignore allow-list: `*` first, then `!path` exceptions. */
const dockerignore = readRepoFile('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

describe('Dockerfile', () => {
  it('is multi-stage: a named build stage, then a runtime stage, both on Node 24 (the active LTS)', () => {
    expect(stages.map((stage) => [stage.from, stage.name])).toEqual([
      ['node:24-slim', 'build'],
      ['node:24-slim', 'runtime'],
    ]);
  });

  it('compiles with every dependency in the build stage', () => {
    expect(argsOf(buildStage, 'RUN')).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
  });

  it('installs production dependencies only in the runtime stage and copies only dist/ from the build', () => {
    expect(argsOf(runtimeStage, 'RUN')).toEqual([
      'npm ci --omit=dev --no-audit --no-fund && npm cache clean --force',
    ]);
    expect(argsOf(runtimeStage, 'COPY')).toEqual([
      'package.json package-lock.json ./',
      '--from=build /app/dist ./dist',
    ]);
    expect(argsOf(runtimeStage, 'ENV')).toEqual(['NODE_ENV=production']);
  });

  it('runs as the unprivileged node user, never root', () => {
    const users = argsOf(runtimeStage, 'USER');
    expect(users).toEqual(['node']);
    // USER must come before CMD to apply to the process.
    const keywords = runtimeStage.instructions.map((instruction) => instruction.keyword);
    expect(keywords.indexOf('USER')).toBeLessThan(keywords.indexOf('CMD'));
  });

  it('checks /healthz on PORT with Node itself, since the slim image has no curl', () => {
    const [healthcheck] = argsOf(runtimeStage, 'HEALTHCHECK');
    expect(healthcheck).toBe(
      '--interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "-e", ' +
        `"fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]`,
    );
  });

  it('starts the compiled entry point with source maps and the heap `npm start` gives, in /app where the config is mounted', () => {
    expect(argsOf(runtimeStage, 'CMD')).toEqual([
      '["node", "--max-old-space-size=512", "--enable-source-maps", "dist/main.js"]',
    ]);
    const manifest = JSON.parse(readRepoFile('package.json')) as { scripts: { start: string } };
    expect(manifest.scripts.start.split(' ')).toContain('--max-old-space-size=512');
    expect(argsOf(runtimeStage, 'WORKDIR')).toEqual(['/app']);
    expect(argsOf(runtimeStage, 'EXPOSE')).toEqual(['3000']);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const sources = stages.flatMap((stage) =>
      argsOf(stage, 'COPY')
        .filter((args) => !args.startsWith('--from='))
        .flatMap((args) => args.split(/\s+/).slice(0, -1)),
    );
    expect(sources).toEqual([
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'src',
      'package.json',
      'package-lock.json',
    ]);
    for (const source of sources) {
      expect(repoFileExists(source), `${source} exists`).toBe(true);
      expect(
        dockerignore.some((line) => line === `!${source}` || line === `!${source}/`),
        `${source} allowed by .dockerignore`,
      ).toBe(true);
    }
  });
});

describe('.dockerignore', () => {
  it('ignores everything but the build inputs, so .env and aop-status.yml never reach an image', () => {
    expect(dockerignore).toEqual([
      '*',
      '!package.json',
      '!package-lock.json',
      '!tsconfig.json',
      '!tsconfig.build.json',
      '!src/',
    ]);
  });
});
