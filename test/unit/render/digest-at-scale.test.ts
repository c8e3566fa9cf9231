/**
 * A digest of 100,000 hostnames in 1,000 zones, as the zone checks hand it over (problems in full,
 * healthy hostnames as counts): counts first, one line per certificate with its hostname count,
 * the rest in the thread, every message within Slack's limits.
 */
import { describe, expect, it } from 'vitest';
import type { HealthyLeftOut, HostnameCheck } from '../../../src/digest/model.js';
import type { ZoneRef } from '../../../src/domain/types.js';
import { type DigestMessage, renderDigest } from '../../../src/render/digest.js';
import { allBlockTexts, assertWithinBlockKitLimits } from '../../support/block-kit-limits.js';
import { associationCheck, daysAfterSlot, digestInput } from '../digest/builders.js';

const ZONES = 1_000;
const HOSTNAMES_PER_ZONE = 100;
/** Per zone: one certificate expiring in 4 days on 1 hostname, one expiring in 20 days on 3. */
const CRITICAL_PER_ZONE = 1;
const WARNING_PER_ZONE = 3;
const HOSTNAME_PATTERN = /\bh\d{5}\.z\d{3}\.scale\.example\b/g;

function inventory(): { checks: HostnameCheck[]; healthyLeftOut: HealthyLeftOut[]; problems: Set<string> } {
  const checks: HostnameCheck[] = [];
  const healthyLeftOut: HealthyLeftOut[] = [];
  const problems = new Set<string>();
  for (let zoneIndex = 0; zoneIndex < ZONES; zoneIndex += 1) {
    const label = String(zoneIndex).padStart(3, '0');
    const zone: ZoneRef = { id: `zone-${label}`, name: `z${label}.scale.example` };
    const hostname = (index: number) => `h${String(index).padStart(5, '0')}.${zone.name}`;
    for (let index = 0; index < CRITICAL_PER_ZONE + WARNING_PER_ZONE; index += 1) {
      const critical = index < CRITICAL_PER_ZONE;
      checks.push(
        associationCheck(hostname(index), critical ? 'critical' : 'warning', {
          zone,
          certificateId: `${critical ? 'c' : 'w'}${label}0000000000000`,
          expiresOn: daysAfterSlot(critical ? 4 : 20),
        }),
      );
      problems.add(hostname(index));
    }
    healthyLeftOut.push({
      zone,
      route: null,
      hostnames: HOSTNAMES_PER_ZONE - CRITICAL_PER_ZONE - WARNING_PER_ZONE,
    });
  }
  return { checks, healthyLeftOut, problems };
}

function sectionTexts(message: DigestMessage): string[] {
  return message.blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));
}

describe('a digest of 100,000 hostnames in 1,000 zones', () => {
  const { checks, healthyLeftOut, problems } = inventory();
  const { kind, messages } = renderDigest(digestInput({ checks, healthyLeftOut, zonesTotal: ZONES }));
  const [parent, ...replies] = messages as [DigestMessage, ...DigestMessage[]];

  it('keeps every message within Slack’s limits', () => {
    expect(kind).toBe('attention');
    messages.forEach((message, index) => {
      assertWithinBlockKitLimits(message, `message ${index + 1} of ${messages.length}`);
    });
  });

  it('opens with the counts of the whole inventory, healthy hostnames included', () => {
    const parentText = allBlockTexts(parent).join('\n');
    expect(parentText).toContain('1,000 critical');
    expect(parentText).toContain('3,000 warning');
    expect(parentText).toContain('96,000 healthy');
    expect(parentText).toContain('Checked 100,000 hostnames in 1,000 zones');
  });

  it('shows one line per certificate with its hostname count, the most urgent in the parent, the rest in the thread', () => {
    const lines = messages.flatMap((message) => sectionTexts(message)).flatMap((text) => text.split('\n'));
    // A certificate on one hostname is that hostname's line; on several, a line with their count
    // followed by their names. A line repeats only where its hostname list continues in the next reply.
    const critical = lines.filter((line) => line.startsWith(':red_circle: *h'));
    const warning = new Set(
      lines.filter((line) => line.startsWith(':large_orange_circle: 1 certificate, 3 hostnames, expires')),
    );
    expect(new Set(critical).size).toBe(ZONES);
    expect(critical).toHaveLength(ZONES);
    expect(warning.size).toBe(ZONES);
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.every((reply) => reply.isThreadReply)).toBe(true);
    expect(allBlockTexts(parent).join('\n')).toMatch(/listed in this thread \(\d+ replies\)/);
  });

  it('names every problem hostname exactly once and no healthy one', () => {
    const named = messages.flatMap((message) =>
      allBlockTexts(message).flatMap((text) => text.match(HOSTNAME_PATTERN) ?? []),
    );
    expect(named).toHaveLength(problems.size);
    expect(new Set(named)).toEqual(problems);
  });
});
