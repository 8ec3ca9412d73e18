import type { Services } from '../services/services.js';
import type { RouteTable } from './access.js';
import { deleteHandler } from './delete.routes.js';
import { qidoHandler } from './qido.routes.js';
import { renderedHandler } from './rendered.routes.js';
import { stowHandler, type StowRouteOptions } from './stow.routes.js';
import { uploadSlots, type UploadSlotOptions } from './upload-slots.js';
import { bulkDataHandler } from './bulk-data.routes.js';
import { registerChangeFeedRoutes } from './changefeed.routes.js';
import { framesHandler } from './frames.routes.js';
import { instancesHandler } from './instances.routes.js';
import { metadataHandler } from './metadata.routes.js';

/** Rendering and whole-study or whole-series retrieves also pass the rate limit gate. */
const READ_EXPENSIVE = { action: 'read', expensive: true } as const;

/**
 * THE route table: one line per URL template of the Studies Service (PS3.18 Table 10.3-2),
 * relative to the DICOMweb root, with the action each needs (auth/principal.ts).
 */
export function registerRoutes(
  table: RouteTable,
  services: Services,
  options: StowRouteOptions & UploadSlotOptions,
): void {
  const stow = stowHandler(services, options);
  const slot = uploadSlots(options); // one pool for both STOW URLs
  const remove = deleteHandler(services);

  table.add('post', '/studies', 'write', slot, stow); // Store Instances, PS3.18 10.5
  table.add('post', '/studies/:study', 'write', slot, stow); // Store Instances of one study

  const qido = (level: 'study' | 'series' | 'instance') => qidoHandler(services, level, options);
  table.add('get', '/studies', READ_EXPENSIVE, qido('study')); // Search for Studies, 10.6
  table.add('get', '/series', READ_EXPENSIVE, qido('series')); // Search for Series, 10.6
  table.add('get', '/studies/:study/series', 'read', qido('series'));
  table.add('get', '/instances', READ_EXPENSIVE, qido('instance')); // Search for Instances
  table.add('get', '/studies/:study/instances', 'read', qido('instance'));
  table.add('get', '/studies/:study/series/:series/instances', 'read', qido('instance'));

  const retrieve = instancesHandler(services); // Retrieve Instances, PS3.18 10.4.1.1.1
  const metadata = metadataHandler(services, options); // Retrieve Metadata, PS3.18 10.4.1.1.2
  table.add('get', '/studies/:study', READ_EXPENSIVE, retrieve);
  table.add('get', '/studies/:study/series/:series', READ_EXPENSIVE, retrieve);
  table.add('get', '/studies/:study/series/:series/instances/:instance', 'read', retrieve);
  table.add('get', '/studies/:study/metadata', 'read', metadata);
  table.add('get', '/studies/:study/series/:series/metadata', 'read', metadata);
  table.add('get', '/studies/:study/series/:series/instances/:instance/metadata', 'read', metadata);
  const frames = framesHandler(services); // Retrieve Frames, PS3.18 10.4.1.1.4
  const bulkData = bulkDataHandler(services); // Retrieve Bulk Data (any BulkDataURI), 10.4.1.1.5
  const instance = '/studies/:study/series/:series/instances/:instance';
  table.add('get', `${instance}/frames/:frames`, 'read', frames);
  table.add('get', `${instance}/bulkdata/*`, 'read', bulkData);

  const rendered = renderedHandler(services, 'rendered'); // Retrieve Rendered, 10.4.1.1.3
  const thumbnail = renderedHandler(services, 'thumbnail'); // Retrieve Thumbnail, 10.4.1.1.5
  table.add('get', '/studies/:study/rendered', READ_EXPENSIVE, rendered);
  table.add('get', '/studies/:study/series/:series/rendered', READ_EXPENSIVE, rendered);
  table.add('get', `${instance}/rendered`, READ_EXPENSIVE, rendered);
  table.add('get', `${instance}/frames/:frames/rendered`, READ_EXPENSIVE, rendered);
  table.add('get', '/studies/:study/thumbnail', READ_EXPENSIVE, thumbnail);
  table.add('get', '/studies/:study/series/:series/thumbnail', READ_EXPENSIVE, thumbnail);
  table.add('get', `${instance}/thumbnail`, READ_EXPENSIVE, thumbnail);
  table.add('get', `${instance}/frames/:frames/thumbnail`, READ_EXPENSIVE, thumbnail);

  table.add('delete', '/studies/:study', 'delete', remove); // non-standard delete
  table.add('delete', '/studies/:study/series/:series', 'delete', remove);
  table.add('delete', instance, 'delete', remove);

  registerChangeFeedRoutes(table, services); // /changefeed, /changefeed/latest, /events
}
