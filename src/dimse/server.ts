/**
 * The DIMSE listener: a `net` (or `tls`, TLS 1.2 and up) server whose every connection is one
 * association handled by StrataScp (scp/scp.ts). Ours rather than the library's `Server`, which
 * binds no address, reports no port and limits nothing (library.ts).
 */
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { AuditSink } from '../audit/event.js';
import type { Logger } from '../lib/log.js';
import { ulid } from '../lib/ulid.js';
import type { Services } from '../services/services.js';
import type { DimseObserver } from './observer.js';
import { Abort } from './library.js';
import type { DimseOptions, RemoteAe } from './options.js';
import { abortPdu, PduGuard } from './pdu-guard.js';
import { echoService } from './scp/echo.js';
import { StrataScp } from './scp/scp.js';
import type { ScpService } from './scp/service.js';
import { commitmentService } from './scp/commitment.js';
import { getService } from './scp/get.js';
import {
  createMoveService,
  DEFAULT_SUB_OPERATION_OPTIONS,
  type SubOperationOptions,
} from './scp/move.js';
import { storeService } from './scp/store.js';
import { findService } from './scp/find.js';

/**
 * The services of the SCP, in the order a SOP class is looked up. Verification, Storage and
 * Query (find.ts), Retrieve (move.ts, get.ts) and Storage Commitment (commitment.ts).
 */
export function defaultServices(
  subOperations: SubOperationOptions = DEFAULT_SUB_OPERATION_OPTIONS,
): readonly ScpService[] {
  return [
    echoService,
    storeService,
    findService,
    createMoveService(subOperations),
    getService,
    commitmentService,
  ];
}

export interface DimseServerDeps {
  services: Services;
  audit: AuditSink;
  log: Logger;
  /** The SCP services (default: defaultServices(subOperations)). */
  scpServices?: readonly ScpService[];
  /** C-MOVE's outgoing associations (DIMSE_SCU_TIMEOUT_SECONDS, DIMSE_SEND_BATCH_BYTES). */
  subOperations?: SubOperationOptions | undefined;
  /** Told of associations and operations (metrics/); none = not counted. */
  observer?: DimseObserver | undefined;
}

export class DimseServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private associations = 0;
  private readonly remoteAes: ReadonlyMap<string, RemoteAe>;
  private readonly scpServices: readonly ScpService[];

  constructor(
    private readonly options: DimseOptions,
    private readonly deps: DimseServerDeps,
  ) {
    this.remoteAes = new Map(options.remoteAes.map((ae) => [ae.aeTitle, ae]));
    this.scpServices = deps.scpServices ?? defaultServices(deps.subOperations);
    const { tls } = options;
    this.server = tls
      ? createTlsServer(
          {
            cert: tls.cert,
            key: tls.key,
            // BCP 195 (RFC 9325) and PS3.15 B.9 (BCP 195 TLS Secure Transport Connection
            // Profile): TLS 1.2 or later; Node's default cipher list already excludes what it
            // forbids (NULL, export, RC4, anonymous).
            minVersion: 'TLSv1.2',
            ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
          },
          (socket) => this.accept(socket),
        )
      : createNetServer((socket) => this.accept(socket));
  }

  /** Listens; resolves with the port (DIMSE_PORT=0 picks a free one). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting, aborts the associations still open, resolves once all are closed. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) {
      if (socket.writable) socket.write(abortPdu(Abort.serviceProvider, Abort.notSpecified));
      socket.destroy();
    }
    await closed;
  }

  private accept(socket: Socket): void {
    const { options, deps } = this;
    const { log } = deps;
    this.sockets.add(socket);
    let admitted = false;
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (admitted) {
        this.associations--;
        deps.observer?.openAssociations(this.associations);
      }
    });
    // Ours before the library's: a PDU that cannot be valid is stopped at its header.
    const guard = new PduGuard(options.maxPduLength);
    socket.on('data', (chunk: Buffer) => {
      const problem = guard.check(chunk);
      if (problem === undefined) return;
      log.warn('dimse protocol error', { problem, peer: socket.remoteAddress });
      deps.observer?.association('protocol-error');
      void deps.audit
        .record({
          type: 'security-alert',
          action: 'E',
          outcome: 8,
          ...(socket.remoteAddress ? { clientAddress: socket.remoteAddress } : {}),
          detail: { protocol: 'dimse', kind: 'protocol-error', problem },
        })
        .catch((error: unknown) => log.error('dimse protocol error not audited', { error }));
      socket.write(abortPdu(Abort.serviceProvider, Abort.invalidPduParameter));
      socket.destroy();
    });
    socket.setTimeout(options.idleTimeoutMs);
    socket.on('error', () => socket.destroy());
    const scp = new StrataScp(
      socket,
      {
        connectTimeout: options.idleTimeoutMs,
        associationTimeout: options.idleTimeoutMs,
        pduTimeout: options.idleTimeoutMs,
      },
      {
        options,
        remoteAes: this.remoteAes,
        scpServices: this.scpServices,
        services: deps.services,
        audit: deps.audit,
        log,
        admit: () => {
          if (this.associations >= options.maxAssociations) return false;
          this.associations++;
          admitted = true;
          deps.observer?.openAssociations(this.associations);
          return true;
        },
        newId: ulid,
        observer: deps.observer,
      },
    );
    // The library reports a malformed PDU, a timeout or a socket error here.
    scp.on('networkError', (error: unknown) => {
      log.warn('dimse association ended on error', { error });
      scp.abortAssociation(Abort.notSpecified);
    });
  }
}
