import * as entry from 'bullmq';
import { describe, expect, it } from 'vitest';
import { FlowProducer, Queue, QueueEvents, Worker } from '../../../src/queue/bullmq.js';

describe('BullMQ classes loaded from their own files', () => {
  it('are the very classes the package entry exports', () => {
    expect(FlowProducer).toBe(entry.FlowProducer);
    expect(Queue).toBe(entry.Queue);
    expect(QueueEvents).toBe(entry.QueueEvents);
    expect(Worker).toBe(entry.Worker);
  });
});
