/**
 * Staff and rights. A venue with no staff declared is in setup mode (every right); once one
 * member exists, each action needs a member whose role grants it (a cashier cannot void).
 *
 * Credentials: a member may have a PIN (scrypt, salted) and staff cards (NFC uids). A member
 * with credentials can only act through a session (opened by PIN, or by tapping a staff card on
 * a POS's terminal): the apps' request hook replaces the `cashier`/`by` a page claims by the
 * session's member, and refuses a claim of such a member without a session. Revoking a lost
 * staff card ends every session it opened at once and it opens nothing any more.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type Role = 'cashier' | 'waiter' | 'manager' | 'kitchen';
export type Right = 'sell' | 'void' | 'close' | 'stock' | 'kitchen' | 'admin';

const RIGHTS: Record<Role, Right[]> = {
  cashier: ['sell'],
  waiter: ['sell'],
  manager: ['sell', 'void', 'close', 'stock', 'kitchen', 'admin'],
  kitchen: ['kitchen'],
};

export interface StaffMember {
  id: string;
  name: string;
  role: Role;
}

export interface Session {
  staff: string;
  name: string;
  role: Role;
  pos: string | null;
  card: string | null;
  expiresAt: number;
}

export const SESSION_COOKIE = 'tb_pos_session';
const SESSION_MS = 12 * 3600_000;
const MAX_FAILURES = 5;
const LOCK_MS = 60_000;
const CLAIM_MS = 30_000;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function scryptHex(pin: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(pin, salt, 32, { N: 16384, r: 8, p: 1 }, (e, k) => (e ? reject(e) : resolve(k))),
  );
}

export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$16384$8$1$${salt.toString('base64')}$${(await scryptHex(pin, salt)).toString('base64')}`;
}

export async function checkPin(pin: string, stored: string): Promise<boolean> {
  const [alg, , , , salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64');
  const got = await scryptHex(pin, Buffer.from(salt, 'base64'));
  return got.length === want.length && timingSafeEqual(got, want);
}

export class Staff {
  /** One-use claims minted by a staff card tap on a POS terminal, redeemed by the POS page. */
  private claims = new Map<string, { staff: string; card: string; pos: string; at: number }>();
  /** Called when sessions end (a lost card revoked): the pages are told. */
  onEnded: ((e: { staff: string; card: string | null; reason: string }) => void) | undefined;

  constructor(private readonly db: Database.Database) {}

  list(): StaffMember[] {
    return this.db.prepare('SELECT id, name, role FROM app_staff ORDER BY name').all() as StaffMember[];
  }

  get(id: string): StaffMember | undefined {
    return this.db.prepare('SELECT id, name, role FROM app_staff WHERE id = ?').get(id) as
      | StaffMember
      | undefined;
  }

  upsert(m: StaffMember): void {
    this.db
      .prepare(
        'INSERT INTO app_staff (id, name, role) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, role = excluded.role',
      )
      .run(m.id, m.name, m.role);
  }

  remove(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM app_staff WHERE id = ?').run(id);
      this.db.prepare('DELETE FROM app_staff_auth WHERE id = ?').run(id);
      this.db
        .prepare('UPDATE app_staff_cards SET revoked_at = ? WHERE staff = ? AND revoked_at IS NULL')
        .run(Date.now(), id);
      this.db
        .prepare('UPDATE app_sessions SET ended_at = ? WHERE staff = ? AND ended_at IS NULL')
        .run(Date.now(), id);
    })();
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

  rights(role: Role): Right[] {
    return RIGHTS[role] ?? [];
  }

  /** A member with a PIN or a staff card acts only through a session. */
  hasCredentials(id: string): boolean {
    const pin = this.db.prepare('SELECT 1 FROM app_staff_auth WHERE id = ? AND pin IS NOT NULL').get(id);
    if (pin) return true;
    // a card, even revoked: its holder must log in again (new card or PIN), never by name alone
    return !!this.db.prepare('SELECT 1 FROM app_staff_cards WHERE staff = ?').get(id);
  }

  async setPin(id: string, pin: string | null): Promise<void> {
    const h = pin === null ? null : await hashPin(pin);
    this.db
      .prepare(
        'INSERT INTO app_staff_auth (id, pin) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET pin = excluded.pin, failures = 0, locked_until = 0',
      )
      .run(id, h);
  }

  /** PIN login: a session token, or why not (after 5 wrong PINs the member is locked a minute). */
  async login(
    id: string,
    pin: string,
    pos: string | null,
  ): Promise<{ ok: true; token: string; session: Session } | { ok: false; error: string }> {
    const m = this.get(id);
    const a = this.db
      .prepare('SELECT pin, failures, locked_until FROM app_staff_auth WHERE id = ?')
      .get(id) as { pin: string | null; failures: number; locked_until: number } | undefined;
    if (!m || !a?.pin) {
      await hashPin(pin); // same cost whether the member exists or not
      return { ok: false, error: 'bad-pin' };
    }
    if (a.locked_until > Date.now()) return { ok: false, error: 'locked' };
    if (!(await checkPin(pin, a.pin))) {
      const failures = a.failures + 1;
      this.db
        .prepare('UPDATE app_staff_auth SET failures = ?, locked_until = ? WHERE id = ?')
        .run(
          failures >= MAX_FAILURES ? 0 : failures,
          failures >= MAX_FAILURES ? Date.now() + LOCK_MS : 0,
          id,
        );
      return { ok: false, error: failures >= MAX_FAILURES ? 'locked' : 'bad-pin' };
    }
    this.db.prepare('UPDATE app_staff_auth SET failures = 0 WHERE id = ?').run(id);
    return { ok: true, ...this.open(id, pos, null) };
  }

  private open(staff: string, pos: string | null, card: string | null): { token: string; session: Session } {
    const token = randomBytes(24).toString('base64url');
    const now = Date.now();
    this.db
      .prepare(
        'INSERT INTO app_sessions (hash, staff, pos, card, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(sha(token), staff, pos, card, now, now + SESSION_MS);
    return { token, session: this.session(token)! };
  }

  session(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const r = this.db
      .prepare(
        `SELECT s.staff, m.name, m.role, s.pos, s.card, s.expires_at FROM app_sessions s JOIN app_staff m ON m.id = s.staff
         WHERE s.hash = ? AND s.ended_at IS NULL AND s.expires_at > ?`,
      )
      .get(sha(token), Date.now()) as
      | {
          staff: string;
          name: string;
          role: Role;
          pos: string | null;
          card: string | null;
          expires_at: number;
        }
      | undefined;
    if (!r) return undefined;
    if (r.card) {
      const c = this.db.prepare('SELECT revoked_at FROM app_staff_cards WHERE uid = ?').get(r.card) as
        | { revoked_at: number | null }
        | undefined;
      if (!c || c.revoked_at) return undefined;
    }
    return { staff: r.staff, name: r.name, role: r.role, pos: r.pos, card: r.card, expiresAt: r.expires_at };
  }

  logout(token: string): void {
    this.db.prepare('UPDATE app_sessions SET ended_at = ? WHERE hash = ?').run(Date.now(), sha(token));
  }

  cards(): { uid: string; staff: string; createdAt: number; revokedAt: number | null }[] {
    return this.db
      .prepare(
        'SELECT uid, staff, created_at AS createdAt, revoked_at AS revokedAt FROM app_staff_cards ORDER BY created_at',
      )
      .all() as never;
  }

  addCard(uid: string, staff: string): { ok: boolean; error?: string } {
    const c = this.db.prepare('SELECT staff, revoked_at FROM app_staff_cards WHERE uid = ?').get(uid) as
      | { staff: string; revoked_at: number | null }
      | undefined;
    if (c?.revoked_at) return { ok: false, error: 'card-revoked' }; // a lost card found again stays revoked
    this.db
      .prepare(
        'INSERT INTO app_staff_cards (uid, staff, created_at) VALUES (?, ?, ?) ON CONFLICT(uid) DO UPDATE SET staff = excluded.staff',
      )
      .run(uid, staff, Date.now());
    return { ok: true };
  }

  /** A lost card: refused everywhere from now on, and every session it opened ends at once. */
  revokeCard(uid: string): { ok: boolean; sessions: number } {
    const c = this.db.prepare('SELECT staff FROM app_staff_cards WHERE uid = ?').get(uid) as
      | { staff: string }
      | undefined;
    const now = Date.now();
    if (!c) {
      // unknown yet: recorded revoked, so it can never be enrolled
      this.db
        .prepare("INSERT INTO app_staff_cards (uid, staff, created_at, revoked_at) VALUES (?, '', ?, ?)")
        .run(uid, now, now);
      return { ok: true, sessions: 0 };
    }
    const { n } = this.db.transaction(() => {
      this.db
        .prepare('UPDATE app_staff_cards SET revoked_at = coalesce(revoked_at, ?) WHERE uid = ?')
        .run(now, uid);
      const r = this.db
        .prepare('UPDATE app_sessions SET ended_at = ? WHERE card = ? AND ended_at IS NULL')
        .run(now, uid);
      return { n: r.changes };
    })();
    this.onEnded?.({ staff: c.staff, card: uid, reason: 'card-revoked' });
    return { ok: true, sessions: n };
  }

  /** A tap on a POS terminal: a staff card mints a one-use claim the POS page turns into a session. */
  cardTap(uid: string, pos: string): { claim: string; member: StaffMember } | undefined {
    const c = this.db
      .prepare('SELECT staff FROM app_staff_cards WHERE uid = ? AND revoked_at IS NULL')
      .get(uid) as { staff: string } | undefined;
    const member = c ? this.get(c.staff) : undefined;
    if (!member) return undefined;
    const now = Date.now();
    for (const [k, v] of this.claims) if (now - v.at > CLAIM_MS) this.claims.delete(k);
    const claim = randomBytes(18).toString('base64url');
    this.claims.set(claim, { staff: member.id, card: uid, pos, at: now });
    return { claim, member };
  }

  redeem(claim: string): { token: string; session: Session } | undefined {
    const c = this.claims.get(claim);
    this.claims.delete(claim);
    if (!c || Date.now() - c.at > CLAIM_MS) return undefined;
    const live = this.db
      .prepare('SELECT 1 FROM app_staff_cards WHERE uid = ? AND revoked_at IS NULL')
      .get(c.card);
    if (!live) return undefined;
    return this.open(c.staff, c.pos, c.card);
  }
}

