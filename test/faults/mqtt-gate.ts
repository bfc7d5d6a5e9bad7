// A TCP gate in front of an MQTT broker that understands just enough MQTT framing to lose
// PUBLISH packets on the way up while the session itself (CONNECT/CONNACK, SUBSCRIBE, PINGs)
// keeps working: the link a terminal sees as connected but whose frames never arrive (Wi-Fi
// dropping frames, a NAT forgetting the flow). `down()` cuts every connection and refuses new ones.
import type { Socket } from 'node:net';
import { gate } from '../e2e/cloud-harness.js';

export interface MqttGate {
  url: string;
  /** Drop PUBLISH packets from clients (true) or forward everything (false). */
  dropPublishes: boolean;
  dropped: number;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/** Splits a client→broker byte stream into MQTT control packets. */
function packets(onPacket: (p: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      let len = 0;
      let mul = 1;
      let i = 1;
      for (; i < 5; i++) {
        if (i >= buf.length) return;
        len += (buf[i] & 0x7f) * mul;
        mul *= 128;
        if ((buf[i] & 0x80) === 0) break;
      }
      const total = i + 1 + len;
      if (buf.length < total) return;
      onPacket(buf.subarray(0, total));
      buf = buf.subarray(total);
    }
  };
}

export async function mqttGate(brokerPort: number): Promise<MqttGate> {
  const g = { dropPublishes: false, dropped: 0 };
  // One packet splitter per connection: a PUBLISH may straddle chunks.
  const splitters = new WeakMap<Socket, (chunk: Buffer) => void>();
  const inner = await gate(`mqtt://127.0.0.1:${brokerPort}`, (chunk, upstream) => {
    let split = splitters.get(upstream);
    if (!split) {
      split = packets((p) => {
        if (g.dropPublishes && p[0] >> 4 === 3) g.dropped++;
        else upstream.write(p);
      });
      splitters.set(upstream, split);
    }
    split(chunk);
  });
  return Object.assign(g, inner);
}
