/**
 * The terminal, as a pure state machine: inputs are reader events, MQTT messages, buttons and
 * timers (through the HAL clock); outputs are HAL calls only. It never touches a port.
 *
 * One tap = one transaction: a card is ignored until it has left the field. A tap whose result
 * did not arrive in time stays pending: the next tap of the same card re-sends the same tx id, and
 * the gateway answers with the original result, so a slow network never charges twice.
 * Selfpour mode (docs/protocol.md, "Self-service tap"): an authorizing result (with `ml`) opens
 * the valve (pourer.ts); the `pour` message is kept in storage and re-sent until a result with
 * the same tx acknowledges it.
 */
import type { Hal } from '../hal/types.js';
import { sign, verify } from '../protocol/codec.js';
import { Counter } from '../protocol/counter.js';
import type {
  CartLine,
  ConfigBody,
  Kind,
  Message,
  Mode,
  PourBody,
  SunData,
  TapBody,
} from '../protocol/messages.js';
import { deviceSubscriptions, deviceTopic, parseTopic } from '../protocol/topics.js';
import { encodeCanonical, type Json, parseJson } from '../util/json.js';
import { OfflineQueue } from './offline-queue.js';
import { type Pourer, pourer } from './pourer.js';
import { BEEP_DECLINED, BEEP_ERROR, BEEP_OK, type Lang, money, text } from './texts.js';

export type ReaderEvent =
  | { type: 'card'; uid: string; sun?: SunData }
  | { type: 'removed' }
  | { type: 'reader-ready'; version: string }
  | { type: 'reader-error'; code: string };

export interface TerminalConfig {
  venue: string;
  deviceId: string;
  keyHex: string;
  board: string;
  firmware: string;
  lang?: Lang;
  /** How long a result stays on screen, ms. */
  resultMs?: number;
  /** How long to wait for a result before "slow network", ms. */
  resultTimeoutMs?: number;
  /** Offline queue capacity (records in storage). */
  queueCapacity?: number;
  resetReason?: string;
  /** Free memory for the hello message (bytes, or Espruino variables). */
  freeMemory?: () => number;
  /** Selfpour: the solenoid valve's output (high = open) and the flow meter's pulse input (HAL gpio). */
  valvePin?: string;
  flowPin?: string;
  /** Selfpour: the valve closes after this long without a flow-meter pulse, ms (default 10000). */
  pourIdleMs?: number;
}

type State = 'idle' | 'waiting' | 'showing';

/** Storage key of the pour message not yet acknowledged by a result. */
const POUR_KEY = 'pour';

interface Pending {
  uid: string;
  body: TapBody;
}

export class Terminal {
  private state: State = 'idle';
  private readonly counter: Counter;
  private readonly queue: OfflineQueue;
  private lastDown = -1;
  private cardInField = '';
  private pending: Pending | undefined;
  /** The queued tap sent and waiting for its result ('' when none). */
  private drainTx = '';
  private charge: { ref: string; amt: number; cart?: CartLine[] } | undefined;
  private cart: CartLine[] = [];
  private menuIndex = 0;
  private config: ConfigBody;
  private readerVersion = 'none';
  private timer = -1;
  private heartbeatTimer = -1;
  private bootedAt: number;
  private helloSent = false;
  private readonly lang: Lang;
  private readonly tapValve: Pourer | undefined;
  /** tx of the pour message waiting for its result ('' : none). */
  private pourTx = '';

