import { ProjectError } from '../lib/errors.js';

/**
 * A setting that stops start-up. `variable` names what to fix: an environment variable, or
 * `STRATA_CONFIG` (and the JSON path inside the message) for the config file. Messages never
 * echo a value that could be a secret (URLs, keys, tokens).
 */
export class ConfigError extends ProjectError {
  override readonly name = 'ConfigError';
  readonly code = 'config.invalid';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}
