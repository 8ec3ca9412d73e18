/** Index errors: stable codes; HTTP mapping lives only in web/problem.ts. */
export abstract class IndexError extends Error {
  abstract readonly code: string;
}

export class IndexUnavailableError extends IndexError {
  override readonly name = 'IndexUnavailableError';
  readonly code = 'index.unavailable';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