export const ID = '^[A-Za-z0-9_.:-]{1,64}$';

export function tokenOf(req: FastifyRequest): string | undefined {
  const h = req.headers['x-tb-session'];
  if (typeof h === 'string' && h) return h;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === SESSION_COOKIE)
      return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/**
 * The server-side check of who acts: with a session, `cashier` and `by` in a body become the
 * session's member; without one, a claimed member who has credentials is refused.
 */
export function actorHook(staff: Staff) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const b = req.body as Record<string, unknown> | null | undefined;
    if (!b || typeof b !== 'object' || Array.isArray(b)) return;
    const token = tokenOf(req);
    const s = staff.session(token);
    if (token && !s && req.headers['x-tb-session'])
      return reply.code(401).send({ error: 'session-ended', message: 'this session ended: log in again' });
    for (const f of ['cashier', 'by'] as const) {
      if (s) {
        if (f in b || f === 'by') b[f] = s.staff;
        continue;
      }
      const claimed = b[f];
      if (typeof claimed === 'string' && staff.hasCredentials(claimed))
        return reply
          .code(401)
          .send({ error: 'session-needed', message: `${claimed} must log in (PIN or staff card) first` });
    }
  };
}

const cookieFor = (token: string, maxAge: number) =>
  `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/apps; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`;

