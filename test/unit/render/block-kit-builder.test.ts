import { describe, expect, it } from 'vitest';
import {
  BLOCK_KIT_BUILDER_URL,
  blockKitBuilderLink,
  decodeBlockKitBuilderLink,
  describeBuilderLink,
  MAX_BUILDER_LINK_CHARS,
} from '../../../src/render/block-kit-builder.js';
import { renderHelp } from '../../../src/render/help.js';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('Block Kit Builder links', () => {
  it('carry a message as {"blocks": […]} in the fragment, and read back to the same blocks', () => {
    const blocks = [section('*bold* & <https://example.com|link>'), { type: 'divider' }];
    const link = blockKitBuilderLink({ type: 'message', blocks });
    if (!link.ok) throw new Error(`no link: ${link.reason}`);
    expect(link.url.startsWith(BLOCK_KIT_BUILDER_URL)).toBe(true);
    expect(link.url).not.toMatch(/[\s"{}[\]<>]/);
    expect(decodeBlockKitBuilderLink(link.url)).toEqual({ blocks });
  });

  it('carry a home tab as {"type": "home", "blocks": […]}', () => {
    const blocks = [{ type: 'header', text: { type: 'plain_text', text: 'Overview' } }];
    const link = blockKitBuilderLink({ type: 'home', blocks });
    if (!link.ok) throw new Error(`no link: ${link.reason}`);
    expect(decodeBlockKitBuilderLink(link.url)).toEqual({ type: 'home', blocks });
  });

  it('survive every character a message can hold: #, %, quotes, emoji, line breaks, look-alikes', () => {
    const text = '# 100% "quoted" \'single\' 🔴 :red_circle: line\nbreak ∗.example.com a+b=c?d&e %3A %25';
    const link = blockKitBuilderLink({ type: 'message', blocks: [section(text)] });
    if (!link.ok) throw new Error(`no link: ${link.reason}`);
    // Only the first # separates the fragment; every later one is escaped.
    expect(link.url.indexOf('#')).toBe(BLOCK_KIT_BUILDER_URL.length - 1);
    expect(link.url.split('#')).toHaveLength(2);
    expect(decodeBlockKitBuilderLink(link.url)).toEqual({ blocks: [section(text)] });
  });

  it('are real for what the renderers produce', () => {
    const help = renderHelp();
    const link = blockKitBuilderLink({ type: 'message', blocks: help.blocks });
    if (!link.ok) throw new Error(`no link: ${link.reason}`);
    expect(decodeBlockKitBuilderLink(link.url)).toEqual({ blocks: help.blocks });
  });

  it(`stop at ${MAX_BUILDER_LINK_CHARS} characters and say how long the link would have been`, () => {
    const blocks = Array.from({ length: 50 }, (_, index) => section(`${index} ${'x'.repeat(200)}`));
    const link = blockKitBuilderLink({ type: 'message', blocks });
    expect(link).toEqual({
      ok: false,
      reason: 'too_long',
      lengthChars: expect.any(Number),
      maxChars: MAX_BUILDER_LINK_CHARS,
    });
    if (link.ok || link.reason !== 'too_long') throw new Error('expected too_long');
    expect(link.lengthChars).toBeGreaterThan(MAX_BUILDER_LINK_CHARS);
    expect(describeBuilderLink(link)).toBe(
      `Too long to link to Block Kit Builder (${link.lengthChars.toLocaleString('en-US')} characters; links stop at 8,000).`,
    );
    // Exactly at the limit is still a link.
    const exact = blockKitBuilderLink({ type: 'message', blocks }, { maxChars: link.lengthChars });
    expect(exact.ok).toBe(true);
  });

  it('are not made for a text-only message', () => {
    const link = blockKitBuilderLink({ type: 'message', blocks: [] });
    expect(link).toEqual({ ok: false, reason: 'no_blocks' });
    expect(describeBuilderLink(link)).toBe('Text only, no blocks: nothing to open in Block Kit Builder.');
  });

  it('read back only links they made', () => {
    expect(decodeBlockKitBuilderLink('https://example.com/#%7B%7D')).toBeNull();
    expect(decodeBlockKitBuilderLink(`${BLOCK_KIT_BUILDER_URL}%7Bnot json`)).toBeNull();
    expect(decodeBlockKitBuilderLink(`${BLOCK_KIT_BUILDER_URL}%5B%5D`)).toBeNull();
  });
});
