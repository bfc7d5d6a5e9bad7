// Promotion rules that several tests run against, through the tap handler and through the POS.
import type { PromotionRule } from '../src/promotions/rules.js';

/** "Fidèle": two burgers bought here in the last 30 days give 50 % off sodas. */
export const LOYAL_RULE: PromotionRule = {
  id: 'loyal',
  name: 'Fidèle',
  kind: 'history',
  bought: 'burger',
  times: 2,
  days: 30,
  target: 'soda',
  pct: 50,
};

/** "Membre A": the badge of partner venue A gives 20 % off food. */
export const COOP_A_RULE: PromotionRule = {
  id: 'coop-a',
  name: 'Membre A',
  kind: 'partner',
  badge: 'BADGE:venue-a',
  pct: 20,
  categories: ['food'],
};
