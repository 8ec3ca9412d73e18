import type { FailureReason } from './outcomes.js';

/** What became of one STOW part, as counted: the stored kinds, a refusal, or a failure not its own. */
export type StowPartOutcome = 'created' | 'duplicate' | 'replaced' | 'failed' | 'error';

/** One instance an HSM transition tried to move. */
export interface HsmMove {
  kind: 'policy' | 'recall';
  from: string;
  to: string;
  outcome: 'moved' | 'skipped' | 'failed';
  /** Bytes moved (0 unless moved). */
  bytes: number;
}

/**
 * Told of what the use cases did, for operations figures (metrics/). Only counts, tier names
 * and PS3.4 codes cross this interface, never a UID or a patient value. Every method is
 * synchronous and must not throw: it runs on the request path.
 */
export interface ServiceObserver {
  /** One STOW part's outcome; `reason` is the PS3.4 FailureReason of a refused part. */
  stowPart(outcome: StowPartOutcome, reason?: FailureReason): void;
  /** Bytes of one instance received and written to storage (whatever became of it then). */
  stowBytes(bytes: number): void;
  hsmMove(move: HsmMove): void;
}
