import type { Hono } from 'hono';
import type { Services } from '../services/services.js';
import { deleteHandler } from './delete.routes.js';
import { qidoHandler } from './qido.routes.js';
import { renderedHandler } from './rendered.routes.js';
import { stowHandler, type StowRouteOptions } from './stow.routes.js';
import { uploadSlots, type UploadSlotOptions } from './upload-slots.js';
import { bulkDataHandler } from './bulk-data.routes.js';
import { framesHandler } from './frames.routes.js';
import { instancesHandler } from './instances.routes.js';
import { metadataHandler } from './metadata.routes.js';

/**
 * THE route table: one line per URL template of the Studies Service (PS3.18 Table 10.3-2),
 * relative to the DICOMweb root.
 */
export function registerRoutes(
  app: Hono,
  services: Services,
  options: StowRouteOptions & UploadSlotOptions,
): void {
  const stow = stowHandler(services, options);
  const slot = uploadSlots(options); // one pool for both STOW URLs
  const remove = deleteHandler(services);

  app.post('/studies', slot, stow); // Store Instances, PS3.18 10.5
  app.post('/studies/:study', slot, stow); // Store Instances of one study, PS3.18 10.5

  app.get('/studies', qidoHandler(services, 'study', options)); // Search for Studies, PS3.18 10.6
  app.get('/series', qidoHandler(services, 'series', options)); // Search for Series, PS3.18 10.6
  app.get('/studies/:study/series', qidoHandler(services, 'series', options));
  app.get('/instances', qidoHandler(services, 'instance', options)); // Search for Instances
  app.get('/studies/:study/instances', qidoHandler(services, 'instance', options));
  app.get('/studies/:study/series/:series/instances', qidoHandler(services, 'instance', options));

  const retrieve = instancesHandler(services); // Retrieve Instances, PS3.18 10.4.1.1.1
  const metadata = metadataHandler(services, options); // Retrieve Metadata, PS3.18 10.4.1.1.2
  app.get('/studies/:study', retrieve);
  app.get('/studies/:study/series/:series', retrieve);
  app.get('/studies/:study/series/:series/instances/:instance', retrieve);
  app.get('/studies/:study/metadata', metadata);
  app.get('/studies/:study/series/:series/metadata', metadata);
  app.get('/studies/:study/series/:series/instances/:instance/metadata', metadata);
  const frames = framesHandler(services); // Retrieve Frames, PS3.18 10.4.1.1.4
  const bulkData = bulkDataHandler(services); // Retrieve Bulk Data (any BulkDataURI), 10.4.1.1.5
  app.get('/studies/:study/series/:series/instances/:instance/frames/:frames', frames);
  app.get('/studies/:study/series/:series/instances/:instance/bulkdata/*', bulkData);

  const rendered = renderedHandler(services, 'rendered'); // Retrieve Rendered, PS3.18 10.4.1.1.3
  const thumbnail = renderedHandler(services, 'thumbnail'); // Retrieve Thumbnail, 10.4.1.1.5
  app.get('/studies/:study/rendered', rendered);
  app.get('/studies/:study/series/:series/rendered', rendered);
  app.get('/studies/:study/series/:series/instances/:instance/rendered', rendered);
  app.get('/studies/:study/series/:series/instances/:instance/frames/:frames/rendered', rendered);
  app.get('/studies/:study/thumbnail', thumbnail);
  app.get('/studies/:study/series/:series/thumbnail', thumbnail);
  app.get('/studies/:study/series/:series/instances/:instance/thumbnail', thumbnail);
  app.get('/studies/:study/series/:series/instances/:instance/frames/:frames/thumbnail', thumbnail);

  app.delete('/studies/:study', remove); // non-standard delete
  app.delete('/studies/:study/series/:series', remove);
  app.delete('/studies/:study/series/:series/instances/:instance', remove);
}
