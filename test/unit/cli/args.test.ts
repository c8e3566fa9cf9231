import { describe, expect, it } from 'vitest';
import { parseCliArguments } from '../../../src/cli/args.js';
import { exitCodeFor } from '../../../src/cli/run.js';

describe('parseCliArguments', () => {
  it('shows help for no arguments, help, --help and -h anywhere', () => {
    for (const argv of [[], ['help'], ['--help'], ['check', 'app.example.com', '-h']]) {
      expect(parseCliArguments(argv), argv.join(' ')).toEqual({ kind: 'help' });
    }
  });

  it('reads check with a hostname and no zone, normalising case and a trailing dot', () => {
    expect(parseCliArguments(['check', 'App.Example.COM.'])).toEqual({
      kind: 'check',
      hostname: 'app.example.com',
      zone: null,
    });
  });

  it('takes the host of a pasted https URL', () => {
    expect(parseCliArguments(['check', 'https://app.example.com/login?x=1'])).toEqual({
      kind: 'check',
      hostname: 'app.example.com',
      zone: null,
    });
  });

  it('reads the zone as an id when it is 32 hex characters, else as a name', () => {
    expect(parseCliArguments(['check', 'app.example.com', '023E105F4ECEF8AD9CA31A8372D0C353'])).toEqual({
      kind: 'check',
      hostname: 'app.example.com',
      zone: { kind: 'id', id: '023e105f4ecef8ad9ca31a8372d0c353' },
    });
    expect(parseCliArguments(['check', '*.example.com', 'Example.com'])).toEqual({
      kind: 'check',
      hostname: '*.example.com',
      zone: { kind: 'name', name: 'example.com' },
    });
  });

  it('rejects a bad hostname with the reason', () => {
    expect(parseCliArguments(['check', 'app..example.com'])).toEqual({
      kind: 'usage_error',
      message:
        '"app..example.com" is not a valid hostname: It has an empty label (two dots in a row, or a leading dot).',
    });
    expect(parseCliArguments(['check', '10.0.0.1'])).toEqual({
      kind: 'usage_error',
      message: '"10.0.0.1" is not a valid hostname: IP addresses are not supported; use the hostname.',
    });
  });

  it('rejects a missing hostname, extra arguments and a bad zone', () => {
    expect(parseCliArguments(['check'])).toEqual({
      kind: 'usage_error',
      message: 'check needs a hostname: check <hostname> [zone].',
    });
    expect(parseCliArguments(['check', 'a.example.com', 'example.com', 'more'])).toEqual({
      kind: 'usage_error',
      message: 'check takes a hostname and an optional zone, got 3 arguments.',
    });
    expect(parseCliArguments(['check', 'a.example.com', '*.example.com'])).toEqual({
      kind: 'usage_error',
      message:
        '"*.example.com" is neither a zone id (32 hexadecimal characters) nor a zone name: A zone name cannot be a wildcard.',
    });
  });

  it('accepts digest only as a dry run', () => {
    expect(parseCliArguments(['digest', '--dry-run'])).toEqual({ kind: 'digest_dry_run' });
    expect(parseCliArguments(['digest'])).toEqual({
      kind: 'usage_error',
      message:
        'digest posts nothing from the command line (the bot posts digests on its schedule); add --dry-run to print it here.',
    });
    expect(parseCliArguments(['digest', '--dry-run', '--post'])).toEqual({
      kind: 'usage_error',
      message: 'digest takes no option --post.',
    });
  });

  it('names an unknown command', () => {
    expect(parseCliArguments(['lookup', 'a.example.com'])).toEqual({
      kind: 'usage_error',
      message: 'Unknown command "lookup".',
    });
  });
});

describe('exitCodeFor', () => {
  it('is 2 when anything is critical, whatever else failed', () => {
    expect(exitCodeFor(['ok', 'critical', 'unknown'], 3)).toBe(2);
  });

  it('is 1 when nothing is critical but something could not be told', () => {
    expect(exitCodeFor(['ok', 'unknown'], 0)).toBe(1);
    expect(exitCodeFor(['ok'], 1)).toBe(1);
  });

  it('is 0 for healthy, warning and info', () => {
    expect(exitCodeFor(['ok', 'warning', 'info'], 0)).toBe(0);
    expect(exitCodeFor([], 0)).toBe(0);
  });
});
