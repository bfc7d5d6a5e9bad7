import { isRule, type PromotionRule } from './promotions/rules.js';

/**
 * What the gateway knows about its venue, as pulled from the cloud (GET /v1/sync/config) or
 * given locally for a standalone venue. Amounts are integer minor units.
 */
export interface Product {
  sku: string;
  label: string;
  price: number;
  /** Member (cashless) price, when lower. */
  memberPrice?: number;
  /** Minimum age: the terminal cannot check ids, so such products are sold only at a staffed POS. */
  minAge?: number;
  category?: string;
  /** Self-service tap: `price` is per litre and one pour is capped at this volume (default 500 ml). */
  maxMl?: number;
  /** VAT included in the price, basis points (2000 = 20 %); default: the venue's `vatRate`. */
  vatRate?: number;
  /** Tile colour on the POS (#rrggbb); default: one per category. */
  colour?: string;
  /** Set only on the effective menu while a happy hour changes this product's prices: its own prices. */
  list?: { price: number; memberPrice?: number; rule: string };
}

export interface PointOfSale {
  id: string;
  name: string;
  /** Terminals serving this point of sale (device ids). */
  devices: string[];
  /** Terminal mode for those devices. */
  mode: 'cashier' | 'topup' | 'balance' | 'door' | 'selfpour';
  products: Product[];
  /** Self-service tap: flow-meter pulses per litre, as calibrated (default 450). */
  pulsesPerLitre?: number;
}

export interface DeviceEntry {
  deviceId: string;
  keyHex: string;
  revoked: boolean;
}

export interface CardKeys {
  cardUid: string;
  metaReadKey: string;
  fileReadKey: string;
  lastCounter: number;
}

export interface VenueConfig {
  venueId: string;
  name: string;
  currency: string;
  pointsOfSale: PointOfSale[];
  devices: DeviceEntry[];
  blocklist: string[];
  cardKeys: CardKeys[];
  /** Spend order across assets; assets not listed are never spent by a tap. */
  paymentPriority: string[];
  /** Asset credited by a top-up at a terminal. */
  topupAsset: string;
  /** Badge assets whose holders get member prices. */
  memberBadges: string[];
  /** Default VAT rate of products, basis points; absent or 0: sales bear no VAT (franchise en base). */
  vatRate?: number;
  /** Promotion rules (promotions/rules.ts): the cloud's, plus those made on the gateway's admin screen. */
  promotions?: PromotionRule[];
  /** IANA time zone of the venue: happy-hour windows are in its local time (default Europe/Paris). */
  timeZone?: string;
  standIn: { perCard: number; perVenue: number };
  /** Taps a terminal may queue while it cannot reach the gateway (0 = none). */
  terminalOfflineQueue: number;
  version: number;
}

export function defaultVenueConfig(venueId: string): VenueConfig {
  return {
    venueId,
    name: venueId,
    currency: 'EUR',
    pointsOfSale: [],
    devices: [],
    blocklist: [],
    cardKeys: [],
    paymentPriority: [`GIFT:${venueId}`, `LOC:${venueId}`, 'EUR'],
    topupAsset: 'EUR',
    memberBadges: [],
    standIn: { perCard: 3000, perVenue: 200000 },
    terminalOfflineQueue: 20,
    version: 0,
  };
}

/** Merges the cloud's config document into ours (the cloud owns devices, keys, menus, limits). */
export function fromCloudConfig(
  venueId: string,
  doc: CloudConfigDoc,
  local: Partial<VenueConfig> = {},
): VenueConfig {
  const base = { ...defaultVenueConfig(venueId), ...local };
  return {
    ...base,
    name: doc.venue?.name ?? base.name,
    currency: doc.venue?.currency ?? base.currency,
    pointsOfSale:
      Array.isArray(doc.pointsOfSale) && doc.pointsOfSale.length > 0
        ? (doc.pointsOfSale as PointOfSale[])
        : base.pointsOfSale,
    devices: doc.devices ?? base.devices,
    blocklist: doc.blocklist ?? base.blocklist,
    cardKeys: doc.cardKeys ?? base.cardKeys,
    standIn: doc.standIn ?? base.standIn,
    version: doc.version ?? base.version,
    timeZone: doc.venue?.timeZone ?? base.timeZone,
    vatRate: doc.venue?.vatRate ?? base.vatRate,
    promotions: Array.isArray(doc.promotions)
      ? mergeRules(doc.promotions.filter(isRule), base.promotions)
      : base.promotions,
  };
}

export interface CloudConfigDoc {
  venue?: { id: string; name: string; currency: string; timeZone?: string; vatRate?: number };
  assets?: { code: string; kind: string; refundable: boolean }[];
  pointsOfSale?: unknown[];
  devices?: DeviceEntry[];
  blocklist?: string[];
  /** Cards of the federation re-issued to a new holder, and their issue now. */
  reissued?: { cardUid: string; issue: number }[];
  cardKeys?: CardKeys[];
  standIn?: { perCard: number; perVenue: number };
  promotions?: PromotionRule[];
  version?: number;
}

const indexCache = new WeakMap<VenueConfig, { cardKeys: Map<string, CardKeys>; blocked: Set<string> }>();

/** Lookups by card UID, built once per config (a festival's config lists thousands of cards). */
export function configIndex(config: VenueConfig): { cardKeys: Map<string, CardKeys>; blocked: Set<string> } {
  let idx = indexCache.get(config);
  if (!idx) {
    idx = {
      cardKeys: new Map(config.cardKeys.map((k) => [k.cardUid, k])),
      blocked: new Set(config.blocklist),
    };
    indexCache.set(config, idx);
  }
  return idx;
}

/**
 * The cloud's rules replace the cloud's; a rule made or edited on the gateway's admin screen
 * (offline, or for this venue only) stays, and wins over the cloud's rule of the same id,
 * until it is deleted there.
 */
export function mergeRules(cloud: PromotionRule[], current: PromotionRule[] | undefined): PromotionRule[] {
  const local = (current ?? []).filter((r) => r.source === 'local');
  const ids = new Set(local.map((r) => r.id));
  return [...cloud.filter((r) => !ids.has(r.id)).map((r) => ({ ...r, source: 'cloud' as const })), ...local];
}
