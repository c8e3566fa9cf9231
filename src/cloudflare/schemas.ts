/**
 * zod schemas for the Cloudflare v4 wire format. The official OpenAPI marks no field of these
 * results as required, and real answers carry fields the spec never mentions, so every field is
 * optional, unknown fields are dropped, and a field of the wrong type is dropped on its own rather
 * than rejecting the record: one odd `issuer` must not hide a certificate's expiry from on-call.
 * Only a body that is not an envelope at all, or a result of the wrong overall shape, is refused.
 */
import { z } from 'zod';
import type { CloudflareErrorEntry } from './errors.js';
import type {
  CfHostnameAssociationRow,
  CfHostnameCertificate,
  CfHostnameStatus,
  CfZone,
  CfZoneCertificate,
} from './types.js';

/** A field that is kept when it has the right type and silently dropped otherwise. */
function lenient<T extends z.ZodType>(schema: T) {
  return schema.optional().catch(undefined);
}

const lenientString = lenient(z.string());
const lenientNumber = lenient(z.number());
/** Tri-state per-hostname switch: true, false, or null (voided). */
const lenientNullableBoolean = lenient(z.boolean().nullable());

/** Drops keys whose value is undefined, so the result fits `exactOptionalPropertyTypes` types. */
type WithoutUndefined<T> = { [K in keyof T]: Exclude<T[K], undefined> };
function withoutUndefined<T extends Record<string, unknown>>(record: T): Partial<WithoutUndefined<T>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined) out[key] = value;
  }
  return out as Partial<WithoutUndefined<T>>;
}

interface RawErrorEntry {
  code?: number | undefined;
  message?: string | undefined;
  error_chain?: RawErrorEntry[] | undefined;
}

const errorEntrySchema: z.ZodType<RawErrorEntry> = z.lazy(() =>
  z.object({
    code: lenientNumber,
    message: lenientString,
    error_chain: lenient(z.array(errorEntrySchema)),
  }),
);

/** `errors` / `messages`: an array of `{code, message}`; entries that are not objects are skipped. */
const messageListSchema = z
  .array(z.unknown())
  .catch([])
  .transform((items) =>
    items.flatMap((item) => {
      const parsed = errorEntrySchema.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    }),
  );

export const resultInfoSchema = z.object({
  count: lenientNumber,
  page: lenientNumber,
  per_page: lenientNumber,
  total_count: lenientNumber,
  total_pages: lenientNumber,
});
export type CfResultInfo = z.output<typeof resultInfoSchema>;

/**
 * The v4 envelope. `success` must be a boolean: it is what tells an envelope apart from an HTML
 * error page or a proxy's JSON. `errors`/`messages` default to empty; `result` is checked per endpoint.
 */
export const envelopeSchema = z.object({
  success: z.boolean(),
  errors: messageListSchema.optional().transform((list) => list ?? []),
  messages: messageListSchema.optional().transform((list) => list ?? []),
  result: z.unknown(),
  result_info: lenient(resultInfoSchema),
});
export type CfEnvelope = z.output<typeof envelopeSchema>;

/** Flattens `errors` and their `error_chain`s into `{code, message}` pairs, outermost first. */
export function flattenCloudflareErrors(entries: readonly RawErrorEntry[]): CloudflareErrorEntry[] {
  const flat: CloudflareErrorEntry[] = [];
  const visit = (entry: RawErrorEntry) => {
    flat.push({ code: entry.code ?? 0, message: entry.message ?? '' });
    for (const child of entry.error_chain ?? []) visit(child);
  };
  for (const entry of entries) visit(entry);
  return flat;
}

/** The `errors` of a failed answer when its body is an envelope; [] for anything else. */
export function cloudflareErrorsFromBody(body: unknown): CloudflareErrorEntry[] {
  if (typeof body !== 'object' || body === null) return [];
  const errors = messageListSchema.safeParse((body as { errors?: unknown }).errors);
  return errors.success ? flattenCloudflareErrors(errors.data) : [];
}

