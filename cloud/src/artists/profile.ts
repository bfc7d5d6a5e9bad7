// Artist profiles: the pure validation of what an artist may publish (every limit gives a clear
// error), and the reads and writes of profiles and availability.
import type { Queryable, Tx } from '../db/connect.js';
import { LedgerError } from '../ledger/types.js';

export const LIMITS = {
  name: 120,
  bio: 10_000,
  techRider: 20_000,
  links: 20,
  linkLabel: 80,
  url: 2000,
  tags: 20,
  tag: 40,
  region: 120,
  availability: 100,
  /** Uploaded profile picture. */
  imageBytes: 1024 * 1024,
} as const;

export interface MediaLink {
  label: string;
  url: string;
}

export interface DateRange {
  /** YYYY-MM-DD, inclusive. */
  from: string;
  to: string;
}

export interface ProfileInput {
  name?: string;
  bio?: string;
  mediaLinks?: MediaLink[];
  techRider?: string;
  imageUrl?: string | null;
  tags?: string[];
  region?: string;
  availability?: DateRange[];
}

export interface ArtistProfile {
  id: string;
  name: string;
  bio: string;
  mediaLinks: MediaLink[];
  techRider: string;
  imageUrl: string | null;
  /** An uploaded picture exists (served at /artists/:id/image). */
  hasImage: boolean;
  tags: string[];
  region: string;
  availability: DateRange[];
  updatedAt: string;
}

const bad = (code: string, message: string, status = 400) => new LedgerError(code, message, status);

