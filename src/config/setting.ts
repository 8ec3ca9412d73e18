import { ConfigError } from './errors.js';

/**
 * The one way a setting is declared and read. A declaration holds the setting's names (an
 * environment variable, a STRATA_CONFIG field, or both), its kind and bounds, its default and
 * its help text; reading, error messages and the README table (table.ts) all come from it.
 */
export interface Setting<T> {
  /** Environment variable, when the setting can be set there. */
  readonly env: string | undefined;
  /** Field name in a STRATA_CONFIG object, when the setting can be set there. */
  readonly json: string | undefined;
  /** README "meaning" column. */
  readonly help: string;
  /** README "default" column. */
  readonly shownDefault: string;
  /** README "values" column: the kind and its bounds. */
  readonly shownValues: string;
  read(source: Source): T;
}

/** Where values come from: environment strings, or the typed values of a JSON object. */
export interface Source {
  readonly from: 'env' | 'json';
  /** The value under `name`; absent, null and blank strings read as undefined (`keepBlank`: '' is a value). */
  get(name: string, keepBlank?: boolean): unknown;
  fail(name: string, problem: string): never;
}

export type Env = Record<string, string | undefined>;

export function envSource(env: Env): Source {
  return {
    from: 'env',
    get: (name, keepBlank = false) => {
      const value = env[name]?.trim();
      return value === '' && !keepBlank ? undefined : value;
    },
    fail: (name, problem) => {
      throw new ConfigError(name, problem);
    },
  };
}

/** `fail` decides how a field's problem is reported (which variable, which JSON path). */
export function jsonSource(
  object: Record<string, unknown>,
  fail: (name: string, problem: string) => never,
): Source {
  return {
    from: 'json',
    get: (name) => {
      const value = object[name];
      if (value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
      return typeof value === 'string' ? value.trim() : value;
    },
    fail,
  };
}

/** A group of declarations read together into an object of the same keys. */
export type Settings = Record<string, Setting<unknown>>;
export type Values<G extends Settings> = { [K in keyof G]: ReturnType<G[K]['read']> };

export function readSettings<G extends Settings>(group: G, source: Source): Values<G> {
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(group)) values[key] = setting.read(source);
  return values as Values<G>;
}

/** The JSON field names a group accepts (unknown fields are refused). */
export function jsonNames(group: Settings): string[] {
  return Object.values(group).flatMap((s) => (s.json === undefined ? [] : [s.json]));
}

// ---------------------------------------------------------------------------------------------
// Declarations

interface Options<T> {
  env?: string;
  json?: string;
  help: string;
  default?: T;
  required?: true;
  /** README default column when the default is not a plain value (computed, or unset). */
  shown?: string;
}

/** The value type: T when there is a default or the setting is required, else T | undefined. */
type Value<T, O> = O extends { default: unknown } | { required: true } ? T : T | undefined;

type Convert<T> = (value: unknown, from: Source['from'], fail: (problem: string) => never) => T;

function declare<T, O extends Options<T>>(
  o: O,
  values: string,
  convert: Convert<T>,
  keepBlank = false,
): Setting<Value<T, O>> {
  return {
    env: o.env,
    json: o.json,
    help: o.help,
    shownDefault: o.shown ?? (o.default === undefined ? '—' : shown(o.default)),
    shownValues: values,
    read(source) {
      const name = source.from === 'env' ? o.env : o.json;
      if (name === undefined) throw new Error(`setting read from ${source.from} has no name there`);
      const value = source.get(name, keepBlank);
      if (value === undefined) {
        if (o.required) return source.fail(name, 'required');
        return o.default as Value<T, O>;
      }
      return convert(value, source.from, (problem) => source.fail(name, problem));
    },
  };
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const KiB = 1024;

function shown(value: unknown): string {
  if (Array.isArray(value)) return `\`${value.join(',')}\``;
  return `\`${String(value)}\``;
}

/** Sizes in bytes read better in binary units (4 GiB). */
function bytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', KiB],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return String(n);
}

function text(value: unknown, from: Source['from'], fail: (problem: string) => never): string {
  if (from === 'json' && typeof value !== 'string') return fail('expected a string');
  return value as string;
}

interface StringOptions extends Options<string> {
  /** A problem with the value (never echoing it), or undefined when it is fine. */
  check?: (value: string) => string | undefined;
  /** Normalises the value (and the default). */
  map?: (value: string) => string;
  /** README "values" column; default "text". */
  values?: string;
}

