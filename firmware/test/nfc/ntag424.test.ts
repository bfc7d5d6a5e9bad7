import { nfc, ntag424, pn532 } from '@tibillet/firmware';
import { nodeCrypto } from '@tibillet/firmware/host';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const ZERO = '00000000000000000000000000000000';
ntag424.setCrypto(nodeCrypto);

describe('AES-CMAC (RFC 4493)', () => {
  const key = [...Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex')];
  const msg = [
    ...Buffer.from(
      '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
      'hex',
    ),
  ];
  it.each([
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ])('example with %i bytes', (n, mac) => {
    expect(Buffer.from(nfc.aesCmac(nodeCrypto, key, msg.slice(0, n))).toString('hex')).toBe(mac);
  });
});

describe('NTAG 424 DNA SUN (AN12196)', () => {
  it('verifies the encrypted PICCData example: UID 04DE5F1EACC040, counter 61', () => {
    expect(
      ntag424.verifySun({
        piccData: 'EF963FF7828658A599F3041510671E88',
        cmac: '94EED9EE65337086',
        metaReadKey: ZERO,
        fileReadKey: ZERO,
      }),
    ).toEqual({
      ok: true,
      uid: '04DE5F1EACC040',
      counter: 61,
    });
  });

  it('verifies the plain mirroring example: uid 041E3C8A2D6B80, counter 6', () => {
    expect(
      ntag424.verifySunPlain({
        uid: '041E3C8A2D6B80',
        counter: '000006',
        cmac: '4B00064004B0B3D3',
        fileReadKey: ZERO,
      }),
    ).toEqual({
      ok: true,
      uid: '041E3C8A2D6B80',
      counter: 6,
    });
  });

  it.each([
    [
      {
        piccData: 'EF963FF7828658A599F3041510671E88',
        cmac: '94EED9EE65337087',
        metaReadKey: ZERO,
        fileReadKey: ZERO,
      },
      'bad-cmac',
    ],
    [
      {
        piccData: 'EF963FF7828658A599F3041510671E89',
        cmac: '94EED9EE65337086',
        metaReadKey: ZERO,
        fileReadKey: ZERO,
      },
      'bad-tag',
    ],
    [
      {
        piccData: 'EF963FF7828658A599F3041510671E88',
        cmac: '94EED9EE65337086',
        metaReadKey: ZERO,
        fileReadKey: `${ZERO.slice(2)}01`,
      },
      'bad-cmac',
    ],
    [
      {
        piccData: 'EF963FF7828658A599F3041510671E88',
        cmac: '94EED9EE65337086',
        metaReadKey: `01${ZERO.slice(2)}`,
        fileReadKey: ZERO,
      },
      'bad-tag',
    ],
    [{ piccData: 'zz', cmac: '94EED9EE65337086', metaReadKey: ZERO, fileReadKey: ZERO }, 'bad-hex'],
    [
      { piccData: 'EF963FF7828658A5', cmac: '94EED9EE65337086', metaReadKey: ZERO, fileReadKey: ZERO },
      'bad-length',
    ],
  ])('refuses a tampered tap (%#)', (args, reason) => {
    expect(ntag424.verifySun(args)).toEqual({ ok: false, reason });
  });

  it('a plain URL with a changed counter fails', () => {
    expect(
      ntag424.verifySunPlain({
        uid: '041E3C8A2D6B80',
        counter: '000007',
        cmac: '4B00064004B0B3D3',
        fileReadKey: ZERO,
      }),
    ).toEqual({
      ok: false,
      reason: 'bad-cmac',
    });
  });

  it('never throws on random input', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (a, b, c, d) => {
        expect(ntag424.verifySun({ piccData: a, cmac: b, metaReadKey: c, fileReadKey: d }).ok).toBe(false);
        expect(ntag424.verifySunPlain({ uid: a, counter: b, cmac: c, fileReadKey: d }).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('generated SUN data verifies for random keys, uids and counters', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 7, maxLength: 7 }),
        fc.integer({ min: 0, max: 0xffffff }),
        (mk, fk, uid, counter) => {
          const sun = ntag424.generateSun(
            { uid: [...uid], counter, metaReadKey: [...mk], fileReadKey: [...fk], random: [1, 2, 3, 4, 5] },
            nodeCrypto,
          );
          const r = ntag424.verifySun({
            ...sun,
            metaReadKey: Buffer.from(mk).toString('hex'),
            fileReadKey: Buffer.from(fk).toString('hex'),
          });
          expect(r).toEqual({ ok: true, uid: Buffer.from(uid).toString('hex').toUpperCase(), counter });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('emulated NTAG 424 behind the simulated PN532', () => {
  it('the terminal reads a fresh, verifiable SUN URL in three exchanges, the counter rising at each tap', () => {
    const reader = pn532.simulatedReader({ bus: 'hsu' });
    const { clock, sim } = reader;
    let awake = false;
    reader.driver.wakeUp((r) => {
      awake = r.ok;
    });
    clock.runUntil(() => awake, 1000);
    const key = [...Buffer.from('00112233445566778899aabbccddeeff', 'hex')];
    const card = new nfc.Ntag424Card({
      uid: [0x04, 0xde, 0x5f, 0x1e, 0xac, 0xc0, 0x40],
      metaReadKey: key,
      fileReadKey: key,
      baseUrl: 'https://t.tibillet.coop/',
      counter: 10,
      aes: nodeCrypto,
      random: (n) => nodeCrypto.randomBytes(n),
    });
    const counters: number[] = [];
    for (let tap = 0; tap < 3; tap++) {
      sim.placeCard(card);
      let target: pn532.TargetInfo | undefined;
      reader.driver.inListPassiveTarget((r) => {
        if (r.ok && r.value) target = r.value;
      });
      clock.runUntil(() => target !== undefined, 1000);
      expect(target?.sak).toBe(0x20);
      const before = sim.commands.length;
      let url: ReturnType<typeof ntag424.parseSunUrl> | undefined;
      nfc.readSunUrl(
        (apdu, cb) => reader.driver.inDataExchange(1, apdu, (r) => cb(r.ok, r.ok ? r.value : [])),
        (u) => {
          url = u;
        },
      );
      clock.runUntil(() => url !== undefined, 2000);
      expect(sim.commands.length - before).toBe(3);
      expect(url?.ok && url.kind).toBe('encrypted');
      if (url?.ok && url.kind === 'encrypted') {
        const r = ntag424.verifySun({
          piccData: url.piccData,
          cmac: url.cmac,
          metaReadKey: '00112233445566778899aabbccddeeff',
          fileReadKey: '00112233445566778899aabbccddeeff',
        });
        expect(r.ok).toBe(true);
        if (r.ok) counters.push(r.counter);
      }
      sim.removeCard();
    }
    expect(counters).toEqual([11, 12, 13]);
  });
});

describe('NTAG21x and NDEF', () => {
  it('identifies the model, reads pages and finds the URL', () => {
    const url = 'https://t.tibillet.coop/c/1234';
    const rec = nfc.uriRecord(url);
    const mem = [0x03, rec.length, ...rec, 0xfe];
    while (mem.length % 4) mem.push(0);
    const pages: number[][] = [
      [4, 0xde, 0x5f, 0x1e],
      [0xac, 0xc0, 0x40, 0x80],
      [0, 0, 0, 0],
      [0xe1, 0x10, 0x12, 0],
    ];
    for (let i = 0; i < mem.length; i += 4) pages.push(mem.slice(i, i + 4));
    const card = new nfc.Ntag21xCard([4, 0xde, 0x5f, 0x1e, 0xac, 0xc0, 0x40], pages, 'NTAG215');
    expect(nfc.ntag21x.parseVersion(card.exchange(nfc.ntag21x.getVersion()) as number[])).toBe('NTAG215');
    const data = card.exchange(nfc.ntag21x.fastRead(4, 4 + mem.length / 4 - 1)) as number[];
    expect(nfc.parseUriRecord(nfc.findNdefTlv(data)!)).toBe(url);
    expect(nfc.ntag21x.parseSignature(card.exchange(nfc.ntag21x.readSig()) as number[])?.length).toBe(32);
    expect(nfc.cardFamily([0x00, 0x44], 0x00)).toBe('ultralight-ntag');
    expect(nfc.cardFamily([0x03, 0x44], 0x20)).toBe('iso-dep');
    expect(nfc.isValidUid([0x88, 1, 2, 3])).toBe(false);
  });
});
