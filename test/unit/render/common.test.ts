import { describe, expect, it } from 'vitest';
import {
  blocksTextLength,
  contextBlock,
  fallbackText,
  fieldSections,
  headerBlock,
  hintForErrorCode,
  truncateMrkdwn,
  value,
} from '../../../src/render/common.js';
import { BLOCK_KIT_LIMITS } from '../../../src/render/limits.js';
import { assertWithinBlockKitLimits, textCharsIn } from '../../support/block-kit-limits.js';

describe('truncateMrkdwn', () => {
  it('leaves short text alone', () => {
    expect(truncateMrkdwn('abc', 3)).toBe('abc');
  });

  it('never leaves half an entity or half a surrogate pair at the cut', () => {
    expect(truncateMrkdwn('a &amp; b', 5)).toBe('a …');
    expect(truncateMrkdwn('ab😀cd', 4)).toBe('ab…');
    expect(truncateMrkdwn('abcdef', 4)).toBe('abc…');
  });
});

describe('value', () => {
  it('escapes, neutralises formatting and caps an untrusted value', () => {
    expect(value('<!channel> *x*')).toBe('&lt;!channel&gt; ∗x∗');
    expect(value('a'.repeat(300), 10)).toBe(`${'a'.repeat(9)}…`);
  });

  it('marks a missing value', () => {
    expect(value(null)).toBe('_not reported_');
    expect(value('  ')).toBe('_not reported_');
  });
});

describe('block builders respect BLOCK_KIT_LIMITS', () => {
  it('caps header text at 150 characters and escapes it', () => {
    const header = headerBlock(`<!channel>${'x'.repeat(500)}`);
    expect(header.text.text.length).toBe(BLOCK_KIT_LIMITS.headerTextChars);
    expect(header.text.text.startsWith('&lt;!channel&gt;')).toBe(true);
  });

  it('splits fields into sections of at most 10', () => {
    const sections = fieldSections(Array.from({ length: 23 }, (_, index) => `*F${index}*\nv`));
    expect(sections.map((section) => section.fields?.length)).toEqual([10, 10, 3]);
    assertWithinBlockKitLimits({ text: 'x', blocks: sections });
  });

  it('drops context elements beyond 10', () => {
    expect(contextBlock(Array.from({ length: 12 }, () => 'x')).elements).toHaveLength(10);
  });

  it('keeps the fallback text non-empty and under 3000 characters', () => {
    expect(fallbackText('  ')).toBe('aop-status');
    expect(fallbackText('y'.repeat(5000))).toHaveLength(BLOCK_KIT_LIMITS.fallbackTextChars);
  });

  it('counts block text the same way the limits checker does', () => {
    const blocks = [headerBlock('head'), ...fieldSections(['a', 'bb']), contextBlock(['ccc'])];
    expect(blocksTextLength(blocks)).toBe(10);
    expect(textCharsIn(blocks)).toBe(10);
  });
});

describe('hintForErrorCode', () => {
  it('gives a specific hint for a known code and a generic one otherwise', () => {
    expect(hintForErrorCode('cloudflare_rate_limited')).toBe(
      'Cloudflare is rate limiting the bot; try again in a few minutes.',
    );
    expect(hintForErrorCode('something_new')).toBe(
      'Try again in a minute; if it keeps failing, tell the bot’s owners.',
    );
  });
});