  constructor(
    private readonly hal: Hal,
    private readonly cfg: TerminalConfig,
  ) {
    this.lang = cfg.lang !== undefined ? cfg.lang : 'fr';
    this.counter = new Counter(hal.storage, 'ctr');
    this.queue = new OfflineQueue(hal.storage, cfg.queueCapacity !== undefined ? cfg.queueCapacity : 50);
    this.config = { venue: cfg.venue, mode: 'cashier', cur: 'EUR', offq: 0, hb: 30 };
    const saved = hal.storage.read('cfg');
    if (saved !== undefined) {
      const parsed = parseJson(saved, 5);
      if (parsed.ok) this.config = parsed.value as unknown as ConfigBody;
    }
    this.bootedAt = hal.clock.now();
    const unsent = hal.storage.read(POUR_KEY);
    if (unsent !== undefined) {
      const p = parseJson(unsent, 2);
      if (p.ok) this.pourTx = (p.value as unknown as PourBody).tx;
    }
    if (hal.gpio !== undefined && cfg.valvePin !== undefined && cfg.flowPin !== undefined)
      this.tapValve = pourer(
        hal.gpio,
        hal.clock,
        cfg.valvePin,
        cfg.flowPin,
        cfg.pourIdleMs !== undefined ? cfg.pourIdleMs : 10000,
      );
    hal.mqtt.onConnect(() => this.onConnect());
    hal.mqtt.onDisconnect(() => this.showIdle());
    hal.mqtt.onMessage((topic, payload) => this.onMessage(topic, payload));
    this.showIdle();
    if (hal.mqtt.isConnected()) this.onConnect();
  }

  mode(): Mode {
    return this.config.mode;
  }

  queued(): number {
    return this.queue.size();
  }

  // ---- inputs ----

  onReader(ev: ReaderEvent): void {
    if (ev.type === 'reader-ready') {
      this.readerVersion = ev.version;
      return;
    }
    if (ev.type === 'reader-error') {
      if (this.tapValve !== undefined) this.tapValve.close('removed'); // the card cannot be seen any more
      this.fail('readerError', ev.code);
      this.publish('log', { lvl: 'error', code: ev.code });
      return;
    }
    if (ev.type === 'removed') {
      this.cardInField = '';
      if (this.tapValve !== undefined) this.tapValve.close('removed');
      return;
    }
    if (ev.uid === this.cardInField || this.state === 'waiting' || this.pouring()) return;
    this.cardInField = ev.uid;
    this.onTap(ev.uid, ev.sun);
  }

  /** Buttons: 'next' walks the pushed menu, 'ok' adds the shown item to the cart, 'back' clears it. */
  onButton(name: string): void {
    const menu = this.config.menu;
    if (menu === undefined || menu.length === 0 || this.state === 'waiting') return;
    if (name === 'next') this.menuIndex = (this.menuIndex + 1) % menu.length;
    else if (name === 'ok') {
      const item = menu[this.menuIndex];
      let found = false;
      for (let i = 0; i < this.cart.length; i++) {
        if (this.cart[i].sku === item.sku) {
          this.cart[i].qty++;
          found = true;
        }
      }
      if (!found) this.cart.push({ sku: item.sku, qty: 1, price: item.price });
    } else if (name === 'back') this.cart = [];
    const item = menu[this.menuIndex];
    this.hal.display.show([
      item.label + ' ' + this.cash(item.price),
      this.say('total') + ' ' + this.cash(this.cartTotal()),
    ]);
  }

  // ---- tap ----

  private cartTotal(): number {
    let t = 0;
    for (let i = 0; i < this.cart.length; i++) t += this.cart[i].qty * this.cart[i].price;
    return t;
  }

