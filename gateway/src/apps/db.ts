/**
 * The venue apps' own tables, in the journal's SQLite file (one file to back up). Created here
 * with CREATE TABLE IF NOT EXISTS; the journal's own tables (tx, cards, …) are never touched.
 */
import type Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS app_orders (
  id TEXT PRIMARY KEY,
  pos TEXT NOT NULL,
  cashier TEXT NOT NULL,
  status TEXT NOT NULL,
  total INTEGER NOT NULL,
  note TEXT,
  created_at INTEGER NOT NULL,
  paid_at INTEGER,
  voided_at INTEGER,
  void_reason TEXT,
  voided_by TEXT
);
CREATE INDEX IF NOT EXISTS app_orders_pos ON app_orders(pos, created_at);
CREATE TABLE IF NOT EXISTS app_order_lines (
  order_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  sku TEXT NOT NULL,
  label TEXT NOT NULL,
  qty INTEGER NOT NULL,
  price INTEGER NOT NULL,
  category TEXT,
  note TEXT,
  PRIMARY KEY (order_id, n)
);
CREATE TABLE IF NOT EXISTS app_payments (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  method TEXT NOT NULL,
  amount INTEGER NOT NULL,
  status TEXT NOT NULL,
  ref TEXT UNIQUE,
  device TEXT,
  tx TEXT,
  reason TEXT,
  bal TEXT,
  cashier TEXT,
  at INTEGER NOT NULL,
  done_at INTEGER
);
CREATE INDEX IF NOT EXISTS app_payments_order ON app_payments(order_id);
CREATE TABLE IF NOT EXISTS app_tickets (
  id INTEGER PRIMARY KEY,
  order_id TEXT NOT NULL,
  pos TEXT NOT NULL,
  station TEXT NOT NULL,
  lines TEXT NOT NULL,
  note TEXT,
  state TEXT NOT NULL,
  prev TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (order_id, station)
);
CREATE INDEX IF NOT EXISTS app_tickets_open ON app_tickets(station, state);
CREATE TABLE IF NOT EXISTS app_routes (key TEXT PRIMARY KEY, station TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS app_stock_items (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  qty REAL NOT NULL DEFAULT 0,
  low REAL NOT NULL DEFAULT 0,
  cost INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS app_recipes (sku TEXT NOT NULL, item TEXT NOT NULL, qty REAL NOT NULL, PRIMARY KEY (sku, item));
CREATE TABLE IF NOT EXISTS app_stock_moves (
  id INTEGER PRIMARY KEY,
  item TEXT NOT NULL,
  delta REAL NOT NULL,
  reason TEXT NOT NULL,
  ref TEXT,
  who TEXT,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS app_staff (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS app_closures (
  id INTEGER PRIMARY KEY,
  pos TEXT NOT NULL,
  cashier TEXT,
  from_at INTEGER NOT NULL,
  to_at INTEGER NOT NULL,
  expected INTEGER NOT NULL,
  counted INTEGER NOT NULL,
  report TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS app_room_tables (
  id TEXT PRIMARY KEY,
  pos TEXT NOT NULL,
  name TEXT NOT NULL,
  seats INTEGER NOT NULL,
  x REAL NOT NULL,
  y REAL NOT NULL,
  w REAL NOT NULL,
  h REAL NOT NULL,
  shape TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS app_tabs (
  order_id TEXT PRIMARY KEY,
  pos TEXT NOT NULL,
  tables TEXT NOT NULL,
  covers INTEGER NOT NULL,
  status TEXT NOT NULL,
  rounds INTEGER NOT NULL DEFAULT 0,
  aliases TEXT NOT NULL DEFAULT '[]',
  merged_into TEXT,
  opened_at INTEGER NOT NULL,
  closed_at INTEGER
);
CREATE INDEX IF NOT EXISTS app_tabs_open ON app_tabs(pos, status);
CREATE TABLE IF NOT EXISTS app_tab_lines (
  order_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  seat INTEGER NOT NULL,
  round INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (order_id, n)
);
CREATE TABLE IF NOT EXISTS app_tab_pays (payment_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, seats TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS app_tab_ops (key TEXT PRIMARY KEY, order_id TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS app_fiscal (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  ref TEXT NOT NULL,
  data TEXT NOT NULL,
  prev TEXT NOT NULL,
  mac TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS app_fiscal_closures (
  kind TEXT NOT NULL,
  period TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (kind, period)
);
CREATE TABLE IF NOT EXISTS app_staff_auth (
  id TEXT PRIMARY KEY,
  pin TEXT,
  failures INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS app_staff_cards (
  uid TEXT PRIMARY KEY,
  staff TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS app_sessions (
  hash TEXT PRIMARY KEY,
  staff TEXT NOT NULL,
  pos TEXT,
  card TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE TABLE IF NOT EXISTS app_printers (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  port INTEGER NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  width INTEGER NOT NULL DEFAULT 42,
  auto INTEGER NOT NULL DEFAULT 1
);
`;

export function createAppTables(db: Database.Database): void {
  db.exec(SCHEMA);
}
