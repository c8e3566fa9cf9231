/**
 * The local Cloudflare and Slack stand-ins the demo runs against. They live in test/support (the
 * tests' fakes, so the demo shows exactly what the tests check) and are loaded at run time from a
 * source checkout. The build compiles src/ alone, so nothing here may import test/ statically:
 * the interfaces below name only what the demo uses, and test/integration/demo checks that the
 * real modules satisfy them.
 */
import type { CloudflareAuth } from '../config/types.js';

export type DemoFakeOutcome =
  | { kind: 'respond'; status: number; headers: Record<string, string>; rawBody: string }
  | { kind: 'hang' }
  | { kind: 'reset' };

export interface DemoFakeRequest {
  method: string;
  /** Below the API base, e.g. `/zones/<id>/origin_tls_client_auth/hostnames`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
}

/** Wire fields of an uploaded certificate (test/support/fake-cloudflare.ts `FakeCertificate`). */
export interface DemoCertificateInput {
  id?: string;
  certificate?: string;
  expires_on?: string;
  issuer?: string;
  serial_number?: string;
  signature?: string;
  status?: string;
  uploaded_on?: string;
  updated_at?: string;
}

export interface DemoAssociationInput {
  hostname: string;
  cert_id?: string;
  enabled?: boolean | null;
  status?: string;
  created_at?: string;
  updated_at?: string;
}

export interface DemoFakeCloudflare {
  baseUrl: string;
  state: {
    /** Credentials the stand-in accepts; anything else is a 401. */
    credentials: CloudflareAuth[];
    addZone(input: { id?: string; name: string; tlsClientAuth?: 'on' | 'off'; aopEnabled?: boolean }): {
      id: string;
    };
    addCertificate(zoneId: string, input?: DemoCertificateInput): { id: string };
    associate(zoneId: string, input: DemoAssociationInput): unknown;
  };
  /** Replaceable: the demo wraps it to make one zone unreadable. */
  handle(request: DemoFakeRequest): DemoFakeOutcome;
  close(): Promise<void>;
}

export interface DemoRecordedCall {
  method: string;
  args: Record<string, unknown>;
}

export interface DemoFakeSlack {
  apiUrl: string;
  calls: DemoRecordedCall[];
  responseUrl(): string;
  responsesTo(url: string): Array<{ body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface DemoGeneratedCertificate {
  pem: string;
  notAfter: Date;
}

export interface DemoStandIns {
  startFakeCloudflare(): Promise<DemoFakeCloudflare>;
  startFakeSlack(): Promise<DemoFakeSlack>;
  sendSlashCommand(
    appUrl: string,
    signingSecret: string,
    fields: { text: string; response_url: string; user_id?: string; channel_id?: string },
  ): Promise<{ status: number; body: string }>;
  /** Posts a signed Events API request, as Slack does for `app_home_opened`. */
  sendEvent(
    appUrl: string,
    signingSecret: string,
    event: Record<string, unknown>,
  ): Promise<{ status: number; body: string }>;
  appHomeOpenedEvent(userId: string): Record<string, unknown>;
  generateSelfSignedCertificate(options: {
    hostname: string;
    notAfter: Date;
    notBefore?: Date;
    issuerCommonName?: string;
  }): DemoGeneratedCertificate;
  certificateFields(generated: DemoGeneratedCertificate): DemoCertificateInput;
}

const SUPPORT_DIRECTORY = new URL('../../test/support/', import.meta.url);

function requireFunction(module: unknown, name: string, file: string): unknown {
  const value = (module as Record<string, unknown> | null)?.[name];
  if (typeof value !== 'function') {
    throw new Error(`The demo needs ${name}() from test/support/${file}, which this copy does not have.`);
  }
  return value;
}

/**
 * Loads the stand-ins from test/support. Needs a source checkout run through tsx (`npm run demo`);
 * a built image has no test/ directory, and the message says so.
 *
 * @example const standIns = await loadStandIns(); const slack = await standIns.startFakeSlack();
 */
export async function loadStandIns(): Promise<DemoStandIns> {
  const load = async (file: string): Promise<unknown> => {
    try {
      // A computed specifier, so that the build (rootDir src) never follows it into test/.
      return await import(new URL(file, SUPPORT_DIRECTORY).href);
    } catch (error) {
      throw new Error(
        `The demo runs from a source checkout (npm run demo) and could not load test/support/${file}: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  };
  const [cloudflare, slack] = await Promise.all([load('fake-cloudflare.ts'), load('fake-slack.ts')]);
  return {
    startFakeCloudflare: requireFunction(cloudflare, 'startFakeCloudflare', 'fake-cloudflare.ts'),
    generateSelfSignedCertificate: requireFunction(
      cloudflare,
      'generateSelfSignedCertificate',
      'fake-cloudflare.ts',
    ),
    certificateFields: requireFunction(cloudflare, 'certificateFields', 'fake-cloudflare.ts'),
    startFakeSlack: requireFunction(slack, 'startFakeSlack', 'fake-slack.ts'),
    sendSlashCommand: requireFunction(slack, 'sendSlashCommand', 'fake-slack.ts'),
    sendEvent: requireFunction(slack, 'sendEvent', 'fake-slack.ts'),
    appHomeOpenedEvent: requireFunction(slack, 'appHomeOpenedEvent', 'fake-slack.ts'),
  } as DemoStandIns;
}
