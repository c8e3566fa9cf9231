/**
 * The figures the reliability suite promises (issue 5): each scenario records its numbers here as
 * it measures them; after the file's tests they are written as JSON lines to
 * `test/reliability/.figures/<scenario>.json` and printed, so a run leaves the evidence behind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export interface Figure {
  scenario: string;
  /** What was measured, e.g. `max_ack_latency_ms`. */
  name: string;
  value: number | string | boolean;
  /** How it was measured or what it must be, for whoever reads the file. */
  note?: string;
  details?: Record<string, unknown>;
}

export interface FigureRecorder {
  /** Records one figure (a later record of the same name replaces the earlier one). */
  record(
    name: string,
    value: Figure['value'],
    extra?: { note?: string; details?: Record<string, unknown> },
  ): void;
  readonly figures: readonly Figure[];
}

const FIGURES_DIRECTORY = path.join(path.dirname(fileURLToPath(import.meta.url)), '.figures');

/**
 * A recorder for one scenario; registers the `afterAll` that writes and prints what was recorded.
 * Call it at the top level of a test file.
 *
 * @example
 * const figures = scenarioFigures('4-cloudflare-faults');
 * figures.record('unhandled_rejections', 0, { note: 'must be 0' });
 */
export function scenarioFigures(scenario: string): FigureRecorder {
  const figures: Figure[] = [];
  afterAll(() => {
    if (figures.length === 0) return;
    const lines = figures.map((figure) => JSON.stringify(figure));
    mkdirSync(FIGURES_DIRECTORY, { recursive: true });
    writeFileSync(path.join(FIGURES_DIRECTORY, `${scenario}.json`), `${lines.join('\n')}\n`);
    const summary = figures
      .map((figure) => `  ${figure.name} = ${String(figure.value)}${figure.note ? `  (${figure.note})` : ''}`)
      .join('\n');
    process.stdout.write(`\n[reliability figures] ${scenario}\n${summary}\n`);
  });
  return {
    figures,
    record(name, value, extra = {}) {
      const figure: Figure = { scenario, name, value };
      if (extra.note !== undefined) figure.note = extra.note;
      if (extra.details !== undefined) figure.details = extra.details;
      const existing = figures.findIndex((candidate) => candidate.name === name);
      if (existing >= 0) figures[existing] = figure;
      else figures.push(figure);
    },
  };
}
