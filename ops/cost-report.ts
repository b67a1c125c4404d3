/**
 * Renders a cost estimate for people: the volume, a per-service breakdown, the
 * line items, the cheaper settings and the assumptions behind the numbers. Pure.
 */
import { MONTH_HOURS, SNS_DATA_KEY_REUSE_SECONDS, type CombinedRecommendation, type CostEstimate, type CostRecommendation } from './cost-model';

/** `$1,234.57`, or `$0.0042` below a cent so small lines do not all read `$0.00`. */
export function usd(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function quantity(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

const SINGULAR: Readonly<Record<string, string>> = {
  requests: 'request',
  messages: 'message',
  traces: 'trace',
  keys: 'key',
  dashboards: 'dashboard',
  metrics: 'metric',
  'alarm metrics': 'alarm metric',
  'schema versions': 'schema version',
  'WCU-hours': 'WCU-hour',
  'RCU-hours': 'RCU-hour',
};

function perLabel(per: number, unit: string): string {
  if (per === 1_000_000) return `per 1M ${unit}`;
  if (per === 10_000) return `per 10k ${unit}`;
  return `per ${SINGULAR[unit] ?? unit}`;
}

/** A unit price with the digits it has: `$0.0000133334`, `$0.625`, `$3`. */
export function unitPrice(value: number): string {
  return `$${Number(value.toPrecision(6)).toString()}`;
}

/** The report `fanout cost` prints. */
export function formatCostReport(estimate: CostEstimate, recommendations: readonly CostRecommendation[], together?: CombinedRecommendation): string {
  const out: string[] = [];
  const v = estimate.volume;
  const volume =
    v.kind === 'peak'
      ? `the contracts' peak rates held all month (${quantity(v.eventsPerDay)} events/day, an upper bound)`
      : `${quantity(v.eventsPerDay)} events/day`;
  out.push(`Monthly cost at ${volume}: ${usd(estimate.totalMonthlyUsd)}`);
  out.push(`List prices, ${estimate.region}, as of ${estimate.pricesAsOf}; no free tier; a month is ${MONTH_HOURS} hours.`);
  out.push('');
  out.push('By service:');
  const width = Math.max(...estimate.services.map((s) => s.service.length));
  for (const s of estimate.services) {
    const share = estimate.totalMonthlyUsd > 0 ? ` (${((s.monthlyUsd / estimate.totalMonthlyUsd) * 100).toFixed(1)}%)` : '';
    out.push(`  ${s.service.padEnd(width)}  ${usd(s.monthlyUsd).padStart(12)}${share}`);
  }
  out.push('');
  out.push('Line items:');
  for (const line of estimate.lines) {
    out.push(`  ${line.service.padEnd(width)}  ${usd(line.monthlyUsd).padStart(12)}  ${line.item}: ${quantity(line.quantity)} ${line.unit} x ${unitPrice(line.priceUsd)} ${perLabel(line.per, line.unit)}`);
  }
  out.push('');
  const useful = recommendations.filter((r) => r.recommended);
  out.push(useful.length > 0 ? 'Cheaper safe settings at this volume (each priced alone):' : 'No cheaper safe setting at this volume.');
  for (const r of useful) {
    out.push(`  - saves ${usd(r.monthlySavingsUsd)}/month: ${r.change}`);
    out.push(`    ${r.safety}`);
  }
  if (together && together.ids.length > 1) {
    out.push(
      `  All ${together.ids.length} together: ${usd(together.totalMonthlyUsd)}/month, saving ${usd(together.monthlySavingsUsd)} ` +
        `(less than the sum of each alone, ${usd(useful.reduce((sum, r) => sum + r.monthlySavingsUsd, 0))}: they overlap).`,
    );
  }
  const weighed = recommendations.filter((r) => !r.recommended);
  if (weighed.length > 0) {
    out.push('Weighed and not worth it at this volume:');
    for (const r of weighed) out.push(`  - would cost ${usd(-r.monthlySavingsUsd)}/month more: ${r.change}`);
  }
  out.push('');
  const a = estimate.assumptions;
  out.push('Assumptions (fanout cost --json lists them all):');
  const sampling = estimate.settings.traceSampling;
  const d = estimate.design;
  out.push(
    `  ${a.eventBytes} B events; ${a.publishBatchFill} events per PublishBatch request (batch fill); ` +
      `${a.recordMilliseconds} ms per record + ${a.invocationOverheadMilliseconds} ms per invocation; ` +
      `${a.transientFailureRate * 100}% transient and ${a.permanentFailureRate * 100}% permanent failures; ` +
      `filters pass every event of a consumer's types (upper bound); ${a.pollersPerQueue} Lambda long polls of ${a.longPollSeconds} s per queue; ` +
      `X-Ray ${sampling.reservoirPerSecond}/s + ${sampling.fixedRate * 100}% of publish requests under one sampling rule, ` +
      `${a.invocationsStartOwnTraces ? 'plus the same of each function\'s invocations' : 'one trace each from SNS through SQS to Lambda'}; ` +
      `KMS data keys reused ${estimate.settings.kmsDataKeyReusePeriodSeconds} s by SQS and ${SNS_DATA_KEY_REUSE_SECONDS} s by SNS, ${a.publishingPrincipalsPerTopic} publishing principal(s) per topic; ` +
      `from the synthesized template: ${d.kmsKeys} customer-managed keys, ${d.alarmMetrics} alarm metrics, ${d.dashboards} dashboard(s); ` +
      `data transfer within the region is free.`,
  );
  out.push(
    estimate.reservedConcurrency > 0
      ? `  Reserved concurrency: ${estimate.reservedConcurrency} of the account's Lambda concurrency (each function its mapping's maximum), free of charge; Lambda keeps at least 100 of the account's unreserved.`
      : '  Reserved concurrency: none (reserveConcurrency is off): other functions can throttle the consumers, and throttled receives count toward maxReceiveCount.',
  );
  for (const t of estimate.traffic) {
    out.push(
      `  ${t.consumer}: ${quantity(t.messages)} messages, ${quantity(t.recordsPerBatch)} records per invocation, ${quantity(t.invocations)} invocations`,
    );
  }
  return out.join('\n');
}