  private onTap(uid: string, sun: SunData | undefined): void {
    const mode = this.config.mode;
    let body: TapBody;
    if (this.pourTx !== '') {
      // The last pour is not acknowledged yet: send it again rather than start another one.
      this.resendPour();
      this.fail('timeout');
      this.linger();
      return;
    }
    if (this.pending !== undefined && this.pending.uid === uid) {
      body = this.pending.body; // same card after a timeout: same tx id, the gateway answers once
    } else {
      body = { tx: '', uid, mode };
      if (sun !== undefined) body.sun = sun;
      if (mode === 'cashier' || mode === 'topup') {
        if (this.charge !== undefined) {
          body.amt = this.charge.amt;
          body.ref = this.charge.ref;
          if (this.charge.cart !== undefined) body.cart = this.charge.cart;
        } else if (this.cart.length > 0) {
          body.cart = this.cart;
          body.amt = this.cartTotal();
        } else {
          this.fail('noAmount');
          return;
        }
      }
    }
    if (!this.hal.mqtt.isConnected()) {
      this.queueOffline(body);
      return;
    }
    const n = this.counter.next();
    if (body.tx === '') body.tx = this.cfg.deviceId + '-' + n;
    this.pending = { uid, body };
    this.state = 'waiting';
    this.sendSigned('tap', body as unknown as Json, n);
    this.show([this.say('paying')], [], 'blue');
    this.arm(this.cfg.resultTimeoutMs !== undefined ? this.cfg.resultTimeoutMs : 4000, () => {
      this.state = 'showing';
      this.fail('timeout');
      this.linger();
    });
  }

  private queueOffline(body: TapBody): void {
    const limit = this.config.offq !== undefined ? this.config.offq : 0;
    if (this.config.mode !== 'cashier' || limit === 0 || body.amt === undefined) {
      this.fail('offline');
      return;
    }
    if (this.queue.size() >= limit || this.queue.isFull()) {
      this.fail('queueFull');
      return;
    }
    const n = this.counter.next();
    if (body.tx === '') body.tx = this.cfg.deviceId + '-' + n;
    body.off = true;
    body.at = Math.floor((this.hal.clock.now() - this.bootedAt) / 1000);
    this.queue.push(encodeCanonical(body as unknown as Json));
    this.charge = undefined;
    this.cart = [];
    this.pending = undefined;
    this.state = 'showing';
    this.show([this.say('queued'), this.cash(body.amt)], BEEP_OK, 'green');
    this.linger();
  }

  // ---- network ----

  private onConnect(): void {
    const subs = deviceSubscriptions(this.cfg.venue, this.cfg.deviceId);
    for (let i = 0; i < subs.length; i++) this.hal.mqtt.subscribe(subs[i], 1);
    if (!this.helloSent) {
      this.helloSent = true;
      this.publish('hello', {
        fw: this.cfg.firmware,
        board: this.cfg.board,
        reader: this.readerVersion,
        mem: this.cfg.freeMemory !== undefined ? Math.floor(this.cfg.freeMemory()) : 0,
        reset: this.cfg.resetReason !== undefined ? this.cfg.resetReason : 'power-on',
        corrupt: this.queue.corrupt,
      });
    }
    this.drain();
    this.resendPour();
    this.scheduleHeartbeat();
    this.showIdle();
  }

  /**
   * Sends the oldest queued tap, re-signed with a fresh counter (the tx id is what the gateway
   * deduplicates on). It leaves storage only when its result arrives: a tap lost on the way, then
   * a power cut, must not be lost from the queue too. Called on connect, on each result of a
   * queued tap, and at each heartbeat (a lost result is asked for again).
   */
  private drain(): void {
    while (this.hal.mqtt.isConnected()) {
      const raw = this.queue.peek();
      if (raw === undefined) {
        this.drainTx = '';
        return;
      }
      const parsed = parseJson(raw, 5);
      if (parsed.ok) {
        this.drainTx = (parsed.value as unknown as TapBody).tx;
        this.sendSigned('tap', parsed.value, this.counter.next());
        return;
      }
      this.queue.shift(); // unreadable despite its checksum: nothing can be sent for it
    }
  }

  private scheduleHeartbeat(): void {
    if (this.heartbeatTimer >= 0) this.hal.clock.clearTimeout(this.heartbeatTimer);
    const period = (this.config.hb !== undefined ? this.config.hb : 30) * 1000;
    this.heartbeatTimer = this.hal.clock.setTimeout(() => {
      this.heartbeatTimer = -1;
      if (!this.hal.mqtt.isConnected()) return;
      this.publish('heartbeat', {
        up: Math.floor((this.hal.clock.now() - this.bootedAt) / 1000),
        q: this.queue.size(),
      });
      this.drain();
      this.scheduleHeartbeat();
    }, period);
  }

