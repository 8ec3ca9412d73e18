/** A known remote DICOM node (DIMSE_REMOTE_AES). */
export interface RemoteAe {
  aeTitle: string;
  host: string;
  port: number;
}

/** What the DIMSE listener needs, read from configuration by compose-dimse.ts. */
export interface DimseOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Our own AE title: associations calling another are rejected. */
  aeTitle: string;
  /** Accept calling AE titles not in `remoteAes`. */
  acceptUnknownAes: boolean;
  remoteAes: readonly RemoteAe[];
  /** Associations open at once; more are rejected (transient, local limit exceeded). */
  maxAssociations: number;
  /** A peer silent this long is aborted. */
  idleTimeoutMs: number;
  /** The P-DATA PDU length we announce and accept. */
  maxPduLength: number;
  /** DICOM TLS (TLS 1.2 and up); undefined = plain TCP. */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer | undefined } | undefined;
}
