import { defineConfig } from 'drizzle-kit';

// `npm run db:generate -w cloud` writes SQL migrations into cloud/drizzle/; they are applied at start.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
