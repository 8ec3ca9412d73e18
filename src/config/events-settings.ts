import { integer } from './setting.js';

/** Change feed, live events and webhooks (README "Change feed and events"). */
export const EVENTS = {
  pollMs: integer({
    env: 'EVENTS_POLL_MS',
    default: 1000,
    min: 20,
    max: 60_000,
    help: "how often event streams and webhooks look for changes committed by other nodes (this node's own changes are seen at once)",
  }),
  heartbeatSeconds: integer({
    env: 'EVENTS_HEARTBEAT_SECONDS',
    default: 15,
    min: 1,
    max: 300,
    help: 'a comment line is sent on a quiet `/events` stream this often, so proxies keep it open',
  }),
  webhookTimeoutSeconds: integer({
    env: 'WEBHOOK_TIMEOUT_SECONDS',
    default: 10,
    min: 1,
    max: 300,
    help: 'a webhook delivery not answered within this is a failure and is retried',
  }),
  webhookBackoffMinMs: integer({
    env: 'WEBHOOK_BACKOFF_MIN_MS',
    default: 1000,
    min: 10,
    help: 'wait before retrying a failed webhook delivery; doubles with each failure',
  }),
  webhookBackoffMaxSeconds: integer({
    env: 'WEBHOOK_BACKOFF_MAX_SECONDS',
    default: 900,
    min: 1,
    help: 'the longest wait between retries of a failing webhook delivery',
  }),
};
