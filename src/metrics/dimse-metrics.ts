import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AssociationOutcome, DimseObserver, DimseService } from '../dimse/observer.js';

/**
 * The DIMSE listener: associations by outcome, open associations, and each request's final
 * status (PS3.7 Annex C, hex) and duration per service. Request durations run from the request
 * to its final response, so a C-MOVE or C-GET counts all its sub-operations.
 */
export class DimseMetrics implements DimseObserver {
  private readonly associations: Counter<'outcome'>;
  private readonly open: Gauge;
  private readonly operations: Histogram<'service' | 'status'>;

  constructor(registry: Registry) {
    this.associations = new Counter({
      name: 'strata_dimse_associations_total',
      help: 'DIMSE association requests by outcome (accepted, called-ae, calling-ae, association-limit, protocol-error)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.open = new Gauge({
      name: 'strata_dimse_open_associations',
      help: 'DIMSE associations open now',
      registers: [registry],
    });
    this.operations = new Histogram({
      name: 'strata_dimse_operation_duration_seconds',
      help: 'DIMSE requests by service (echo, store, find, move, get, action) and final status, from request to final response',
      labelNames: ['service', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    });
  }

  association(outcome: AssociationOutcome): void {
    this.associations.inc({ outcome });
  }

  openAssociations(count: number): void {
    this.open.set(count);
  }

  operation(service: DimseService, status: number, seconds: number): void {
    const code = status.toString(16).toUpperCase().padStart(4, '0');
    this.operations.observe({ service, status: code }, seconds);
  }
}
