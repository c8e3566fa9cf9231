/**
 * BullMQ's four classes the queue runtime constructs, each loaded from its own file. The package's
 * entry also loads its PostgreSQL backend and every other Redis client adapter (about 1 MB of heap
 * in every process), which this bot never uses. These are the very files the entry loads (its
 * CommonJS build, the one Node picks), so there is one copy of each class whichever way it is
 * reached; a unit test checks they are the classes the entry exports, so an upgrade that moves
 * them fails there first.
 *
 * Types still come from the entry: `import type` loads nothing.
 */
import { createRequire } from 'node:module';
import type * as bullmq from 'bullmq';

const require = createRequire(import.meta.url);
const classes = 'bullmq/dist/cjs/classes';

export const FlowProducer = (require(`${classes}/flow-producer.js`) as typeof bullmq).FlowProducer;
export type FlowProducer = bullmq.FlowProducer;
export const Queue = (require(`${classes}/queue.js`) as typeof bullmq).Queue;
export type Queue = bullmq.Queue;
export const QueueEvents = (require(`${classes}/queue-events.js`) as typeof bullmq).QueueEvents;
export type QueueEvents = bullmq.QueueEvents;
export const Worker = (require(`${classes}/worker.js`) as typeof bullmq).Worker;
export type Worker = bullmq.Worker;
