import { defineConfig } from 'drizzle-kit';

// `npm run db:generate -w cloud` writes SQL migrations into cloud/drizzle/; they are applied at start.
export default defineConfig({
  dialect: 'postgresql',
  // Ticketing tables live next to their code; both files make up the schema.
  schema: [
    './src/db/schema.ts',
    './src/ticketing/schema.ts',
    './src/memberships/schema.ts',
    './src/artists/schema.ts',
    './src/promotions/schema.ts',
    './src/holders/checkout-schema.ts',
  ],
  out: './drizzle',
});
