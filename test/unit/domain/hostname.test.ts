import { describe, expect, it } from 'vitest';
import {
  isZoneId,
  parentSuffixes,
  parseHostname,
  parseZoneId,
  parseZoneName,
} from '../../../src/domain/hostname.js';

const label63 = 'a'.repeat(63);
/** 63 + 1 + 63 + 1 + 63 + 1 + 57 + 4 = 253 characters. */
const name253 = `${label63}.${label63}.${label63}.${'b'.repeat(57)}.com`;

describe('parseHostname accepts and normalises', () => {
  const good: Array<[input: string, hostname: string]> = [
    ['app.example.com', 'app.example.com'],
    ['  App.Example.COM  ', 'app.example.com'],
    ['app.example.com.', 'app.example.com'],
    ['*.example.com', '*.example.com'],
    ['*.Example.com.', '*.example.com'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
    ['123.example.com', '123.example.com'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example', 'xn--bcher-kva.example'],
    ['例え.テスト', 'xn--r8jz45g.xn--zckzah'],
    ['ex。com', 'ex.com'],
    [`${label63}.com`, `${label63}.com`],
    [name253, name253],
  ];
  for (const [input, hostname] of good) {
    it(`accepts ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
      expect(parseHostname(input)).toEqual({ ok: true, hostname });
    });
  }
});

describe('parseHostname rejects, with a reason a person can act on', () => {
  const bad: Array<[input: string, reason: string]> = [
    ['', 'Enter a hostname, e.g. app.example.com.'],
    ['   ', 'Enter a hostname, e.g. app.example.com.'],
    ['localhost', 'A hostname needs at least two labels, e.g. app.example.com.'],
    ['*.com', 'A hostname needs at least two labels, e.g. app.example.com.'],
    ['a..example.com', 'It has an empty label (two dots in a row, or a leading dot).'],
    ['.example.com', 'It has an empty label (two dots in a row, or a leading dot).'],
    ['example.com..', 'It has an empty label (two dots in a row, or a leading dot).'],
    [`${'a'.repeat(64)}.com`, `The label “${'a'.repeat(39)}…” is 64 characters long; the limit is 63.`],
    [`${name253}a`, 'It is 254 characters long; a hostname is at most 253.'],
    ['-app.example.com', 'The label “-app” may not start or end with a hyphen.'],
    ['app-.example.com', 'The label “app-” may not start or end with a hyphen.'],
    ['app_1.example.com', 'A hostname may contain only letters, digits, hyphens and dots.'],
    ['a*.example.com', 'A wildcard is allowed only as the whole first label, e.g. *.example.com.'],
    ['app.*.example.com', 'A wildcard is allowed only as the whole first label, e.g. *.example.com.'],
    ['10.0.0.1', 'IP addresses are not supported; use the hostname.'],
    ['0x7f.1', 'IP addresses are not supported; use the hostname.'],
    ['１２７.０.０.１', 'IP addresses are not supported; use the hostname.'],
    ['[::1]', 'Enter a hostname without a port; IP addresses are not supported.'],
    ['2001:db8::1', 'Enter a hostname without a port; IP addresses are not supported.'],
    ['app.example.com:443', 'Enter a hostname without a port; IP addresses are not supported.'],
    ['../etc/passwd', 'Enter only the hostname, without a scheme, path or user name.'],
    ['app.example.com/x', 'Enter only the hostname, without a scheme, path or user name.'],
    ['user@app.example.com', 'Enter only the hostname, without a scheme, path or user name.'],
    ['<!channel>', 'A hostname may contain only letters, digits, hyphens and dots.'],
    ['app%2eexample.com', 'A hostname may contain only letters, digits, hyphens and dots.'],
    ['app example.com', 'A hostname may contain only letters, digits, hyphens and dots.'],
    ['app\u200bexample.com', 'A hostname may contain only letters, digits, hyphens and dots.'],
    ['app\nexample.com', 'A hostname may contain only letters, digits, hyphens and dots.'],
    ['bücher／x.example', 'A hostname may contain only letters, digits, hyphens and dots.'],
    ['bücher.xn--zz', 'It is not a valid internationalised domain name.'],
    ['xn--zz.example', 'It is not a valid internationalised domain name.'],
    ['app.xn--a.example', 'It is not a valid internationalised domain name.'],
    ['x'.repeat(5000), 'A hostname is at most 253 characters long.'],
  ];
  for (const [input, reason] of bad) {
    it(`rejects ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
      expect(parseHostname(input)).toEqual({ ok: false, reason });
    });
  }
});

describe('parseZoneId and parseZoneName', () => {
  it('accepts exactly 32 hex characters and lowercases them', () => {
    expect(parseZoneId(' 023E105F4ECEF8AD9CA31A8372D0C353 ')).toEqual({
      ok: true,
      zoneId: '023e105f4ecef8ad9ca31a8372d0c353',
    });
  });

  it.each([
    '023e105f4ecef8ad9ca31a8372d0c35',
    '023e105f4ecef8ad9ca31a8372d0c3533',
    '023e105f4ecef8ad9ca31a8372d0c35g',
    '2458ce5a-0c35-4c7f-82c7-8e9487d3ff60',
    '',
  ])('rejects %j as a zone id', (input) => {
    expect(parseZoneId(input)).toEqual({
      ok: false,
      reason: 'A zone id is exactly 32 hexadecimal characters.',
    });
    expect(isZoneId(input)).toBe(false);
  });

  it('accepts a zone name like a hostname but refuses a wildcard', () => {
    expect(parseZoneName('Example.COM.')).toEqual({ ok: true, zoneName: 'example.com' });
    expect(parseZoneName('*.example.com')).toEqual({
      ok: false,
      reason: 'A zone name cannot be a wildcard.',
    });
    expect(parseZoneName('com')).toEqual({
      ok: false,
      reason: 'A hostname needs at least two labels, e.g. app.example.com.',
    });
  });
});

describe('parentSuffixes', () => {
  it('lists the hostname and each parent, never a bare top-level label', () => {
    expect(parentSuffixes('a.b.example.com')).toEqual(['a.b.example.com', 'b.example.com', 'example.com']);
  });

  it('starts below the wildcard', () => {
    expect(parentSuffixes('*.x.example.com')).toEqual(['x.example.com', 'example.com']);
  });

  it('returns the zone apex alone for a two-label name', () => {
    expect(parentSuffixes('example.com')).toEqual(['example.com']);
  });
});
