import { integer } from './setting.js';

/**
 * DIMSE as an SCU (`strata send`, `strata pull`, C-MOVE sub-operations): Strata's own AE title
 * and the known remote AEs are the listener's (dimse-settings.ts); these bound the outgoing side.
 */
export const DIMSE_SCU = {
  timeoutSeconds: integer({
    env: 'DIMSE_SCU_TIMEOUT_SECONDS',
    default: 60,
    min: 1,
    max: 3600,
    help: 'as an SCU (`strata send`, `strata pull`, C-MOVE sub-operations): limit for connecting, for the association answer and for each silence of the remote',
  }),
  batchBytes: integer({
    env: 'DIMSE_SEND_BATCH_BYTES',
    default: 64 << 20,
    min: 1 << 20,
    bytes: true,
    help: 'instances loaded for one outgoing association of `strata send` or a C-MOVE (an instance is held whole while sent; one always goes). C-GET sends one instance at a time',
  }),
};
