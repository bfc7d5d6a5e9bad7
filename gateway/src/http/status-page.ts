/** The terminals status page: plain server-rendered HTML, readable on a phone behind the bar. */
import type { DeviceStatus } from '../devices/registry.js';

const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function ago(ms: number | undefined, now: number): string {
  if (ms === undefined) return 'never';
  const s = Math.round((now - ms) / 1000);
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

export function statusPage(
  venue: string,
  devices: DeviceStatus[],
  sync: { online: boolean; backlog: number; lagSeconds: number } | undefined,
  now = Date.now(),
): string {
  const rows = devices
    .map(
      (d) =>
        `<tr class="${d.online ? 'on' : 'off'}"><td>${esc(d.deviceId)}</td><td>${d.online ? 'online' : 'offline'}</td><td>${esc(d.firmware)}</td>` +
        `<td>${esc(d.board)}</td><td>${esc(d.reader)}</td><td>${ago(d.lastSeen, now)}</td><td>${esc(d.queued ?? '')}</td><td>${esc(d.lastError ?? '')}</td></tr>`,
    )
    .join('\n');
  const syncLine = sync
    ? `<p>Cloud: <b>${sync.online ? 'reachable' : 'unreachable (selling on stand-in)'}</b> · ${sync.backlog} transactions to upload · lag ${sync.lagSeconds.toFixed(0)} s</p>`
    : '<p>Cloud: none (standalone venue)</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="5"><title>Terminals · ${esc(venue)}</title>
<style>body{font:16px system-ui,sans-serif;margin:1rem}table{border-collapse:collapse;width:100%}td,th{padding:.4rem;border-bottom:1px solid #ddd;text-align:left}
tr.off td:nth-child(2){color:#b00}tr.on td:nth-child(2){color:#070}</style></head><body>
<h1>Terminals · ${esc(venue)}</h1>${syncLine}
<table><thead><tr><th>Device</th><th>State</th><th>Firmware</th><th>Board</th><th>Reader</th><th>Last seen</th><th>Queued</th><th>Last error</th></tr></thead>
<tbody>${rows || '<tr><td colspan="8">No terminal yet</td></tr>'}</tbody></table></body></html>`;
}
