/** How an association request ended: accepted, or the reason it was refused or cut. */
export type AssociationOutcome =
  'accepted' | 'called-ae' | 'calling-ae' | 'association-limit' | 'protocol-error';

/** The DIMSE services, as counted (one per request type the SCP answers). */
export type DimseService = 'echo' | 'store' | 'find' | 'move' | 'get' | 'action';

/**
 * Told of what the DIMSE listener did, for operations figures (metrics/). Only outcomes,
 * service names and PS3.7 status codes cross this interface, never an AE title, UID or patient
 * value. Methods are synchronous and must not throw.
 */
export interface DimseObserver {
  association(outcome: AssociationOutcome): void;
  /** Associations open now (after one opened or closed). */
  openAssociations(count: number): void;
  /** One request answered with its final (not pending) status, `seconds` after it arrived. */
  operation(service: DimseService, status: number, seconds: number): void;
}
