import { describe, expect, it } from 'vitest';
import dimse from 'dcmjs-dimse';
import type { SendSummary } from '../scu/send-instances.js';
import { SubOperations } from './sub-operations.js';

const summary = (over: Partial<SendSummary>): SendSummary => ({
  instances: 4,
  stored: 0,
  warnings: 0,
  converted: 0,
  failed: [],
  bytes: 0,
  associations: 1,
  notSent: [],
  ...over,
});
const response = () => new dimse.responses.CMoveResponse(0xff00, '');

describe('#15 C-MOVE/C-GET sub-operation statuses (PS3.4 C.4.2.1.5)', () => {
  it('counts pending sub-operations: remaining falls as answers come', () => {
    const ops = new SubOperations(3);
    ops.record({ kind: 'stored', status: 0 });
    ops.record({ kind: 'stored', status: 0xb007 });
    const r = ops.pending(response()) as InstanceType<typeof dimse.responses.CMoveResponse>;
    expect([r.getStatus(), r.getRemaining(), r.getCompleted(), r.getWarnings()]).toEqual([
      0xff00, 1, 1, 1,
    ]);
  });

  it('final: 0000 all done, B000 some failed (with the list), A702 none sent, FE00 cancelled', () => {
    const final = (s: SendSummary, cancelled = false) =>
      new SubOperations(4).final(response(), s, cancelled) as InstanceType<
        typeof dimse.responses.CMoveResponse
      >;
    expect(final(summary({ stored: 4 })).getStatus()).toBe(0x0000);
    const some = final(summary({ stored: 3, failed: [{ sopInstanceUid: '1.2.3', reason: 'x' }] }));
    expect(some.getStatus()).toBe(0xb000);
    expect(some.getDataset()?.getElement('FailedSOPInstanceUIDList')).toEqual(['1.2.3']);
    const none = final(
      summary({ failed: ['1', '2', '3', '4'].map((u) => ({ sopInstanceUid: u, reason: 'x' })) }),
    );
    expect(none.getStatus()).toBe(0xa702);
    const cancelled = final(summary({ stored: 1, notSent: ['2', '3', '4'] }), true);
    expect([cancelled.getStatus(), cancelled.getRemaining()]).toEqual([0xfe00, 3]);
  });
});
