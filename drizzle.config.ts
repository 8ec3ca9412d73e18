import { defineConfig } from 'drizzle-kit';

/** `npm run db:generate` turns src/index/schema.ts into SQL migrations under ./migrations. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/index/schema.ts',
  out: './migrations',
});