  private onMessage(topic: string, payload: string): void {
    const t = parseTopic(topic);
    if (!t.ok || t.venue !== this.cfg.venue) return;
    if (t.dir === 'up' || (t.dir === 'down' && t.deviceId !== this.cfg.deviceId)) return;
    const r = verify(payload, this.cfg.keyHex, this.lastDown);
    if (!r.ok) {
      // Forged, replayed or malformed: ignored, and reported so the venue sees it.
      this.publish('log', { lvl: 'warn', code: 'down-' + r.reason, text: topic });
      return;
    }
    const m = r.message;
    if (m.d !== this.cfg.deviceId || m.k !== t.kind) return;
    this.lastDown = m.n;
    this.handleDown(m);
  }

  private handleDown(m: Message): void {
    if (m.k === 'result') {
      const b = m.b as Message<'result'>['b'];
      if (this.drainTx !== '' && b.tx === this.drainTx) {
        // A queued tap reached the journal: forget it, send the next one.
        this.queue.shift();
        this.drainTx = '';
        this.drain();
        return;
      }
      if (b.tx === this.pourTx) {
        // The gateway charged the pour: forget it, show what it says.
        this.pourTx = '';
        this.hal.storage.erase(POUR_KEY);
      } else {
        if (this.pending === undefined || b.tx !== this.pending.body.tx) return;
        const present = this.pending.uid === this.cardInField;
        this.pending = undefined;
        if (b.ok && b.ml !== undefined && b.ml > 0 && this.config.mode === 'selfpour') {
          this.openValve(b.tx, b.amt !== undefined ? b.amt : 0, b.ml, present);
          return;
        }
      }
      this.state = 'showing';
      const lines: string[] = [];
      if (b.ok) {
        this.charge = undefined;
        this.cart = [];
        lines.push(this.say('approved') + (b.amt !== undefined ? ' ' + this.cash(b.amt) : ''));
      } else {
        lines.push(this.say('declined'), this.say(b.reason !== undefined ? b.reason : 'declined'));
      }
      if (b.bal !== undefined) {
        for (let i = 0; i < b.bal.length && lines.length < 4; i++) {
          const a = b.bal[i];
          lines.push(a.a + ' ' + (a.a === 'EUR' ? money(this.lang, a.v, 'EUR') : String(a.v)));
        }
      }
      if (b.lines !== undefined)
        for (let i = 0; i < b.lines.length && lines.length < 4; i++) lines.push(b.lines[i]);
      this.show(lines, b.ok ? BEEP_OK : BEEP_DECLINED, b.ok ? 'green' : 'red');
      this.linger();
    } else if (m.k === 'config') {
      this.config = m.b as ConfigBody;
      this.hal.storage.write('cfg', encodeCanonical(m.b as unknown as Json));
      this.menuIndex = 0;
      this.scheduleHeartbeat();
      if (this.state === 'idle') this.showIdle();
    } else if (m.k === 'charge') {
      const b = m.b as Message<'charge'>['b'];
      this.charge = { ref: b.ref, amt: b.amt, cart: b.cart };
      this.pending = undefined;
      this.show(b.lines !== undefined ? b.lines : [this.cash(b.amt), this.say('ready')], [], 'blue');
    } else if (m.k === 'display') {
      const b = m.b as Message<'display'>['b'];
      this.show(b.lines, b.beep !== undefined ? b.beep : [], b.led !== undefined ? b.led : 'off');
    }
  }

  // ---- selfpour ----

