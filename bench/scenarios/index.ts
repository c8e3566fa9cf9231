import type { Scenario } from '../lib/context.js';
import { ackScenario } from './ack.js';
import { answerScenario } from './answer.js';
import { digestScenario } from './digest.js';
import { discoveryScenario } from './discovery.js';
import { evaluationScenario } from './evaluation.js';
import { growthScenario } from './growth.js';
import { reserveScenario } from './reserve.js';
import { scaleScenario } from './scale.js';
import { storedStateScenario } from './stored-state.js';
import { workersScenario } from './workers.js';

/** In report order. A new scenario is one `Scenario` added here. */
export const SCENARIOS: Scenario[] = [
  ackScenario,
  answerScenario,
  digestScenario,
  evaluationScenario,
  growthScenario,
  discoveryScenario,
  scaleScenario,
  reserveScenario,
  workersScenario,
  storedStateScenario,
];
