import type { Scenario } from '../lib/context.js';
import { ackScenario } from './ack.js';

/** In report order. A new scenario is one `Scenario` added here. */
export const SCENARIOS: Scenario[] = [ackScenario];
