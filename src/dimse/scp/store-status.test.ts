import { describe, expect, it } from 'vitest';
import { FailureReason, WarningReason } from '../../services/outcomes.js';
import { storeStatus } from './store-status.js';

const ref = {
  studyInstanceUid: '1',
  seriesInstanceUid: '2',
  sopInstanceUid: '3',
  sopClassUid: '4',
};

describe('storeStatus', () => {
  it('maps stored, duplicate and warnings', () => {
    expect(storeStatus({ outcome: { ok: true, result: 'created', ...ref } }).status).toBe(0);
    expect(storeStatus({ outcome: { ok: true, result: 'duplicate', ...ref } }).status).toBe(0);
    const warned = { ok: true as const, result: 'created' as const, ...ref };
    expect(
      storeStatus({ outcome: { ...warned, warning: WarningReason.DataSetDoesNotMatchSopClass } })
        .status,
    ).toBe(0xb007);
  });

  it('keeps the C-STORE failure codes and maps the HTTP-only ones', () => {
    const fail = (reason: FailureReason) =>
      storeStatus({ outcome: { ok: false, reason, detail: 'x' } }).status;
    expect(fail(FailureReason.DuplicateSopInstance)).toBe(0x0111);
    expect(fail(FailureReason.OutOfResources)).toBe(0xa700);
    expect(fail(FailureReason.DataSetDoesNotMatchSopClass)).toBe(0xa900);
    expect(fail(FailureReason.NotAuthorized)).toBe(0x0124);
    expect(fail(FailureReason.CannotUnderstand)).toBe(0xc000);
    expect(fail(FailureReason.TransferSyntaxNotSupported)).toBe(0xc000);
  });

  it('answers an outage with A700 so the sender retries', () => {
    const error = Object.assign(new Error('down'), { code: 'index.unavailable' });
    expect(storeStatus({ error })).toEqual({ status: 0xa700, comment: 'index.unavailable' });
    expect(storeStatus(undefined).status).toBe(0xc000);
  });
});