  /** Pours after an authorizing result: A (amt) buys M (ml); the pour message says what it cost. */
  private openValve(tx: string, amt: number, ml: number, present: boolean): void {
    if (this.timer >= 0) this.hal.clock.clearTimeout(this.timer); // the result timeout
    this.timer = -1;
    this.state = 'showing';
    const ppl = this.config.ppl !== undefined ? this.config.ppl : 450;
    const done = (pulses: number, end: string): void => {
      const v = Math.floor((pulses * 1000) / ppl);
      // Pro rata of the authorization, rounded half up, never above it.
      const a = v >= ml ? amt : Math.floor((2 * v * amt + ml) / (2 * ml));
      this.pourTx = tx;
      this.hal.storage.write(POUR_KEY, encodeCanonical({ tx, ml: v, amt: a, end }));
      this.resendPour();
      this.show([this.say('poured') + ' ' + v + ' ml', this.cash(a)], BEEP_OK, 'green');
      this.linger();
    };
    // Card gone (a late result), or no valve on this terminal: 0 ml, the pour releases the hold.
    if (!present || this.tapValve === undefined) {
      done(0, present ? 'idle' : 'removed');
      return;
    }
    this.tapValve.open(
      Math.ceil((ml * ppl) / 1000),
      (pulses) =>
        this.hal.display.show([this.say('pour'), Math.floor((pulses * 1000) / ppl) + ' / ' + ml + ' ml']),
      done,
    );
  }

  /** Sends the unacknowledged pour (same tx: the gateway charges it once), when connected. */
  private resendPour(): void {
    const raw = this.hal.storage.read(POUR_KEY);
    if (raw === undefined || this.pourTx === '') return;
    const parsed = parseJson(raw, 2);
    if (parsed.ok) this.publish('pour', parsed.value);
  }

  // ---- outputs ----

  private publish(kind: Kind, body: Json): void {
    if (!this.hal.mqtt.isConnected()) return;
    this.sendSigned(kind, body, this.counter.next());
  }

  private sendSigned(kind: Kind, body: Json, n: number): void {
    const msg = { v: 1, k: kind, d: this.cfg.deviceId, n, b: body } as unknown as Message;
    this.hal.mqtt.publish(
      deviceTopic(this.cfg.venue, this.cfg.deviceId, 'up', kind),
      sign(msg, this.cfg.keyHex),
      1,
      false,
    );
  }

  private show(lines: string[], beep: number[], led: string): void {
    this.hal.display.show(lines);
    if (beep.length > 0) this.hal.buzzer.beep(beep);
    this.hal.led.set(led, []);
  }

  private showIdle(): void {
    if (this.timer >= 0) {
      this.hal.clock.clearTimeout(this.timer);
      this.timer = -1;
    }
    if ((this.state === 'waiting' && this.hal.mqtt.isConnected()) || this.pouring()) return;
    this.state = 'idle';
    const lines = [this.config.venue];
    if (this.charge !== undefined) lines.push(this.cash(this.charge.amt));
    lines.push(this.hal.mqtt.isConnected() ? this.say('ready') : this.say('offline'));
    this.hal.display.show(lines);
    this.hal.led.set('off', []);
  }

  /** An error screen (red, error beep): the text of `key`, then `detail` when given. */
  private fail(key: string, detail?: string): void {
    const lines = [this.say(key)];
    if (detail !== undefined) lines.push(detail);
    this.show(lines, BEEP_ERROR, 'red');
  }

  /** The text of `key` in the terminal's language. */
  private say(key: string): string {
    return text(this.lang, key);
  }

  /** An amount in the configured currency. */
  private cash(amount: number): string {
    return money(this.lang, amount, this.config.cur);
  }

  /** The result stays on screen, then the idle screen comes back. */
  private linger(): void {
    this.arm(this.resultMs(), () => this.showIdle());
  }

  private pouring(): boolean {
    return this.tapValve !== undefined && this.tapValve.busy();
  }

  private resultMs(): number {
    return this.cfg.resultMs !== undefined ? this.cfg.resultMs : 2500;
  }

  private arm(ms: number, cb: () => void): void {
    if (this.timer >= 0) this.hal.clock.clearTimeout(this.timer);
    this.timer = this.hal.clock.setTimeout(() => {
      this.timer = -1;
      cb();
    }, ms);
  }
}
