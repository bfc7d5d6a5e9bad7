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
`;

export function createAppTables(db: Database.Database): void {
  db.exec(SCHEMA);
}
