/** The cloud device registry: `POST /v1/devices` registers a terminal's key, `DELETE /v1/devices/:id` revokes it. */
import { FlashError } from './errors.js';

export interface RegistryOptions {
  /** Base URL of the cloud, e.g. https://cloud.example.org */
  cloud: string;
  /** Gateway or admin API key (Bearer). */
  apiKey: string;
  timeoutMs?: number;
}

export interface DeviceRegistration {
  deviceId: string;
  venueId: string;
  board: string;
  firmware: string;
  keyHex: string;
}

function url(o: RegistryOptions, path: string): string {
  return `${o.cloud.replace(/\/+$/, '')}${path}`;
}

async function request(
  o: RegistryOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  if (!o.apiKey)
    throw new FlashError('no-api-key', 'no cloud API key: pass --api-key or set TIBILLET_API_KEY');
  let res: Response;
  try {
    res = await fetch(url(o, path), {
      method,
      headers: {
        authorization: `Bearer ${o.apiKey}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
  } catch (e) {
    throw new FlashError(
      'cloud-unreachable',
      `cloud ${o.cloud} unreachable: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  let json: Record<string, unknown> = {};
  try {
    json = (await res.json()) as Record<string, unknown>;
  } catch {
    // empty or non-JSON body
  }
  return { status: res.status, json };
}

function reason(json: Record<string, unknown>): string {
  const m = json.message ?? json.error ?? '';
  return typeof m === 'string' ? m : JSON.stringify(m);
}

function authError(status: number, o: RegistryOptions): FlashError | undefined {
  if (status === 401)
    return new FlashError(
      'unauthorized',
      `cloud ${o.cloud} refused the API key (401): check --api-key / TIBILLET_API_KEY`,
    );
  if (status === 403)
    return new FlashError(
      'forbidden',
      `cloud ${o.cloud}: this API key may not manage this venue's devices (403)`,
    );
  return undefined;
}

export async function registerDevice(o: RegistryOptions, d: DeviceRegistration): Promise<void> {
  const { status, json } = await request(o, 'POST', '/v1/devices', d);
  if (status === 200 || status === 201) return;
  if (status === 409) {
    throw new FlashError(
      'already-registered',
      `device ${d.deviceId} is already registered in the cloud: revoke it first (tibillet-flash revoke ${d.deviceId}) or use another device id`,
    );
  }
  throw (
    authError(status, o) ??
    new FlashError('cloud-error', `cloud refused to register ${d.deviceId} (${status}): ${reason(json)}`)
  );
}

export async function revokeDevice(o: RegistryOptions, deviceId: string): Promise<void> {
  const { status, json } = await request(o, 'DELETE', `/v1/devices/${encodeURIComponent(deviceId)}`);
  if (status === 200 || status === 204) return;
  if (status === 404) throw new FlashError('unknown-device', `the cloud has no device ${deviceId}`);
  throw (
    authError(status, o) ??
    new FlashError('cloud-error', `cloud refused to revoke ${deviceId} (${status}): ${reason(json)}`)
  );
}
