import type { Storage } from '@tibillet/firmware';
import { protocol } from '@tibillet/firmware';
import { describe, expect, it } from 'vitest';

function memoryStorage(): Storage & { data: Record<string, string>; writes: number } {
  const s = {
    data: {} as Record<string, string>,
    writes: 0,
    read: (k: string) => s.data[k],
    write: (k: string, v: string) => {
      s.writes++;
      s.data[k] = v;
    },
    erase: (k: string) => {
      delete s.data[k];
    },
  };
  return s;
}

describe('topics', () => {
  it('builds and parses the tree', () => {
    const t = protocol.deviceTopic('bar', 'dev-1', 'up', 'tap');
    expect(t).toBe('tb/v1/bar/dev/dev-1/up/tap');
    expect(protocol.parseTopic(t)).toEqual({
      ok: true,
      venue: 'bar',
      deviceId: 'dev-1',
      dir: 'up',
      kind: 'tap',
    });
    expect(protocol.parseTopic('tb/v1/bar/bcast/config')).toEqual({
      ok: true,
      venue: 'bar',
      deviceId: '',
      dir: 'bcast',
      kind: 'config',
    });
    expect(protocol.deviceSubscriptions('bar', 'dev-1')).toEqual([
      'tb/v1/bar/dev/dev-1/down/+',
      'tb/v1/bar/bcast/+',
    ]);
  });

  it.each([
    ['tb/v1/bar/dev/dev-1/side/tap', 'bad-direction'],
    ['tb/v1/bar/dev/dev+1/up/tap', 'bad-device'],
    ['tb/v1/b#r/dev/dev-1/up/tap', 'bad-venue'],
    ['tb/v2/bar/dev/dev-1/up/tap', 'bad-topic'],
    ['tb/v1/bar/dev/dev-1/up/tap/extra', 'bad-topic'],
    ['tb/v1/bar/dev/dev-1/up/', 'bad-kind'],
  ])('rejects %s', (topic, reason) => {
    expect(protocol.parseTopic(topic)).toEqual({ ok: false, reason });
  });
});

describe('persisted counter', () => {
  it('never reuses a value across power cuts, with one flash write per block', () => {
    const storage = memoryStorage();
    const seen: number[] = [];
    let c = new protocol.Counter(storage, 'ctr', 8);
    for (let boot = 0; boot < 5; boot++) {
      for (let i = 0; i < 13; i++) seen.push(c.next());
      c = new protocol.Counter(storage, 'ctr', 8); // power cut: a new instance on the same storage
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    expect(storage.writes).toBeLessThan(seen.length / 3);
  });

  it('restarts from zero on unreadable storage', () => {
    const storage = memoryStorage();
    storage.data.ctr = 'garbage';
    expect(new protocol.Counter(storage, 'ctr').next()).toBe(1);
  });
});