const hostnameStatusFields = z.object({
  hostname: lenientString,
  cert_id: lenientString,
  enabled: lenientNullableBoolean,
  status: lenientString,
  cert_status: lenientString,
  created_at: lenientString,
  updated_at: lenientString,
  cert_uploaded_on: lenientString,
  cert_updated_at: lenientString,
  certificate: lenientString,
  expires_on: lenientString,
  issuer: lenientString,
  serial_number: lenientString,
  signature: lenientString,
});

/** H3 result: GET /zones/{zone_id}/origin_tls_client_auth/hostnames/{hostname}. */
export const hostnameStatusSchema: z.ZodType<CfHostnameStatus> = hostnameStatusFields.transform(
  (record): CfHostnameStatus => withoutUndefined(record),
);

const hostnameAssociationFields = z.object({
  hostname: lenientString,
  cert_id: lenientString,
  enabled: lenientNullableBoolean,
  status: lenientString,
  created_at: lenientString,
  updated_at: lenientString,
});

/** H2 row: GET /zones/{zone_id}/origin_tls_client_auth/hostnames. */
export const hostnameAssociationRowSchema: z.ZodType<CfHostnameAssociationRow> =
  hostnameAssociationFields.transform((record): CfHostnameAssociationRow => withoutUndefined(record));

const hostnameCertificateFields = z.object({
  id: lenientString,
  certificate: lenientString,
  expires_on: lenientString,
  issuer: lenientString,
  serial_number: lenientString,
  signature: lenientString,
  status: lenientString,
  uploaded_on: lenientString,
});

/** C1 row: GET /zones/{zone_id}/origin_tls_client_auth/hostnames/certificates. */
export const hostnameCertificateSchema: z.ZodType<CfHostnameCertificate> =
  hostnameCertificateFields.transform((record): CfHostnameCertificate => withoutUndefined(record));

const zoneCertificateFields = z.object({
  id: lenientString,
  certificate: lenientString,
  enabled: lenient(z.boolean()),
  expires_on: lenientString,
  issuer: lenientString,
  signature: lenientString,
  status: lenientString,
  uploaded_on: lenientString,
});

/** Z1 row / Z3 result: GET /zones/{zone_id}/origin_tls_client_auth[/{certificate_id}]. */
export const zoneCertificateSchema: z.ZodType<CfZoneCertificate> = zoneCertificateFields.transform(
  (record): CfZoneCertificate => withoutUndefined(record),
);

/** A zone from GET /zones; a row without a string `id` and `name` is useless and is skipped by the list. */
export const zoneSchema: z.ZodType<CfZone> = z
  .object({
    id: z.string(),
    name: z.string(),
    status: lenientString,
    account: z.object({ id: z.string(), name: lenientString }).optional().catch(undefined),
  })
  .transform((record): CfZone => {
    const zone: CfZone = { id: record.id, name: record.name };
    if (record.status !== undefined) zone.status = record.status;
    if (record.account) {
      zone.account = { id: record.account.id };
      if (record.account.name !== undefined) zone.account.name = record.account.name;
    }
    return zone;
  });

/** S1 result: `{enabled}`; the spec says boolean, but a null is read as "unknown" rather than refused. */
export const zoneAopSettingSchema = z
  .object({ enabled: lenientNullableBoolean })
  .transform((record) => ({ enabled: record.enabled ?? null }));

/** GET /zones/{zone_id}/settings/tls_client_auth result: `{id, value: 'on'|'off', ...}`. */
export const zoneTlsClientAuthSchema = z
  .object({ value: lenientString })
  .transform((record) => ({ value: record.value ?? null }));

/** A list result: an array whose object rows each parse leniently (a non-object row fails the list). */
export function listOf<T>(row: z.ZodType<T>) {
  return z.array(row);
}

/** A list whose rows without a usable identity are skipped rather than failing the list. */
export function listSkippingUnusable<T>(row: z.ZodType<T>) {
  return z.array(z.unknown()).transform((items) =>
    items.flatMap((item) => {
      const parsed = row.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    }),
  );
}
