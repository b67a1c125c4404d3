/**
 * The IAM action lists granted by the constructs, checked against the code that makes
 * the calls: least privilege means exactly what is called, so a grant that drifts from
 * the code (an action no code needs, or a call no grant allows) fails here, before a
 * deploy turns it into an AccessDenied or an over-broad role.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DLQ_OPERATOR_ACTIONS } from '../../lib/constructs/consumer';
import { SCHEMA_READ_ACTIONS } from '../../lib/constructs/contract-registry';
import { DOWNSTREAM_ACTIONS } from '../../lib/constructs/downstream-table';
import { IDEMPOTENCY_ACTIONS } from '../../lib/constructs/idempotency-table';
import { PROJECT_ROOT } from '../../model/project-root';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs|js)$/.test(entry) && !/\.test\./.test(entry) ? [path] : [];
  });
}

/** The `XCommand` classes a source text instantiates (`new XCommand(`, or `new sdk.XCommand(` in CommonJS), without the suffix. */
function commandsSent(source: string): string[] {
  return [...source.matchAll(/new\s+(?:[\w$]+\.)?(\w+)Command\s*\(/g)].map((m) => m[1]!);
}

/** The command names a source file imports from one package. */
function importedFrom(source: string, pkg: string): Set<string> {
  const names = new Set<string>();
  const pattern = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*['"]${pkg.replaceAll('/', '\\/')}['"]`, 'g');
  for (const match of source.matchAll(pattern)) {
    for (const part of match[1]!.split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!;
      if (!part.trim().startsWith('type ') && name.endsWith('Command')) names.add(name.slice(0, -'Command'.length));
    }
  }
  return names;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

// The DocumentClient's commands, by the DynamoDB action each performs.
const DOCUMENT_CLIENT_ACTIONS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

// A DynamoDB transaction has no IAM action of its own: each of its items is authorized as
// the single-item action it performs (DynamoDB developer guide, "Using IAM with DynamoDB
// transactions"). The kinds of item a source puts in TransactItems, by that action.
const TRANSACTION_ITEM_ACTIONS: Record<string, string> = { Update: 'UpdateItem', Put: 'PutItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' };
function transactionItemActions(source: string): string[] {
  return [...source.matchAll(/\{\s*(Update|Put|Delete|ConditionCheck)\s*:/g)].map((m) => `dynamodb:${TRANSACTION_ITEM_ACTIONS[m[1]!]!}`);
}

// SQS batch calls are authorized as their single-message action.
const sqsAction = (command: string) => `sqs:${command.replace(/Batch$/, '')}`;

describe('granted actions equal the calls the code makes', () => {
  it('DOWNSTREAM_ACTIONS: exactly the DynamoDB commands lambdas/ sends (the downstream adapter)', () => {
    const actions: string[] = [];
    for (const file of sourceFiles(join(PROJECT_ROOT, 'lambdas'))) {
      const source = readFileSync(file, 'utf8');
      const low = importedFrom(source, '@aws-sdk/client-dynamodb');
      const document = importedFrom(source, '@aws-sdk/lib-dynamodb');
      for (const command of commandsSent(source)) {
        if (command === 'TransactWriteItems' && low.has(command)) actions.push(...transactionItemActions(source));
        else if (low.has(command)) actions.push(`dynamodb:${command}`);
        else if (document.has(command)) actions.push(`dynamodb:${DOCUMENT_CLIENT_ACTIONS[command] ?? command}`);
      }
    }
    // Something was found: the scan itself works.
    expect(actions.length).toBeGreaterThan(0);
    expect(sorted(DOWNSTREAM_ACTIONS)).toEqual(sorted(actions));
  });

  it('IDEMPOTENCY_ACTIONS: exactly the commands Powertools\' DynamoDB persistence layer sends', () => {
    const layer = createRequire(import.meta.url).resolve('@aws-lambda-powertools/idempotency/dynamodb');
    const actions = commandsSent(readFileSync(layer, 'utf8')).map((command) => `dynamodb:${command}`);
    expect(actions.length).toBeGreaterThan(0);
    expect(sorted(IDEMPOTENCY_ACTIONS)).toEqual(sorted(actions));
  });

  it('SCHEMA_READ_ACTIONS: exactly the Glue calls behind the resolver methods the kit uses', () => {
    const kitCalls = new Set<string>();
    for (const file of sourceFiles(join(PROJECT_ROOT, 'lambdas'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bresolver\??\.(\w+)\s*\(/g)) kitCalls.add(match[1]!);
    }
    expect(kitCalls.has('resolve')).toBe(true);

    // The class's members start at two spaces of indentation; each chunk is one member.
    const registry = readFileSync(join(PROJECT_ROOT, 'contracts/glue-registry.ts'), 'utf8');
    const classBody = registry.slice(registry.indexOf('export class GlueContractResolver'));
    const members = classBody.split(/\n(?=  (?:async |private |public |get |static |readonly |[a-zA-Z]\w*\s*[(<=:]))/);
    const actions: string[] = [];
    for (const method of kitCalls) {
      const member = members.find((m) => new RegExp(`^  (?:public )?(?:async )?${method}\\s*\\(`).test(m));
      expect(member, `GlueContractResolver.${method}`).toBeDefined();
      // What the method sends itself and through the private helpers it calls.
      const sent = commandsSent(member!);
      expect(sent.length, `Glue calls of ${method}`).toBeGreaterThan(0);
      actions.push(...sent.map((command) => `glue:${command}`));
    }
    expect(sorted(SCHEMA_READ_ACTIONS)).toEqual(sorted(actions));
  });

  it('grantRedrive\'s DLQ actions plus SendMessage on the queue: exactly what `fanout dlq` and `fanout redrive` send', () => {
    const adapter = readFileSync(join(PROJECT_ROOT, 'ops/adapters/sqs-dead-letters.ts'), 'utf8');
    const sqsCommands = importedFrom(adapter, '@aws-sdk/client-sqs');
    const actions = commandsSent(adapter)
      .filter((command) => sqsCommands.has(command))
      .map(sqsAction);
    expect(actions).toContain('sqs:ChangeMessageVisibility');
    expect(sorted([...DLQ_OPERATOR_ACTIONS, 'sqs:SendMessage'])).toEqual(sorted(actions));
  });
});
