// Helpers for the venue apps tests: a gateway with its HTTP server (apps included), a topped-up
// card, an SSE reader and small JSON fetch helpers.
import http from 'node:http';
import type { protocol } from '@tibillet/firmware';
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../src/gateway.js';
import { startHttp } from '../../src/http/server.js';
import type { VenueConfig } from '../../src/venue-config.js';
import { device, sleep, startGateway, type TestDevice, tap, venueConfig } from '../helpers.js';
import { printerSim } from './printer-sim.js';

export const CARD = '04A1B2C3D4E5F6';
export const EVIL = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>';

export function appsVenue(devices: string[]): Partial<VenueConfig> {
  const base = venueConfig(devices);
  return {
    pointsOfSale: [
      {
        ...base.pointsOfSale[0],
        products: [
          { sku: 'beer', label: 'Bière', price: 350, memberPrice: 300, category: 'drinks' },
          { sku: 'soda', label: 'Soda', price: 200, category: 'drinks' },
          { sku: 'burger', label: 'Burger', price: 900, category: 'food' },
          { sku: 'rum', label: 'Rhum', price: 600, minAge: 18, category: 'drinks' },
          { sku: 'evil', label: EVIL, price: 100, category: 'food' },
        ],
      },
      base.pointsOfSale[1],
    ],
  };
}

export interface Rig {
  gw: Gateway;
  app: FastifyInstance;
  base: string;
  till: TestDevice;
  topup: TestDevice;
  close(): Promise<void>;
}

export async function rig(o: { staffToken?: string; credit?: number } = {}): Promise<Rig> {
  const devices = ['till-1', 'till-2', 'top-1'];
  const gw = await startGateway(devices, { venue: venueConfig(devices, appsVenue(devices)) });
  const app = await startHttp(gw, { port: 0, host: '127.0.0.1', staffToken: o.staffToken });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `mqtt://127.0.0.1:${gw.brokerPort}`;
  const till = await device(url, 'till-1');
  const topup = await device(url, 'top-1');
  if (o.credit) {
    const tx = tap(topup, CARD, { mode: 'topup', amt: o.credit });
    await topup.waitResult(tx);
  }
  return {
    gw,
    app,
    base: `http://127.0.0.1:${port}`,
    till,
    topup,
    async close() {
      await till.close();
      await topup.close();
      await app.close();
      await gw.close();
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read loosely typed JSON answers
export async function json<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed as T };
}

export interface SseEvent {
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read loosely typed event payloads
  data: any;
}

/** Reads an event stream (node:http, one socket, closed for good by close()); next() waits for the first unseen event matching a predicate. */
export async function sse(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  let cursor = 0;
  const req = http.get(url, { headers, agent: false });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  if (res.statusCode !== 200) throw new Error(`sse ${url}: ${res.statusCode}`);
  res.setEncoding('utf8');
  let buf = '';
  res.on('data', (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf('\n\n');
    while (i >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      i = buf.indexOf('\n\n');
      let event = 'message';
      let data = '';
      for (const line of frame.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (!data) continue;
      events.push({ event, data: JSON.parse(data) });
      for (const w of waiters.splice(0)) w();
    }
  });
  res.on('error', () => {});
  req.on('error', () => {});
  return {
    events,
    next(pred: (e: SseEvent) => boolean, ms = 3000): Promise<SseEvent> {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(
          () =>
            reject(
              new Error(`no matching event within ${ms} ms; got ${JSON.stringify(events.slice(cursor))}`),
            ),
          ms,
        );
        const check = () => {
          for (let j = cursor; j < events.length; j++)
            if (pred(events[j])) {
              cursor = j + 1;
              clearTimeout(deadline);
              resolve(events[j]);
              return;
            }
          waiters.push(check);
        };
        check();
      });
    },
    close: () => req.destroy(),
  };
}

let n = 0;
export const cartId = () => `cart${Date.now().toString(36)}${(n++).toString(36).padStart(4, '0')}`;

/**
 * POS orders of the `bar` point of sale paid by card: the cashier rings the order up, asks for a
 * card payment (optionally part of it), the card is tapped on the POS's terminal, and the payment
 * is waited for until settled. `r` is read at call time (the rig is built in beforeAll).
 */
export function posOrders(r: () => Rig) {
  const order = async (lines: { sku: string; qty: number; price: number }[]) => {
    const id = cartId();
    const res = await json(r().base, 'POST', '/apps/api/pos/bar/orders', { id, cashier: 'alice', lines });
    if (res.status !== 200) throw new Error(`order refused: ${res.status} ${JSON.stringify(res.body)}`);
    return id;
  };
  const getOrder = async (id: string) => (await json(r().base, 'GET', `/apps/api/orders/${id}`)).body;
  const payByTap = async (id: string, uid: string, amount?: number) => {
    const { base, till } = r();
    const p = await json(base, 'POST', `/apps/api/orders/${id}/payments`, {
      method: 'card',
      cashier: 'alice',
      ...(amount !== undefined && { amount }),
    });
    if (p.status !== 200) throw new Error(`payment refused: ${p.status} ${JSON.stringify(p.body)}`);
    const ref = p.body.payment.ref as string;
    const isCharge = (m: protocol.Message) => m.k === 'charge' && (m.b as protocol.ChargeBody).ref === ref;
    const t0 = Date.now();
    while (!till.received.some(isCharge)) {
      if (Date.now() - t0 > 5000) throw new Error('the charge never reached the terminal');
      await sleep(10);
    }
    const charge = till.received.find(isCharge)!.b as protocol.ChargeBody;
    const result = await till.waitResult(tap(till, uid, { ref }));
    // The POS hears the result through the gateway's event: wait until the payment is settled.
    const until = Date.now() + 5000;
    let o = await getOrder(id);
    while (o.payments.some((x: { status: string }) => x.status === 'pending') && Date.now() < until) {
      await sleep(10);
      o = await getOrder(id);
    }
    return { ref, charge, result, order: o };
  };
  return { order, getOrder, payByTap };
}

/** An ESC/POS printer simulator registered as the `bar` receipt printer `rp1` (42 columns). */
export async function receiptPrinter(r: Rig): Promise<Awaited<ReturnType<typeof printerSim>>> {
  const printer = await printerSim();
  const put = await json(r.base, 'PUT', '/apps/api/printers/rp1', {
    host: '127.0.0.1',
    port: printer.port,
    kind: 'receipt',
    target: 'bar',
    width: 42,
  });
  if (put.status !== 200) {
    await printer.close();
    throw new Error(`receipt printer refused: ${put.status} ${JSON.stringify(put.body)}`);
  }
  return printer;
}