export function string<O extends StringOptions>(o: O): Setting<Value<string, O>> {
  const declared = declare<string, O>(o, o.values ?? 'text', (value, from, fail) => {
    const s = text(value, from, fail);
    const problem = o.check?.(s);
    return problem === undefined ? s : fail(problem);
  });
  const map = o.map;
  if (map === undefined) return declared;
  // Mapped at read time, the default included (DATA_DIR resolves against the current folder).
  return {
    ...declared,
    read: (source) => {
      const value = declared.read(source);
      return value === undefined ? value : map(value);
    },
  };
}

/** Never echoed: tokens and keys. */
export function secret<O extends Options<string> & { minLength: number }>(
  o: O,
): Setting<Value<string, O>> {
  return declare<string, O>(o, `secret, ≥ ${o.minLength} characters`, (value, from, fail) => {
    const s = text(value, from, fail);
    return s.length < o.minLength ? fail(`must be at least ${o.minLength} characters`) : s;
  });
}

interface IntegerOptions extends Options<number> {
  min: number;
  max?: number;
  /** A size in bytes: the README shows the default and bounds in binary units too. */
  bytes?: true;
}

export function integer<O extends IntegerOptions>(o: O): Setting<Value<number, O>> {
  const unit = (n: number) => (o.bytes ? bytes(n) : String(n));
  const values =
    o.max === undefined ? `integer ≥ ${unit(o.min)}` : `integer ${unit(o.min)} – ${unit(o.max)}`;
  const withUnits =
    o.shown === undefined && o.default !== undefined && o.bytes
      ? { ...o, shown: `\`${o.default}\` (${bytes(o.default)})` }
      : o;
  return declare<number, O>(withUnits, values, (value, from, fail) => {
    let n: number;
    if (from === 'env') {
      const s = String(value);
      if (!/^\d+$/.test(s)) return fail(`expected a whole number, got "${s}"`);
      n = Number(s);
      if (!Number.isSafeInteger(n)) return fail('number too large');
    } else {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        return fail('expected a whole number');
      }
      n = value;
    }
    if (n < o.min) return fail(`must be at least ${o.min}`);
    if (o.max !== undefined && n > o.max) return fail(`must be at most ${o.max}`);
    return n;
  });
}

const MAX_DAYS = 36_500;

/** A number of days, fractions allowed (STRATA_CONFIG only). */
export function days<O extends Options<number>>(o: O): Setting<Value<number, O>> {
  return declare<number, O>(o, `days 0–${MAX_DAYS}`, (value, _from, fail) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DAYS) {
      return fail(`expected a number of days between 0 and ${MAX_DAYS}`);
    }
    return value;
  });
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

export function boolean<O extends Options<boolean>>(o: O): Setting<Value<boolean, O>> {
  return declare<boolean, O>(o, '`true`, `false`', (value, from, fail) => {
    if (from === 'json') return typeof value === 'boolean' ? value : fail('expected true or false');
    const s = String(value).toLowerCase();
    if (TRUE.includes(s)) return true;
    if (FALSE.includes(s)) return false;
    return fail(`expected true or false, got "${s}"`);
  });
}

export function oneOf<T extends string, O extends Options<NoInfer<T>>>(
  o: O & { values: readonly T[] },
): Setting<Value<T, O>> {
  const values = o.values.map((v) => `\`${v}\``).join(', ');
  return declare<T, O>(o, values, (value, from, fail) => {
    const s = text(value, from, fail);
    // Not a secret: the allowed values are a closed list, so echoing the value is safe.
    if (!(o.values as readonly string[]).includes(s)) {
      return fail(`expected one of ${o.values.join(', ')}, got "${s}"`);
    }
    return s as T;
  });
}

/** Comma-separated; an empty value is an empty list (not the default). */
export function list<
  O extends Options<string[]> & { check?: (values: string[]) => string | undefined },
>(o: O): Setting<Value<string[], O>> {
  const convert: Convert<string[]> = (value, from, fail) => {
    const values = text(value, from, fail)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const problem = o.check?.(values);
    return problem === undefined ? values : fail(problem);
  };
  return declare<string[], O>(o, 'comma-separated list', convert, true);
}

/** Never echoes the value: URLs can hold credentials. */
export function url<O extends StringOptions & { protocols: readonly string[] }>(
  o: O,
): Setting<Value<string, O>> {
  const values = `${o.protocols.map((p) => `\`${p}\``).join(', ')} URL`;
  return declare<string, O>(o, values, (value, from, fail) => {
    const s = text(value, from, fail);
    let parsed: URL;
    try {
      parsed = new URL(s);
    } catch {
      return fail('not a valid URL');
    }
    if (!o.protocols.includes(parsed.protocol)) {
      return fail(`URL scheme must be one of ${o.protocols.join(', ')}`);
    }
    return o.map ? o.map(s) : s;
  });
}
