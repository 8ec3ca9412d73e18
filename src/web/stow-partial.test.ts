import { describe, expect, it } from 'vitest';
import { FailureReason, type StoreOutcome } from '../services/outcomes.js';
import { TooManyPartsError, TruncatedMultipartError } from './multipart/errors.js';
import { settleStow } from './stow-partial.js';

const stored = (n: number): StoreOutcome => ({
  ok: true,
  result: 'created',
  studyInstanceUid: '1.2',
  seriesInstanceUid: '1.2.3',
  sopInstanceUid: `1.2.3.${n}`,
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
});
const coded = (code: string) => Object.assign(new Error('blob 3f/01x unreachable'), { code });

describe('settleStow', () => {
  it('passes a request that finished untouched, without warnings', () => {
    expect(settleStow({ parts: [{ outcome: stored(1) }] })).toEqual({
      outcomes: [stored(1)],
      warnings: [],
    });
  });

  it('throws the read error when nothing was stored', () => {
    const error = new TruncatedMultipartError('cut');
    const refused: StoreOutcome = {
      ok: false,
      reason: FailureReason.CannotUnderstand,
      detail: 'x',
    };
    expect(() => settleStow({ parts: [{ outcome: refused }], readError: error })).toThrow(error);
  });

  it('a part that failed for the storage, between stored ones: 0x0110 and a warning, by code only', () => {
    const settled = settleStow({
      parts: [
        { outcome: stored(1) },
        { error: coded('storage.unavailable') },
        { outcome: stored(3) },
      ],
    });
    expect(settled.outcomes).toEqual([
      stored(1),
      { ok: false, reason: FailureReason.ProcessingFailure, detail: 'storage.unavailable' },
      stored(3),
    ]);
    expect(settled.warnings).toEqual(['299 strata "Part 2 was not stored (storage.unavailable)."']);
  });

  it('STOW_MAX_PARTS exceeded after stored parts: one 0xA700 item for the rest', () => {
    const settled = settleStow({
      parts: [{ outcome: stored(1) }, { outcome: stored(2) }],
      readError: new TooManyPartsError(2),
    });
    expect(settled.outcomes.at(-1)).toEqual({
      ok: false,
      reason: FailureReason.OutOfResources,
      detail: 'multipart.too_many_parts',
    });
    expect(settled.warnings).toEqual([
      '299 strata "The request holds more than STOW_MAX_PARTS (2) parts: the first 2 were processed, the rest were neither read nor stored."',
    ]);
  });

  it('a body cut inside a part: that part is the one failed item', () => {
    const cut = new TruncatedMultipartError('cut');
    const settled = settleStow({ parts: [{ outcome: stored(1) }, { error: cut }], readError: cut });
    expect(settled.outcomes).toHaveLength(2);
    expect(settled.outcomes[1]).toMatchObject({
      ok: false,
      reason: FailureReason.CannotUnderstand,
    });
    expect(settled.warnings).toEqual([
      '299 strata "The request body ended while reading part 2, before its close delimiter: nothing after was stored."',
    ]);
  });
});