function httpUrl(url: string, what: string): string {
  if (url.length > LIMITS.url)
    throw bad('link-too-long', `${what} is ${url.length} characters long; at most ${LIMITS.url}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('bad-link', `${what} is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw bad('bad-link', `${what} must be an http(s) address`);
  return u.toString();
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const isDay = (d: string): boolean => {
  const t = Date.parse(`${d}T00:00:00Z`);
  // Date.parse accepts 2031-02-30 on some engines: the round trip catches impossible days.
  return DAY.test(d) && Number.isFinite(t) && new Date(t).toISOString().startsWith(d);
};

export function validRanges(ranges: DateRange[], max: number, what: string): DateRange[] {
  if (ranges.length > max) throw bad('too-many-dates', `at most ${max} ${what}`);
  return ranges.map((r, i) => {
    if (!isDay(r.from) || !isDay(r.to)) throw bad('bad-date', `${what} ${i + 1}: dates are YYYY-MM-DD`);
    if (r.to < r.from) throw bad('bad-date', `${what} ${i + 1}: ends before it starts`);
    return { from: r.from, to: r.to };
  });
}

export const normTag = (t: string): string => t.trim().toLowerCase();

/** Checks and normalises a profile update; throws a LedgerError naming the first problem. */
export function validateProfile(p: ProfileInput): ProfileInput {
  const out: ProfileInput = {};
  const text = (v: string, max: number, code: string, what: string) => {
    if (v.length > max) throw bad(code, `${what} is ${v.length} characters long; at most ${max}`);
    return v;
  };
  if (p.name !== undefined) {
    out.name = text(p.name.trim(), LIMITS.name, 'name-too-long', 'the name');
    if (!out.name) throw bad('bad-name', 'the name is empty');
  }
  if (p.bio !== undefined) out.bio = text(p.bio, LIMITS.bio, 'bio-too-long', 'the bio');
  if (p.techRider !== undefined)
    out.techRider = text(p.techRider, LIMITS.techRider, 'rider-too-long', 'the tech rider');
  if (p.region !== undefined)
    out.region = text(p.region.trim(), LIMITS.region, 'region-too-long', 'the region');
  if (p.imageUrl !== undefined) out.imageUrl = p.imageUrl ? httpUrl(p.imageUrl, 'the image address') : null;
  if (p.mediaLinks !== undefined) {
    if (p.mediaLinks.length > LIMITS.links)
      throw bad('too-many-links', `at most ${LIMITS.links} media links`);
    out.mediaLinks = p.mediaLinks.map((l, i) => ({
      label: text(l.label.trim(), LIMITS.linkLabel, 'link-too-long', `the label of link ${i + 1}`),
      url: httpUrl(l.url.trim(), `link ${i + 1}`),
    }));
  }
  if (p.tags !== undefined) {
    const tags = [...new Set(p.tags.map(normTag).filter(Boolean))];
    if (tags.length > LIMITS.tags) throw bad('too-many-tags', `at most ${LIMITS.tags} tags`);
    for (const t of tags) {
      text(t, LIMITS.tag, 'tag-too-long', `tag "${t.slice(0, 20)}…"`);
      if (/[<>&"']/.test(t)) throw bad('bad-tag', 'tags may not contain < > & " \'');
    }
    out.tags = tags;
  }
  if (p.availability !== undefined)
    out.availability = validRanges(p.availability, LIMITS.availability, 'availability ranges');
  return out;
}

export async function updateProfile(tx: Tx, artistId: string, input: ProfileInput): Promise<void> {
  const p = validateProfile(input);
  await tx.query(
    `UPDATE artists SET name = coalesce($2, name), bio = coalesce($3, bio), media_links = coalesce($4::jsonb, media_links),
       tech_rider = coalesce($5, tech_rider), image_url = CASE WHEN $6::boolean THEN $7 ELSE image_url END,
       tags = coalesce($8::text[], tags), region = coalesce($9, region), region_key = coalesce(lower($9), region_key),
       updated_at = now()
     WHERE id = $1`,
    [
      artistId,
      p.name ?? null,
      p.bio ?? null,
      p.mediaLinks ? JSON.stringify(p.mediaLinks) : null,
      p.techRider ?? null,
      p.imageUrl !== undefined,
      p.imageUrl ?? null,
      p.tags ?? null,
      p.region ?? null,
    ],
  );
  if (p.availability) {
    await tx.query('DELETE FROM artist_availability WHERE artist_id = $1', [artistId]);
    // Overlapping or repeated ranges collapse on the primary key (same start): keep the longest.
    for (const r of p.availability)
      await tx.query(
        `INSERT INTO artist_availability (artist_id, from_date, to_date) VALUES ($1, $2, $3)
         ON CONFLICT (artist_id, from_date) DO UPDATE SET to_date = greatest(artist_availability.to_date, excluded.to_date)`,
        [artistId, r.from, r.to],
      );
  }
}

const day = (v: unknown): string =>
  typeof v === 'string' ? v.slice(0, 10) : (v as Date).toISOString().slice(0, 10);

export async function getProfile(q: Queryable, artistId: string): Promise<ArtistProfile | null> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT a.id, a.name, a.bio, a.media_links, a.tech_rider, a.image_url, a.tags, a.region, a.updated_at,
       EXISTS (SELECT 1 FROM artist_images i WHERE i.artist_id = a.id) AS has_image
     FROM artists a WHERE a.id = $1 AND a.email_verified_at IS NOT NULL`,
    [artistId],
  );
  const r = rows[0];
  if (!r) return null;
  const av = await q.query<{ from_date: unknown; to_date: unknown }>(
    'SELECT from_date, to_date FROM artist_availability WHERE artist_id = $1 ORDER BY from_date',
    [artistId],
  );
  return {
    id: r.id as string,
    name: r.name as string,
    bio: r.bio as string,
    mediaLinks: r.media_links as MediaLink[],
    techRider: r.tech_rider as string,
    imageUrl: (r.image_url as string | null) ?? null,
    hasImage: r.has_image === true,
    tags: r.tags as string[],
    region: r.region as string,
    availability: av.rows.map((x) => ({ from: day(x.from_date), to: day(x.to_date) })),
    updatedAt: new Date(r.updated_at as string).toISOString(),
  };
}

export interface ArtistSummary {
  id: string;
  name: string;
  tags: string[];
  region: string;
}

export interface ArtistSearch {
  tag?: string;
  region?: string;
  /** YYYY-MM-DD: only artists available that day. */
  availableOn?: string;
  limit?: number;
}

export const MAX_SEARCH = 100;

/** Organizers' search: by tag, region (case-insensitive prefix) and availability. */
export async function searchArtists(q: Queryable, s: ArtistSearch): Promise<ArtistSummary[]> {
  if (s.availableOn && !isDay(s.availableOn)) throw bad('bad-date', 'availableOn is YYYY-MM-DD');
  const region = s.region?.trim().toLowerCase();
  const { rows } = await q.query<{ id: string; name: string; tags: string[]; region: string }>(
    `SELECT a.id, a.name, a.tags, a.region FROM artists a
     WHERE a.email_verified_at IS NOT NULL
       AND ($1::text IS NULL OR a.tags @> ARRAY[$1::text])
       AND ($2::text IS NULL OR a.region_key LIKE $2 || '%')
       AND ($3::date IS NULL OR EXISTS (SELECT 1 FROM artist_availability v
             WHERE v.artist_id = a.id AND v.from_date <= $3::date AND v.to_date >= $3::date))
     ORDER BY a.name, a.id LIMIT $4`,
    [
      s.tag ? normTag(s.tag) : null,
      region ? region.replace(/[\\%_]/g, (c) => `\\${c}`) : null,
      s.availableOn ?? null,
      Math.min(s.limit ?? MAX_SEARCH, MAX_SEARCH),
    ],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, tags: r.tags, region: r.region }));
}

/** Tags and regions in use (filter form). */
export async function searchFacets(q: Queryable): Promise<{ tags: string[]; regions: string[] }> {
  const t = await q.query<{ tag: string }>(
    'SELECT DISTINCT unnest(tags) AS tag FROM artists WHERE email_verified_at IS NOT NULL ORDER BY 1 LIMIT 200',
  );
  const r = await q.query<{ region: string }>(
    "SELECT DISTINCT region FROM artists WHERE region <> '' AND email_verified_at IS NOT NULL ORDER BY 1 LIMIT 200",
  );
  return { tags: t.rows.map((x) => x.tag), regions: r.rows.map((x) => x.region) };
}

const IMAGE_TYPES: { type: string; magic: (b: Buffer) => boolean }[] = [
  { type: 'image/png', magic: (b) => b.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex')) },
  { type: 'image/jpeg', magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  {
    type: 'image/webp',
    magic: (b) =>
      b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
];

/** Checks an uploaded picture: size first, then that the bytes are the image type claimed. */
export function checkImage(bytes: Buffer, contentType: string): string {
  if (bytes.length > LIMITS.imageBytes)
    throw bad(
      'image-too-large',
      `the image is ${(bytes.length / 1024 / 1024).toFixed(1)} MB; at most ${LIMITS.imageBytes / 1024 / 1024} MB`,
      413,
    );
  const kind = IMAGE_TYPES.find((k) => k.type === contentType.split(';')[0].trim().toLowerCase());
  if (!kind) throw bad('bad-image', 'PNG, JPEG or WebP images only', 415);
  if (!kind.magic(bytes)) throw bad('bad-image', `the bytes are not a ${kind.type} image`);
  return kind.type;
}

export async function saveImage(
  q: Queryable,
  artistId: string,
  bytes: Buffer,
  contentType: string,
): Promise<void> {
  const type = checkImage(bytes, contentType);
  await q.query(
    `INSERT INTO artist_images (artist_id, content_type, bytes, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (artist_id) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes, updated_at = now()`,
    [artistId, type, bytes],
  );
}

export async function loadImage(
  q: Queryable,
  artistId: string,
): Promise<{ contentType: string; bytes: Buffer } | null> {
  const { rows } = await q.query<{ content_type: string; bytes: Uint8Array }>(
    'SELECT content_type, bytes FROM artist_images WHERE artist_id = $1',
    [artistId],
  );
  return rows[0] ? { contentType: rows[0].content_type, bytes: Buffer.from(rows[0].bytes) } : null;
}
