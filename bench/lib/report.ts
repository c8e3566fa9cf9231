/**
 * What a scenario hands back, and how BENCHMARKS.md is written from it. Scenarios only measure;
 * this module only formats, so a new scenario never touches the report code.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** `pass`/`miss` against a target; `info` for figures that have none (context, breakdowns). */
export type Verdict = 'pass' | 'miss' | 'info';

export interface MetricRow {
  measure: string;
  figure: string;
  target: string;
  verdict: Verdict;
}

/** A secondary table, e.g. the figures of each run behind a median. */
export interface DetailTable {
  title: string;
  columns: string[];
  rows: string[][];
}

export interface ScenarioReport {
  /** `pending` leaves a marked placeholder instead of figures. */
  status: 'measured' | 'pending' | 'failed';
  /** How it was measured, in a sentence or two. */
  setup: string;
  rows: MetricRow[];
  details: DetailTable[];
  /** Explanations, in particular of any miss. */
  notes: string[];
}

export interface ScenarioOutcome {
  id: string;
  title: string;
  report: ScenarioReport;
  durationMs: number;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
  redis: string;
}

export function describeMachine(redisVersion: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    redis: redisVersion,
  };
}

export function gitRevision(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim().length > 0;
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return 'unknown';
  }
}

function formatLoad(load: number[]): string {
  return load.map((value) => value.toFixed(2)).join(', ');
}

const VERDICT_TEXT: Record<Verdict, string> = { pass: '✅ pass', miss: '❌ miss', info: '' };

function table(columns: string[], rows: string[][]): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ].join('\n');
}

export interface RenderOptions {
  machine: MachineInfo;
  /** os.loadavg() when the run started and when it ended. */
  loadAverage: { start: number[]; end: number[] };
  startedAt: Date;
  totalMs: number;
  outcomes: ScenarioOutcome[];
  /** Said once at the top: how figures were taken. */
  method: string[];
}

/** The whole BENCHMARKS.md. */
export function renderBenchmarks(options: RenderOptions): string {
  const { machine, outcomes } = options;
  const verdicts = outcomes.flatMap((outcome) => outcome.report.rows.map((row) => row.verdict));
  const misses = outcomes.flatMap((outcome) =>
    outcome.report.rows
      .filter((row) => row.verdict === 'miss')
      .map((row) => `${outcome.title}: ${row.measure}`),
  );
  const lines: string[] = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (bench/run.ts). Do not edit by hand: run it again. -->',
    '',
    `Run on ${options.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC at commit ${gitRevision()}; the whole run took ${Math.round(options.totalMs / 1000)} s.`,
    '',
    table(
      ['Machine', ''],
      [
        ['CPU', machine.cpuModel],
        ['Cores', String(machine.cores)],
        ['Memory', `${machine.memoryGb} GB`],
        ['Node', machine.node],
        ['OS', machine.os],
        ['Redis', machine.redis],
        [
          'Load average (1, 5, 15 min), start → end',
          `${formatLoad(options.loadAverage.start)} → ${formatLoad(options.loadAverage.end)}`,
        ],
      ],
    ),
    '',
    ...(Math.max(options.loadAverage.start[0] ?? 0, options.loadAverage.end[0] ?? 0) > machine.cores / 2
      ? [
          '> The machine was running other work during this run (see the load average): latencies, and ' +
            'latency ratios in particular, are noisier than on an idle machine. Counts are not affected.',
          '',
        ]
      : []),
    `**${verdicts.filter((verdict) => verdict === 'pass').length} targets met, ${misses.length} missed**${
      misses.length > 0 ? ` (${misses.join('; ')})` : ''
    }${outcomes.some((outcome) => outcome.report.status === 'pending') ? '; one scenario pending' : ''}.`,
    '',
    '## How these figures are taken',
    '',
    ...options.method.map((line) => `- ${line}`),
    '',
  ];
  for (const outcome of outcomes) {
    const { report } = outcome;
    lines.push(`## ${outcome.title}`, '');
    if (report.status === 'pending') lines.push('> **PENDING** — no figures yet.', '');
    if (report.status === 'failed')
      lines.push('> **FAILED** — the scenario did not complete; see the notes.', '');
    lines.push(report.setup, '');
    if (report.rows.length > 0) {
      lines.push(
        table(
          ['Measure', 'Figure', 'Target', 'Result'],
          report.rows.map((row) => [row.measure, row.figure, row.target, VERDICT_TEXT[row.verdict]]),
        ),
        '',
      );
    }
    for (const detail of report.details) {
      lines.push(`${detail.title}:`, '', table(detail.columns, detail.rows), '');
    }
    if (report.notes.length > 0) {
      lines.push(...report.notes.map((note) => `- ${note}`), '');
    }
    lines.push(`<sub>Scenario time: ${Math.round(outcome.durationMs / 1000)} s.</sub>`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

interface MarkdownSection {
  title: string;
  text: string;
}

/** The text before the first `## ` heading, and each `## ` section with its heading. */
function splitSections(markdown: string): { preamble: string; sections: MarkdownSection[] } {
  const parts = markdown.split(/^(?=## )/m);
  const preamble = parts[0]?.startsWith('## ') ? '' : (parts.shift() ?? '');
  return {
    preamble,
    sections: parts.map((text) => ({ title: (text.split('\n')[0] ?? '').slice(3).trim(), text })),
  };
}

/**
 * BENCHMARKS.md with the sections of the scenarios just run put in place of the stored ones (in
 * scenario order, a new scenario added where it belongs), each saying when and at which commit it
 * was measured, and the count of targets met taken again over every section. The rest stays as the
 * last whole run wrote it, so one scenario can be measured again without running them all.
 */
export function mergeBenchmarks(options: {
  existing: string;
  fresh: string;
  /** Every scenario title, in report order. */
  order: string[];
  /** The titles measured by this run. */
  measured: string[];
  /** When, at which commit and how, e.g. "2026-12-05 13:20 UTC at commit abc1234 (`npm run bench -- --only scale --merge`)". */
  provenance: string;
}): string {
  const stored = splitSections(options.existing);
  const fresh = splitSections(options.fresh);
  const pick = (title: string): MarkdownSection | undefined => {
    if (!options.measured.includes(title)) return stored.sections.find((section) => section.title === title);
    const section = fresh.sections.find((candidate) => candidate.title === title);
    return (
      section && { title, text: `${section.text.trimEnd()}\n<sub>Measured ${options.provenance}.</sub>\n\n` }
    );
  };
  const method = stored.sections.find((section) => !options.order.includes(section.title));
  const sections = [...(method ? [method] : []), ...options.order.flatMap((title) => pick(title) ?? [])];
  let met = 0;
  const misses: string[] = [];
  for (const section of sections) {
    for (const line of section.text.split('\n')) {
      const cells = line.split(' | ');
      if (line.endsWith('✅ pass |')) met += 1;
      if (line.endsWith('❌ miss |'))
        misses.push(`${section.title}: ${(cells[0] ?? '').replace(/^\| /, '')}`);
    }
  }
  const tally = `**${met} targets met, ${misses.length} missed**${misses.length > 0 ? ` (${misses.join('; ')})` : ''}.`;
  const preamble = stored.preamble
    .replace(/^\*\*\d+ targets met, \d+ missed\*\*.*$/m, tally)
    .replace(/^(Run on .*)$/m, (line) =>
      line.includes('measured again')
        ? line
        : `${line} Sections that end in "Measured …" were measured again on their own since (\`npm run bench -- --only <ids> --merge\`).`,
    );
  return `${[preamble, ...sections.map((section) => section.text)].join('').trimEnd()}\n`;
}
