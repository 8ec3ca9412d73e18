import { Counter, type Registry } from 'prom-client';
import type { HsmMove, ServiceObserver, StowPartOutcome } from '../services/observer.js';

/**
 * What the use cases did: STOW instances by outcome (`reason`: the PS3.4 failure code in hex
 * for a refused one), bytes received, and HSM moves by transition and outcome.
 */
export class ServiceMetrics implements ServiceObserver {
  private readonly instances: Counter<'outcome' | 'reason'>;
  private readonly bytes: Counter;
  private readonly moves: Counter<'kind' | 'from' | 'to' | 'outcome'>;
  private readonly movedBytes: Counter<'from' | 'to'>;

  constructor(registry: Registry) {
    this.instances = new Counter({
      name: 'strata_stow_instances_total',
      help: 'STOW-RS instances by outcome (created, duplicate, replaced, failed, error) and failure reason',
      labelNames: ['outcome', 'reason'],
      registers: [registry],
    });
    this.bytes = new Counter({
      name: 'strata_stow_bytes_total',
      help: 'Bytes of STOW-RS instances received and written to storage',
      registers: [registry],
    });
    this.moves = new Counter({
      name: 'strata_hsm_moves_total',
      help: 'Instances HSM transitions tried to move, by kind (policy, recall), tiers and outcome',
      labelNames: ['kind', 'from', 'to', 'outcome'],
      registers: [registry],
    });
    this.movedBytes = new Counter({
      name: 'strata_hsm_moved_bytes_total',
      help: 'Bytes moved between tiers by HSM',
      labelNames: ['from', 'to'],
      registers: [registry],
    });
  }

  stowPart(outcome: StowPartOutcome, reason?: number): void {
    const code = reason === undefined ? '' : reason.toString(16).toUpperCase().padStart(4, '0');
    this.instances.inc({ outcome, reason: code });
  }

  stowBytes(bytes: number): void {
    this.bytes.inc(bytes);
  }

  hsmMove({ kind, from, to, outcome, bytes }: HsmMove): void {
    this.moves.inc({ kind, from, to, outcome });
    if (bytes > 0) this.movedBytes.inc({ from, to }, bytes);
  }
}
