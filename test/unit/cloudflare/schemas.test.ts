import { describe, expect, it } from 'vitest';
import {
  cloudflareErrorsFromBody,
  envelopeSchema,
  hostnameAssociationRowSchema,
  hostnameCertificateSchema,
  hostnameStatusSchema,
  listSkippingUnusable,
  zoneAopSettingSchema,
  zoneCertificateSchema,
  zoneSchema,
  zoneTlsClientAuthSchema,
} from '../../../src/cloudflare/schemas.js';

describe('envelopeSchema', () => {
  it('accepts a collection envelope and reads result_info', () => {
    const parsed = envelopeSchema.parse({
      success: true,
      errors: [],
      messages: [{ code: 1000, message: 'note' }],
      result: [],
      result_info: { page: 2, per_page: 1000, total_pages: 3, count: 1000, total_count: 2500 },
    });
    expect(parsed.result_info).toEqual({
      page: 2,
      per_page: 1000,
      total_pages: 3,
      count: 1000,
      total_count: 2500,
    });
    expect(parsed.messages).toEqual([{ code: 1000, message: 'note' }]);
  });

  it('tolerates missing errors and messages and a broken result_info', () => {
    const parsed = envelopeSchema.parse({ success: true, result: { enabled: true }, result_info: 'x' });
    expect(parsed.errors).toEqual([]);
    expect(parsed.messages).toEqual([]);
    expect(parsed.result_info).toBeUndefined();
  });

  it.each([
    ['a bare result', { enabled: true }],
    ['a string success', { success: 'true', result: {} }],
    ['an array', [1, 2]],
    ['null', null],
  ])('refuses %s', (_label, body) => {
    expect(envelopeSchema.safeParse(body).success).toBe(false);
  });
});

describe('record schemas', () => {
  it('keeps enabled true, false and null and drops a non-boolean', () => {
    expect(hostnameStatusSchema.parse({ enabled: true })).toEqual({ enabled: true });
    expect(hostnameStatusSchema.parse({ enabled: false })).toEqual({ enabled: false });
    expect(hostnameStatusSchema.parse({ enabled: null })).toEqual({ enabled: null });
    expect(hostnameStatusSchema.parse({ enabled: 'true' })).toEqual({});
  });

  it('reads a zone-level certificate, keeping a boolean enabled and dropping a null one', () => {
    expect(
      zoneCertificateSchema.parse({
        id: 'z1',
        enabled: true,
        status: 'active',
        expires_on: '2100-01-01T05:20:00Z',
        uploaded_on: 17,
        private_key: 'never kept',
      }),
    ).toEqual({ id: 'z1', enabled: true, status: 'active', expires_on: '2100-01-01T05:20:00Z' });
    expect(zoneCertificateSchema.parse({ id: 'z2', enabled: null })).toEqual({ id: 'z2' });
  });

  it('drops wrong-typed and unknown fields without dropping the record', () => {
    expect(
      hostnameCertificateSchema.parse({
        id: 'c1',
        serial_number: 12345,
        expires_on: '2027-01-01T00:00:00Z',
        error_chain: [],
        new_field: { nested: true },
      }),
    ).toEqual({ id: 'c1', expires_on: '2027-01-01T00:00:00Z' });
    expect(
      hostnameAssociationRowSchema.parse({ hostname: 'a.example.com', cert_id: null, status: 7 }),
    ).toEqual({
      hostname: 'a.example.com',
    });
  });

  it('refuses a record that is not an object', () => {
    expect(hostnameStatusSchema.safeParse('active').success).toBe(false);
    expect(hostnameStatusSchema.safeParse(null).success).toBe(false);
  });

  it('needs a zone id and name, and skips zones without them in a list', () => {
    expect(
      listSkippingUnusable(zoneSchema).parse([
        { id: 'z1', name: 'example.com', status: 'active', plan: {} },
        { id: 'z2' },
      ]),
    ).toEqual([{ id: 'z1', name: 'example.com', status: 'active' }]);
  });

  it('reads the zone switches, null when unreadable', () => {
    expect(zoneAopSettingSchema.parse({ enabled: false })).toEqual({ enabled: false });
    expect(zoneAopSettingSchema.parse({})).toEqual({ enabled: null });
    expect(zoneTlsClientAuthSchema.parse({ id: 'tls_client_auth', value: 'off', editable: true })).toEqual({
      value: 'off',
    });
    expect(zoneTlsClientAuthSchema.parse({ value: 1 })).toEqual({ value: null });
  });
});

describe('cloudflareErrorsFromBody', () => {
  it('flattens error_chain entries after their parent', () => {
    expect(
      cloudflareErrorsFromBody({
        success: false,
        errors: [
          {
            code: 6003,
            message: 'Invalid request headers',
            error_chain: [{ code: 6111, message: 'Invalid format' }],
          },
          { code: 10000, message: 'Authentication error' },
          'junk',
        ],
      }),
    ).toEqual([
      { code: 6003, message: 'Invalid request headers' },
      { code: 6111, message: 'Invalid format' },
      { code: 10000, message: 'Authentication error' },
    ]);
  });

  it('gives [] for bodies without errors', () => {
    expect(cloudflareErrorsFromBody('oops')).toEqual([]);
    expect(cloudflareErrorsFromBody({ errors: 'none' })).toEqual([]);
  });
});
