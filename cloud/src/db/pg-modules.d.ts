// node-postgres is loaded as Client (pg/lib/client.js) + pg-pool directly: `pg`'s index builds its
// Pool with `class extends require('pg-pool')`, which breaks when a loader resolves pg-pool's ESM
// entry (vitest with the `import` condition). Types come from @types/pg.
declare module 'pg/lib/client.js' {
  import type { Client } from 'pg';

  const C: typeof Client;
  export default C;
}
declare module 'pg-pool' {
  import type { Pool } from 'pg';

  const P: typeof Pool;
  export default P;
}
