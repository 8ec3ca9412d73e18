/** Service errors: stable codes; HTTP mapping lives only in web/problem.ts. */
export abstract class ServiceError extends Error {
  abstract readonly code: string;
}

/** The study, series or instance the request names is not in the index. */
export class ResourceNotFoundError extends ServiceError {
  override readonly name = 'ResourceNotFoundError';
  readonly code = 'service.not_found';
  constructor(readonly level: 'study' | 'series' | 'instance') {
    super(`${level} not found`);
  }
}

/** A UID in the request path is not a valid UID (PS3.5 §9.1). */
export class InvalidUidError extends ServiceError {
  override readonly name = 'InvalidUidError';
  readonly code = 'service.invalid_uid';
  constructor(readonly parameter: string) {
    super(`${parameter} is not a valid DICOM UID`);
  }
}
