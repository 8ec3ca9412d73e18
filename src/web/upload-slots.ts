import type { MiddlewareHandler } from 'hono';
import { ClientUploadsBusyError, UploadsBusyError } from './errors.js';
import { clientAddressOf } from './client-address.js';

export interface UploadSlotOptions {
  /** Uploads received at once by the whole server (0 = no limit). */
  maxUploads: number;
  /** Uploads received at once from one client address (0 = no limit). */
  maxUploadsPerClient: number;
}

/**
 * When a refused upload may try again: a guess, since slots free up as uploads finish; short
 * enough that a client retrying in a loop fills a freed slot soon (RFC 9110 10.2.3).
 */
const RETRY_AFTER_SECONDS = 5;

/**
 * Caps concurrent uploads overall (503) and per client address (429), checked before any body
 * byte is read; the slot is held until the handler has answered. The address is the client's
 * (web/client-address.ts): the TCP peer's, or behind a proxy in TRUSTED_PROXIES the one that
 * proxy names, so clients behind it do not share one cap. X-Forwarded-For from any other peer
 * is ignored (a client could name any address and escape its cap).
 */
export function uploadSlots(options: UploadSlotOptions): MiddlewareHandler {
  let total = 0;
  const perClient = new Map<string, number>();
  return async (c, next) => {
    const client = clientAddressOf(c);
    const held = perClient.get(client) ?? 0;
    if (options.maxUploadsPerClient > 0 && held >= options.maxUploadsPerClient) {
      throw new ClientUploadsBusyError(options.maxUploadsPerClient, RETRY_AFTER_SECONDS);
    }
    if (options.maxUploads > 0 && total >= options.maxUploads) {
      throw new UploadsBusyError(options.maxUploads, RETRY_AFTER_SECONDS);
    }
    total++;
    perClient.set(client, held + 1);
    try {
      await next();
    } finally {
      total--;
      const left = (perClient.get(client) ?? 1) - 1;
      if (left === 0) perClient.delete(client);
      else perClient.set(client, left);
    }
  };
}
