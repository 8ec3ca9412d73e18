import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Database } from '../src/index/db.js';
import { rowsOf } from '../src/index/rows.js';
import { freshDatabase } from './helpers/server.js';

const onPostgres = process.env['STRATA_TEST_DB'] === 'postgres';

describe.runIf(onPostgres)('prepared statements on PostgreSQL', () => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const fresh = await freshDatabase();
    drop = () => fresh.drop();
    // One connection, so pg_prepared_statements (per session) sees every statement.
    database = await openDb({ url: fresh.url, maxConnections: 1, preparedStatements: 2 });
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  const prepared = async () =>
    rowsOf<{ statement: string }>(
      await database.db.execute(sql`select statement from pg_prepared_statements`),
    ).map((r) => r.statement);

  it('#13: a repeated statement runs prepared, in and out of transactions, with the right answers', async () => {
    const square = (n: number) => database.db.execute(sql`select ${n}::int * ${n}::int as v`);
    expect(rowsOf(await square(3))).toEqual([{ v: 9 }]);
    expect(rowsOf(await square(4))).toEqual([{ v: 16 }]);
    expect((await prepared()).some((s) => s.includes('* $2::int'))).toBe(true);
    const inTx = await database.db.transaction(async (tx) => {
      const first = rowsOf(await tx.execute(sql`select ${'a'}::text || ${'b'}::text as v`));
      const second = rowsOf(await tx.execute(sql`select ${'c'}::text || ${'d'}::text as v`));
      return [first, second];
    });
    expect(inTx).toEqual([[{ v: 'ab' }], [{ v: 'cd' }]]);
    expect((await prepared()).some((s) => s.includes('|| $2::text'))).toBe(true);
  });

  it('#13: every run is planned for its values (no generic plans that would skip a prefix index)', async () => {
    expect(rowsOf(await database.db.execute(sql`show plan_cache_mode`))).toEqual([
      { plan_cache_mode: 'force_custom_plan' },
    ]);
  });

  it('#13: beyond the limit, statements still run, unprepared', async () => {
    const before = await prepared();
    for (const n of [1, 2, 3]) {
      expect(rowsOf(await database.db.execute(sql`select ${n}::int + 100 as v`))).toEqual([
        { v: n + 100 },
      ]);
    }
    expect(await prepared()).toEqual(before);
  });
});
