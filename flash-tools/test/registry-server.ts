/** A local stand-in for the cloud device registry (POST/DELETE /v1/devices) on 127.0.0.1, random port. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RegistryCall {
  method: string;
  url: string;
  auth: string | undefined;
  body: Record<string, string> | undefined;
}

export interface FakeRegistry {
  url: string;
  calls: RegistryCall[];
  devices: Map<string, { venueId: string; keyHex: string; revoked: boolean }>;
  close(): Promise<void>;
}

export async function startRegistry(apiKey = 'gw-test-key'): Promise<FakeRegistry> {
  const calls: RegistryCall[] = [];
  const devices = new Map<string, { venueId: string; keyHex: string; revoked: boolean }>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, string>) : undefined;
      calls.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.headers.authorization !== `Bearer ${apiKey}`)
        return send(401, { error: 'unauthorized', message: 'bad key' });
      if (req.method === 'POST' && req.url === '/v1/devices' && body) {
        if (devices.has(body.deviceId))
          return send(409, { error: 'device-exists', message: `device ${body.deviceId} already registered` });
        devices.set(body.deviceId, { venueId: body.venueId, keyHex: body.keyHex, revoked: false });
        return send(201, { deviceId: body.deviceId, venueId: body.venueId });
      }
      const m = /^\/v1\/devices\/([^/]+)$/.exec(req.url ?? '');
      if (req.method === 'DELETE' && m) {
        const d = devices.get(decodeURIComponent(m[1]));
        if (!d) return send(404, { error: 'unknown-device', message: 'no device' });
        d.revoked = true;
        return send(200, { deviceId: m[1], revoked: true });
      }
      send(404, { error: 'not-found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    devices,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
