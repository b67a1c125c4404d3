/**
 * This project's pipeline: the one file that says what Fanout builds here. The CDK app,
 * every `fanout` command and the local runner read it through `loadPipeline()`
 * (model/load-pipeline.ts); nothing else names a topic, an event type or a consumer.
 *
 * It ships as the sample (a web app's user sign-ups synced in real time to a CRM, an
 * email marketing tool and billing). Make it yours: `npx fanout new event` and
 * `npx fanout new consumer` add to it, and README's "Make it yours" walks through it.
 * Every field is documented in model/pipeline-definition.ts.
 */
import type { PipelineDefinition } from './model/pipeline-definition';

/** The pipeline's definition. */
export const pipeline: PipelineDefinition = {
  name: 'fanout-sample',
  topics: [
    // Only the web app's role may publish user events, and only billing's its changes.
    { name: 'user-events', publishers: [{ principal: 'role/fanout-sample-web-app', owner: { team: 'web-app', contact: 'web-app-oncall@example.com' } }] },
    // Billing changes must apply in order per account, and can be replayed for 7 days.
    {
      name: 'billing-events',
      fifo: true,
      archiveRetentionDays: 7,
      publishers: [{ principal: 'role/fanout-sample-billing', owner: { team: 'billing', contact: 'billing-oncall@example.com' } }],
    },
  ],
  eventTypes: [
    { name: 'user.signed-up', topic: 'user-events', peakEventsPerSecond: 50, latencySlaP95Seconds: 60 },
    { name: 'user.profile-updated', topic: 'user-events', peakEventsPerSecond: 20, latencySlaP95Seconds: 120 },
    { name: 'subscription.changed', topic: 'billing-events', peakEventsPerSecond: 5, latencySlaP95Seconds: 60 },
  ],
  consumers: [
    {
      name: 'crm-sync',
      description: 'Upserts every user into the CRM as a contact; never applies an older profile change over a newer one.',
      topic: 'user-events',
      eventTypes: ['user.signed-up', 'user.profile-updated'],
      entry: 'lambdas/consumers/crm-sync/handler.ts',
      owner: { team: 'crm-integrations', contact: 'crm-integrations-oncall@example.com' },
    },
    {
      name: 'email-marketing',
      description: 'Adds users who opted in to marketing as subscribers of the email marketing tool.',
      topic: 'user-events',
      eventTypes: ['user.signed-up'],
      // Selected on the body, so v1 events (which have no consent flag) are never sent.
      filter: { scope: 'MessageBody', policy: { type: ['user.signed-up'], data: { marketingOptIn: [true] } } },
      entry: 'lambdas/consumers/email-marketing/handler.ts',
      owner: { team: 'growth', contact: 'growth-oncall@example.com' },
    },
    {
      name: 'billing-sync',
      description: 'Applies subscription changes to the billing system in order, per account.',
      topic: 'billing-events',
      eventTypes: ['subscription.changed'],
      batchSize: 10,
      entry: 'lambdas/consumers/billing-sync/handler.ts',
      owner: { team: 'billing', contact: 'billing-oncall@example.com' },
    },
  ],
};
