import { describe, expect, it } from 'vitest';
import type { ChangeRow } from '../index/change-feed.repository.js';
import type { WebhookRow } from '../index/webhooks.repository.js';
import { matches } from './webhook-dispatcher.js';

const row: ChangeRow = {
  sequence: 1,
  action: 'create',
  studyInstanceUid: '1.2.1',
  seriesInstanceUid: '1.2.2',
  sopInstanceUid: '1.2.3',
  at: new Date(),
  state: 'current',
  modality: 'CT',
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  metadata: null,
};
const hook = (filters: Partial<WebhookRow>): WebhookRow => ({
  id: 'h',
  url: 'http://x',
  secret: 's',
  actions: null,
  studyInstanceUid: null,
  seriesInstanceUid: null,
  modality: null,
  sopClassUid: null,
  deliveredSequence: 0,
  failures: 0,
  nextAttemptAt: null,
  lastError: null,
  createdBy: null,
  createdAt: new Date(),
  ...filters,
});

describe('webhook filters', () => {
  it('match everything when absent, and each one narrows', () => {
    expect(matches(hook({}), row)).toBe(true);
    expect(matches(hook({ actions: ['delete'] }), row)).toBe(false);
    expect(matches(hook({ actions: ['create', 'delete'] }), row)).toBe(true);
    expect(matches(hook({ modality: 'MR' }), row)).toBe(false);
    expect(matches(hook({ modality: 'CT', studyInstanceUid: '1.2.1' }), row)).toBe(true);
    expect(matches(hook({ seriesInstanceUid: '9' }), row)).toBe(false);
    expect(matches(hook({ sopClassUid: '1.2.840.10008.5.1.4.1.1.4' }), row)).toBe(false);
  });
});
