import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Database } from './db.js';
import { IndexAbortedError, IndexUnavailableError } from './errors.js';
import { guardQueries } from './guard.js';
import { migrateDb } from './migrate.js';
import { patients } from './schema.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** A stand-in for a drizzle builder whose query meets a refused connection. */
const failingDb = () => ({
  select: () => ({
    from() {
      return this;
    },
    then: (onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) =>
      Promise.reject(new Error('Failed query', { cause: refused() })).then(onFulfilled, onRejected),
    // As drizzle's QueryPromise: `catch` calls `this.then`, which would bypass the guard.
    catch(onRejected: (e: unknown) => unknown) {
      return this.then(undefined, onRejected);
    },
  }),
});

describe('guardQueries', () => {
  it('turns an outage met at the end of a builder chain into IndexUnavailableError', async () => {
    const db = guardQueries(failingDb());
    await expect(db.select().from()).rejects.toBeInstanceOf(IndexUnavailableError);
    const caught: unknown = await db
      .select()
      .from()
      .catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(IndexUnavailableError);
  });

  it('tells onAborted of a statement that met an abort of the embedded database, and rejects with IndexAbortedError', async () => {
    const trap = new (
      globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }
    ).WebAssembly.RuntimeError('Aborted()');
    const heard: unknown[] = [];
    const db = guardQueries(
      { run: () => Promise.reject(new Error('Failed query', { cause: trap })) },
      (error) => heard.push(error),
    );
    const caught = await db.run().catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(IndexAbortedError);
    expect(heard).toEqual([caught]);
    // An outage is not an abort: the process goes on.
    const outage = guardQueries(failingDb(), (error) => heard.push(error));
    await expect(outage.select().from()).rejects.toBeInstanceOf(IndexUnavailableError);
    expect(heard).toHaveLength(1);
  });

  it('#14: tells its observer of each statement as it is sent and when it settles, failures too', async () => {
    let inFlight = 0;
    const ends: unknown[] = [];
    const observer = {
      begin: () => {
        inFlight++;
        return (error?: unknown) => {
          inFlight--;
          ends.push(error);
        };
      },
    };
    const database = await openDb({ observer });
    try {
      await migrateDb(database);
      ends.length = 0;
      const query = database.db.select().from(patients);
      expect(inFlight).toBe(0); // built, not sent
      const sent = query.then((rows) => rows);
      expect(inFlight).toBe(1);
      await sent;
      // A transaction is one unit, whatever runs inside it.
      await database.db.transaction(async (tx) => {
        await tx.insert(patients).values({ patientId: 'x' });
        expect(inFlight).toBe(1);
      });
      await expect(database.db.execute(sql`select nonsense`)).rejects.toThrow();
      expect(inFlight).toBe(0);
      expect(ends.map((e) => (e === undefined ? 'ok' : 'error'))).toEqual(['ok', 'ok', 'error']);
    } finally {
      await database.close();
    }
  });

  describe('over a real drizzle database (PGlite)', () => {
    let database: Database;
    beforeAll(async () => {
      database = await openDb({});
      await migrateDb(database);
    });
    afterAll(() => database.close());

    it('runs chained selects, subqueries, raw SQL and transactions unchanged', async () => {
      const { db } = database;
      await db.transaction(async (tx) => {
        await tx.insert(patients).values([{ patientId: 'a' }, { patientId: 'b' }]);
      });
      const ids = db.select({ id: patients.id }).from(patients).where(eq(patients.patientId, 'a'));
      const rows = await db.select().from(patients).where(inArray(patients.id, ids));
      expect(rows.map((r) => r.patientId)).toEqual(['a']);
      const counted = await db.execute(sql`select count(*)::int as n from patients`);
      expect(JSON.stringify(counted)).toContain('"n":2');
      await expect(
        db.transaction(async (tx) => {
          await tx.insert(patients).values({ patientId: 'c' });
          tx.rollback();
        }),
      ).rejects.toThrow();
      expect(await db.$count(patients)).toBe(2);
    });
  });
});
