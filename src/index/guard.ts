import { IndexAbortedError, toIndexError } from './errors.js';

/**
 * Wraps a drizzle database so that every query it runs, by any path, rejects with our index
 * errors (errors.ts `toIndexError`): a connection refused, closed or timed out becomes
 * `IndexUnavailableError` (503 + Retry-After), wherever the query was built. Without this each
 * caller had to remember a `.catch(...)`, and WADO, metadata and frames did not.
 *
 * drizzle's builders are thenables built by chained calls (`db.select().from(t).where(…)`), so
 * the wrapper follows the chain: each method's object result is wrapped in turn, and `then`,
 * `catch` and `finally` of a wrapped thenable translate the rejection. Methods run on the real
 * object (never the proxy), so drizzle's internals and `instanceof` / entity checks see
 * their own objects. A transaction callback receives drizzle's own `tx`; anything it throws
 * leaves through the wrapped `transaction()` promise. `onAborted` hears of an embedded database
 * that aborted (the owner decides to stop the process).
 */
export function guardQueries<T extends object>(
  db: T,
  onAborted: (error: IndexAbortedError) => void = () => {},
  observer?: QueryObserver,
): T {
  const translate = (error: unknown): unknown => {
    const ours = toIndexError(error);
    if (ours instanceof IndexAbortedError) onAborted(ours);
    return ours;
  };
  return wrap(db, translate, new WeakMap(), observer);
}

/**
 * Told of each statement or transaction as it is sent (a drizzle thenable's `then`) and, by
 * the returned function, when it settles. Statements run inside a transaction are the
 * transaction's: what is counted is what holds (or waits for) a connection.
 */
export interface QueryObserver {
  begin(): (error?: unknown) => void;
}

function wrap<T extends object>(
  target: T,
  translate: (error: unknown) => unknown,
  wrapped: WeakMap<object, object>,
  observer: QueryObserver | undefined,
): T {
  const known = wrapped.get(target);
  if (known) return known as T;
  const proxy = new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      // Symbol-keyed methods (iterators, inspection) and the class itself are drizzle's to use.
      if (typeof value !== 'function' || typeof property === 'symbol' || property === 'constructor')
        return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'then') {
        return (onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) => {
          const end = observer?.begin();
          return method.call(
            object,
            (value: unknown) => {
              end?.();
              return onFulfilled ? onFulfilled(value) : value;
            },
            (error: unknown) => {
              const ours = translate(error);
              end?.(ours);
              if (onRejected) return onRejected(ours);
              throw ours;
            },
          );
        };
      }
      if (property === 'catch' && isThenable(object)) {
        return (onRejected?: (e: unknown) => unknown) =>
          (proxy as PromiseLike<unknown>).then(undefined, onRejected);
      }
      if (property === 'finally' && isThenable(object)) {
        return (onFinally?: () => void) =>
          (proxy as PromiseLike<unknown>).then(
            (v) => (onFinally?.(), v),
            (e: unknown) => {
              onFinally?.();
              throw e;
            },
          );
      }
      return (...args: unknown[]) => {
        const result = method.apply(object, args);
        return typeof result === 'object' && result !== null
          ? wrap(result, translate, wrapped, observer)
          : result;
      };
    },
  });
  wrapped.set(target, proxy);
  return proxy;
}

function isThenable(value: object): boolean {
  return typeof (value as { then?: unknown }).then === 'function';
}
