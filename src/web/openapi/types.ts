/** The parts of OpenAPI 3.1 we write (https://spec.openapis.org/oas/v3.1.0). */
export type Json = { [key: string]: unknown };

/**
 * One documented route: its method and hono path template (`/studies/:study`, relative to the
 * area's mount point: the DICOMweb root for the Studies Service, `/` for the rest) and its
 * OpenAPI operation without `security` (added from the route table's action).
 */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options';
  path: string;
  operation: Json;
}

/** An area of the API: where it is mounted and its routes. */
export interface ApiArea {
  /** `dicomweb`: below DICOMWEB_ROOT; `root`: at the server root. */
  mount: 'dicomweb' | 'root';
  routes: RouteDoc[];
}
