import { describe, expect, it } from 'vitest';
import { BLOCK_KIT_LIMITS } from '../../../src/render/limits.js';
import { blockKitViolations } from '../../support/block-kit-limits.js';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('blockKitViolations (the test helper every renderer test relies on)', () => {
  it('accepts a message within every limit', () => {
    expect(blockKitViolations({ text: 'fallback', blocks: [section('hello')] })).toEqual([]);
  });

  it('names each broken limit with the block it is in', () => {
    const tooManyBlocks = Array.from({ length: BLOCK_KIT_LIMITS.blocksPerMessage }, () => ({
      type: 'divider',
    }));
    const message = {
      text: '',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        section('s'.repeat(3001)),
        section(''),
        { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'b'.repeat(76) },
              action_id: 'a'.repeat(256),
            },
          ],
        },
        ...tooManyBlocks,
      ],
    };

    expect(blockKitViolations(message)).toEqual([
      'fallback `text` is missing or empty',
      '55 blocks (limit 50)',
      `block 0 (header): header text has 151 chars (allowed 1–150): "${'h'.repeat(60)}…"`,
      `block 1 (section): section text has 3001 chars (allowed 1–3000): "${'s'.repeat(60)}…"`,
      'block 2 (section): section text has 0 chars (allowed 1–3000): ""',
      'block 3 (context): 11 context elements (limit 10)',
      'block 4 (actions): action_id has 256 chars (limit 255)',
      `block 4 (actions): button text has 76 chars (allowed 1–75): "${'b'.repeat(60)}…"`,
    ]);
  });

  it('counts the text of all blocks against the per-message budget', () => {
    const blocks = Array.from({ length: 5 }, () => section('x'.repeat(2500)));

    expect(blockKitViolations({ text: 'fallback', blocks })).toEqual([
      'blocks hold 12500 chars of text in all (budget 12000)',
    ]);
  });
});
