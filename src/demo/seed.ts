/**
 * What the demo's Cloudflare holds: three zones and thirteen hostnames covering every state the
 * bot reports, dated relative to the demo's clock so the story is the same on any day.
 */
import type { DemoCertificateInput, DemoFakeCloudflare, DemoFakeOutcome, DemoStandIns } from './stand-ins.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export const DEMO_ZONES = {
  demo: { id: 'de700000000000000000000000000001', name: 'demo.example' },
  shop: { id: 'de700000000000000000000000000002', name: 'shop.example' },
  partner: { id: 'de700000000000000000000000000003', name: 'partner.example' },
} as const;

export const DEMO_CHANNELS = {
  /** Where people type commands. */
  oncall: 'C0ONCALL',
  digest: 'C0DIGEST',
  alerts: 'C0ALERTS',
} as const;

/** A seeded hostname and, in words, the state it was seeded in. */
export interface SeededHostname {
  hostname: string;
  state: string;
}

/** The YAML file the demo's app reads (as an object, snake_case as users write it). */
export function demoConfigFile(): Record<string, unknown> {
  return {
    timezone: 'UTC',
    zones: [
      // No hostnames: every association in the zone is watched (discovered from the list endpoint).
      { id: DEMO_ZONES.demo.id, name: DEMO_ZONES.demo.name },
      {
        id: DEMO_ZONES.shop.id,
        name: DEMO_ZONES.shop.name,
        hostnames: ['checkout.shop.example', 'cart.shop.example'],
      },
      { id: DEMO_ZONES.partner.id, name: DEMO_ZONES.partner.name, hostnames: ['portal.partner.example'] },
    ],
    thresholds: { warning_days: 30, critical_days: 7, stuck_pending_minutes: 120 },
    digest: { schedule: '0 9 * * 1-5', channels: [DEMO_CHANNELS.digest] },
    // Evaluations run only when the demo asks; a schedule that cannot fire while it runs.
    alerts: {
      channel: DEMO_CHANNELS.alerts,
      schedule: '0 0 1 1 *',
      mention_on_critical: '<!subteam^S0ONCALL|@aop-oncall>',
    },
  };
}

function wireTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Every request for `zoneId` is answered 403, as for a token scoped to other zones. */
function makeZoneUnreadable(cloudflare: DemoFakeCloudflare, zoneId: string): void {
  const original = cloudflare.handle.bind(cloudflare);
  const forbidden: DemoFakeOutcome = {
    kind: 'respond',
    status: 403,
    headers: { 'content-type': 'application/json' },
    rawBody: JSON.stringify({
      success: false,
      errors: [{ code: 10000, message: 'Authentication error' }],
      messages: [],
      result: null,
    }),
  };
  cloudflare.handle = (request) => {
    const answer = original(request);
    return request.path.startsWith(`/zones/${zoneId}/`) ? forbidden : answer;
  };
}

/**
 * Seeds the stand-in and returns the hostnames with their intended states, in display order.
 *
 * @example const seeded = seedDemoCloudflare(cloudflare, standIns, new Date());
 */
export function seedDemoCloudflare(
  cloudflare: DemoFakeCloudflare,
  standIns: Pick<DemoStandIns, 'generateSelfSignedCertificate' | 'certificateFields'>,
  now: Date,
): SeededHostname[] {
  const seeded: SeededHostname[] = [];
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
  const { state } = cloudflare;
  for (const zone of Object.values(DEMO_ZONES)) {
    state.addZone({ id: zone.id, name: zone.name, tlsClientAuth: 'on', aopEnabled: false });
  }

  const install = (
    zoneId: string,
    hostnames: string[],
    description: string,
    options: {
      daysLeft: number;
      certificate?: DemoCertificateInput;
      association?: { enabled?: boolean | null; status?: string; updated_at?: string };
    },
  ) => {
    const [first = 'demo.example'] = hostnames;
    const notAfter = at(options.daysLeft * DAY_MS);
    const generated = standIns.generateSelfSignedCertificate({
      hostname: first,
      notAfter,
      notBefore: at(Math.min(options.daysLeft, 0) * DAY_MS - 90 * DAY_MS),
      issuerCommonName: 'Demo Origin Pull CA',
    });
    const certificate = state.addCertificate(zoneId, {
      ...standIns.certificateFields(generated),
      uploaded_on: wireTime(at(-60 * DAY_MS)),
      ...options.certificate,
    });
    for (const hostname of hostnames) {
      state.associate(zoneId, {
        hostname,
        cert_id: certificate.id,
        created_at: wireTime(at(-60 * DAY_MS)),
        updated_at: wireTime(at(-60 * DAY_MS)),
        ...options.association,
      });
      seeded.push({ hostname, state: description });
    }
  };

  const demo = DEMO_ZONES.demo.id;
  install(demo, ['app.demo.example'], 'healthy, expires in 200 days', { daysLeft: 200.5 });
  install(demo, ['api.demo.example'], 'expires in 20 days (warning)', { daysLeft: 20.2 });
  install(demo, ['pay.demo.example'], 'expires in 3 days (critical)', { daysLeft: 3.2 });
  install(demo, ['legacy.demo.example'], 'expired 2 days ago', { daysLeft: -2 });
  install(
    demo,
    ['www.demo.example', 'static.demo.example'],
    'one certificate shared by two hostnames, 12 days left',
    {
      daysLeft: 12.2,
    },
  );
  install(demo, ['edge.demo.example'], 'deployment timed out', {
    daysLeft: 150.5,
    association: { status: 'deployment_timed_out', updated_at: wireTime(at(-3 * HOUR_MS)) },
  });
  install(demo, ['new.demo.example'], 'pending deployment for 5 hours (stuck)', {
    daysLeft: 365.5,
    certificate: { status: 'pending_deployment', uploaded_on: wireTime(at(-5 * HOUR_MS)) },
    association: { status: 'pending_deployment', updated_at: wireTime(at(-5 * HOUR_MS)) },
  });
  install(demo, ['old.demo.example'], 'per-hostname AOP disabled', {
    daysLeft: 100.5,
    association: { enabled: false },
  });
  install(demo, ['gone.demo.example'], 'association voided', {
    daysLeft: 90.5,
    association: { enabled: null },
  });

  const shop = DEMO_ZONES.shop.id;
  install(shop, ['checkout.shop.example'], 'healthy, expires in 300 days', { daysLeft: 300.5 });
  seeded.push({ hostname: 'cart.shop.example', state: 'listed in the config, but no association' });

  const partner = DEMO_ZONES.partner.id;
  install(partner, ['portal.partner.example'], 'in a zone the API token may not read', { daysLeft: 45.5 });
  makeZoneUnreadable(cloudflare, partner);
  return seeded;
}
