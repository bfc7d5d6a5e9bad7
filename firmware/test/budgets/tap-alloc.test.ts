/**
 * Per-tap allocation budget of the Espruino bundle (firmware targets issue, "Budgets": no growth
 * over 10,000 taps). The bundle runs in the Espruino shim with the PN532 simulator on Serial2 and
 * the shim's MQTT double; each tap is a full paid round: a signed charge comes down, a card is
 * placed, the signed tap goes up, the signed result comes down, the card leaves.
 * What the bundle keeps alive is counted the way Espruino counts variables (closure-walk.ts:
 * objects, properties, array elements, closure variables, strings by 12-character block) after
 * 100 taps and after 10,000: the two counts must be equal, with the same number of live timers.
 * A per-tap leak (a growing array, map of seen transactions, retained closure…) fails here long
 * before a board runs out of its 16,383 variables.
 */
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../espruino/rig.js';
import { type TapLoop, tapLoop } from './tap-loop.js';

const TAPS = 10_000;
const WARMUP = 100;

describe('Espruino bundle: per-tap allocation', () => {
  let loop: TapLoop;
  beforeAll(() => {
    loop = tapLoop(buildBundle());
  }, 120_000);
  afterAll(() => loop?.close());

  it(`keeps the same variables and timers after ${WARMUP} and after ${TAPS} paid taps`, () => {
    loop.taps(WARMUP);
    const early = loop.measure();
    // the walk sees the bundle's state: the terminal, its driver, poller, queue… (not a handful of globals)
    expect(early.objects).toBeGreaterThan(100);
    expect(early.scopes).toBeGreaterThan(5);
    loop.taps(TAPS - WARMUP);
    const late = loop.measure();
    expect(late).toEqual(early);
  }, 600_000);

  it('the walk sees closure state: an array a timer callback keeps growing shows up', () => {
    // A leak as a bundle would have one: state in a closure, reachable only from a timer.
    const id = vm.runInContext(
      '(function () { var kept = []; return setInterval(function () { kept.push({ tx: "t" }); }, 1000); })()',
      loop.rig.shim.context,
    ) as number;
    loop.rig.shim.advance(1000);
    const one = loop.measure();
    loop.rig.shim.advance(5000);
    const six = loop.measure();
    // five more elements, each an object with one property: at least two variables each
    expect(six.variables - one.variables).toBeGreaterThanOrEqual(10);
    vm.runInContext(`clearInterval(${id})`, loop.rig.shim.context);
  });
});