export function staffRoutes(app: FastifyInstance, staff: Staff): void {
  app.get('/apps/api/staff', async () => staff.list());
  const idParam = { type: 'object', properties: { id: { type: 'string', pattern: ID } } };
  const admin = (by: string | undefined) => staff.list().length === 0 || staff.can(by, 'admin');
  app.put(
    '/apps/api/staff/:id',
    {
      schema: {
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 64 },
            role: { enum: ['cashier', 'waiter', 'manager', 'kitchen'] },
            pin: { type: 'string', pattern: '^[0-9]{4,8}$' },
            by: { type: 'string' },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { name: string; role: Role; pin?: string; by?: string };
      if (!admin(b.by)) return reply.code(403).send({ error: 'no-right', message: 'admin right needed' });
      const id = (req.params as { id: string }).id;
      staff.upsert({ id, name: b.name, role: b.role });
      if (b.pin) await staff.setPin(id, b.pin);
      return { ok: true };
    },
  );
  app.delete('/apps/api/staff/:id', { schema: { params: idParam } }, async (req, reply) => {
    const q = (req.query as { by?: string }).by;
    const by = staff.session(tokenOf(req))?.staff ?? (q && !staff.hasCredentials(q) ? q : undefined);
    if (!admin(by)) return reply.code(403).send({ error: 'no-right' });
    staff.remove((req.params as { id: string }).id);
    return { ok: true };
  });
  const uidParam = {
    type: 'object',
    properties: { uid: { type: 'string', pattern: '^[0-9A-Fa-f]{8,20}$' } },
  };
  app.get('/apps/api/staff-cards', async () => staff.cards());
  app.put(
    '/apps/api/staff-cards/:uid',
    {
      schema: {
        params: uidParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['staff'],
          properties: { staff: { type: 'string', pattern: ID }, by: { type: 'string' } },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { staff: string; by?: string };
      if (!admin(b.by)) return reply.code(403).send({ error: 'no-right' });
      if (!staff.get(b.staff)) return reply.code(404).send({ error: 'unknown-staff' });
      const r = staff.addCard((req.params as { uid: string }).uid.toUpperCase(), b.staff);
      return r.ok ? { ok: true } : reply.code(409).send({ error: r.error });
    },
  );
  app.post(
    '/apps/api/staff-cards/:uid/revoke',
    {
      schema: {
        params: uidParam,
        body: { type: 'object', additionalProperties: false, properties: { by: { type: 'string' } } },
      },
    },
    async (req, reply) => {
      const b = (req.body ?? {}) as { by?: string };
      if (!admin(b.by)) return reply.code(403).send({ error: 'no-right' });
      return staff.revokeCard((req.params as { uid: string }).uid.toUpperCase());
    },
  );
  app.post(
    '/apps/api/session',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            staff: { type: 'string', pattern: ID },
            pin: { type: 'string', pattern: '^[0-9]{4,8}$' },
            pos: { type: 'string', pattern: ID },
            claim: { type: 'string', pattern: '^[A-Za-z0-9_-]{10,64}$' },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { staff?: string; pin?: string; pos?: string; claim?: string };
      let r: { token: string; session: Session } | undefined;
      if (b.claim) {
        r = staff.redeem(b.claim);
        if (!r)
          return reply
            .code(401)
            .send({ error: 'bad-claim', message: 'this staff card tap expired or was used' });
      } else if (b.staff && b.pin) {
        const x = await staff.login(b.staff, b.pin, b.pos ?? null);
        if (!x.ok) return reply.code(x.error === 'locked' ? 429 : 401).send({ error: x.error });
        r = x;
      } else return reply.code(400).send({ error: 'bad-request', message: 'staff and pin, or claim' });
      reply.header('set-cookie', cookieFor(r.token, SESSION_MS / 1000));
      return { token: r.token, session: r.session, rights: staff.rights(r.session.role) };
    },
  );
  app.get('/apps/api/session', async (req, reply) => {
    const s = staff.session(tokenOf(req));
    return s ? { session: s, rights: staff.rights(s.role) } : reply.code(401).send({ error: 'no-session' });
  });
  app.delete('/apps/api/session', async (req, reply) => {
    const t = tokenOf(req);
    if (t) staff.logout(t);
    reply.header('set-cookie', cookieFor('', 0));
    return { ok: true };
  });
}
