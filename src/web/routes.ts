import type { Hono } from 'hono';
import type { Services } from '../services/services.js';
import { deleteHandler } from './delete.routes.js';
import { stowHandler, type StowRouteOptions } from './stow.routes.js';

/**
 * THE route table: one line per URL template of the Studies Service (PS3.18 Table 10.3-2),
 * relative to the DICOMweb root.
 */
export function registerRoutes(app: Hono, services: Services, options: StowRouteOptions): void {
  const stow = stowHandler(services, options);
  const remove = deleteHandler(services);

  app.post('/studies', stow); // Store Instances, PS3.18 10.5
  app.post('/studies/:study', stow); // Store Instances of one study, PS3.18 10.5

  app.delete('/studies/:study', remove); // non-standard delete
  app.delete('/studies/:study/series/:series', remove);
  app.delete('/studies/:study/series/:series/instances/:instance', remove);
}
