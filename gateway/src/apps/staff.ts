/**
 * Staff and rights. A venue with no staff declared is in setup mode (every right); once one
 * member exists, each action needs a member whose role grants it (a cashier cannot void).
 */
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';

export type Role = 'cashier' | 'manager' | 'kitchen';
export type Right = 'sell' | 'void' | 'close' | 'stock' | 'kitchen' | 'admin';

const RIGHTS: Record<Role, Right[]> = {
  cashier: ['sell'],
  manager: ['sell', 'void', 'close', 'stock', 'kitchen', 'admin'],
  kitchen: ['kitchen'],
};

export interface StaffMember {
  id: string;
  name: string;
  role: Role;
}

export class Staff {
  constructor(private readonly db: Database.Database) {}

  list(): StaffMember[] {
    return this.db.prepare('SELECT id, name, role FROM app_staff ORDER BY name').all() as StaffMember[];
  }

  upsert(m: StaffMember): void {
    this.db
      .prepare(
        'INSERT INTO app_staff (id, name, role) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, role = excluded.role',
      )
      .run(m.id, m.name, m.role);
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM app_staff WHERE id = ?').run(id);
  }

  can(id: string | undefined, right: Right): boolean {
    const n = (this.db.prepare('SELECT count(*) AS c FROM app_staff').get() as { c: number }).c;
    if (n === 0) return true;
    if (!id) return false;
    const m = this.db.prepare('SELECT role FROM app_staff WHERE id = ?').get(id) as
      | { role: Role }
      | undefined;
    return !!m && (RIGHTS[m.role] ?? []).includes(right);
  }
}

export const ID = '^[A-Za-z0-9_.:-]{1,64}$';

export function staffRoutes(app: FastifyInstance, staff: Staff): void {
  app.get('/apps/api/staff', async () => staff.list());
  app.put(
    '/apps/api/staff/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: ID } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 64 },
            role: { enum: ['cashier', 'manager', 'kitchen'] },
            by: { type: 'string' },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { name: string; role: Role; by?: string };
      if (!staff.can(b.by, 'admin') && staff.list().length > 0)
        return reply.code(403).send({ error: 'no-right', message: 'admin right needed' });
      staff.upsert({ id: (req.params as { id: string }).id, name: b.name, role: b.role });
      return { ok: true };
    },
  );
}
