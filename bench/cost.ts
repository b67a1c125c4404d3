/**
 * The all-in monthly bill of the sample pipeline at 100,000 events a day: with the
 * settings it ships with, and with every cheaper safe setting `fanout cost` recommends
 * applied together (ops/cost-model.ts). No AWS call: list prices from one dated table and
 * the synthesized template's alarms, keys and dashboards.
 *
 * Run alone: `npx tsx bench/cost.ts` (or `npm run bench cost`).
 */
import { loadPipeline } from '../model/load-pipeline';
import { synthesizedDesign } from '../cli/cost';
import { estimateCost, priceTogether, recommendCheaperSettings, type CostInput } from '../ops/cost-model';
import { recordFigure } from './scorecard';

const EVENTS_PER_DAY = 100_000;
const input: CostInput = { pipeline: loadPipeline(), volume: { kind: 'per-day', eventsPerDay: EVENTS_PER_DAY }, design: synthesizedDesign() };
const shipped = estimateCost(input);
const together = priceTogether(input, shipped, recommendCheaperSettings(input, shipped));
console.log(`all-in monthly cost at ${EVENTS_PER_DAY.toLocaleString('en-US')} events/day: $${shipped.totalMonthlyUsd.toFixed(2)} shipped, $${together.totalMonthlyUsd.toFixed(2)} with ${together.ids.join(', ')} together`);
recordFigure({
  id: 'monthly-cost-shipped',
  label: `all-in monthly cost at ${EVENTS_PER_DAY.toLocaleString('en-US')} events/day, shipped settings`,
  value: shipped.totalMonthlyUsd,
  unit: 'USD',
  baseline: { label: 'every recommendation together', value: together.totalMonthlyUsd },
  target: { op: '<=', value: 20 },
});
