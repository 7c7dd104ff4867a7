#!/usr/bin/env node
// Proves that server.mjs speaks the real protocol: the official AWS SDK for
// JavaScript v3 (@aws-sdk/client-cloudwatch, @aws-sdk/client-pricing), pointed
// at it with `endpoint` and static credentials with a session token, puts
// datapoints and reads them back (GetMetricData, its paginator, ListMetrics),
// gets a price, and sees the server's errors the way it sees the service's:
// a wrong secret, an unknown key, a missing or expired token, throttling
// (retried by the SDK's own retry strategy), access denied, truncated JSON.
//
//   node sdk-roundtrip.mjs PORT
//
// Prints "ok - ..." / "FAIL - ..." per check; exits 1 when any failed.
import assert from 'node:assert/strict';
import {
  CloudWatchClient, PutMetricDataCommand, GetMetricDataCommand, ListMetricsCommand,
  paginateGetMetricData, paginateListMetrics,
} from '@aws-sdk/client-cloudwatch';
import { PricingClient, GetProductsCommand } from '@aws-sdk/client-pricing';
import { DEFAULT_CREDENTIALS } from './testkeys.mjs';

const PORT = +(process.argv[2] || process.env.PORT);
if (!PORT) {
  process.stderr.write('usage: node sdk-roundtrip.mjs PORT\n');
  process.exit(2);
}
const endpoint = `http://127.0.0.1:${PORT}`;
const [LONG, TEMP] = DEFAULT_CREDENTIALS;
const creds = (c, over = {}) => ({ accessKeyId: c.akid, secretAccessKey: c.secret,
  ...(c.token ? { sessionToken: c.token } : {}), ...over });
const cw = (c, extra = {}) => new CloudWatchClient({ region: 'us-east-1', endpoint, credentials: c, maxAttempts: 1, ...extra });

async function control(body) {
  const r = await fetch(`${endpoint}/__perwatt/control`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(r.status, 200);
}
async function serverState() {
  return (await fetch(`${endpoint}/__perwatt/state`)).json();
}

let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    process.stdout.write(`ok - sdk: ${name}\n`);
  } catch (e) {
    failed++;
    process.stdout.write(`FAIL - sdk: ${name}: ${e && e.message ? e.message.split('\n')[0] : e}\n`);
  }
}
async function rejects(p, name, status) {
  try {
    await p;
  } catch (e) {
    assert.equal(e.name, name, `error name ${e.name} (${e.message})`);
    if (status) assert.equal(e.$metadata?.httpStatusCode, status);
    return e;
  }
  throw new Error(`expected ${name}, the call succeeded`);
}

const client = cw(creds(TEMP));               // temporary credentials with a session token
const NS = 'Perwatt/RoundTrip';
const dims = [{ Name: 'InstanceId', Value: 'i-0123456789abcdef0' }];
const t0 = Math.floor(Date.now() / 1000 / 60) * 60 - 600;   // 10 minutes ago, a whole minute
const D = (s) => new Date(s * 1000);

await check('PutMetricData (JSON 1.0, session token) accepted', async () => {
  const r = await client.send(new PutMetricDataCommand({ Namespace: NS, MetricData: [
    { MetricName: 'Inferences', Dimensions: dims, Timestamp: D(t0), Value: 1200, Unit: 'Count' },
    { MetricName: 'Inferences', Dimensions: dims, Timestamp: D(t0 + 20), Value: 1800, Unit: 'Count' },
    { MetricName: 'Inferences', Dimensions: dims, Timestamp: D(t0 + 60), Value: 2400, Unit: 'Count' },
    { MetricName: 'Inferences', Dimensions: dims, Timestamp: D(t0 + 180), Value: 600, Unit: 'Count' },
    { MetricName: 'PowerDraw', Dimensions: dims, Timestamp: D(t0), Values: [100, 300], Counts: [1, 1], Unit: 'None' },
    { MetricName: 'PowerDraw', Dimensions: dims, Timestamp: D(t0 + 60), StatisticValues:
      { SampleCount: 4, Sum: 1000, Minimum: 200, Maximum: 300 }, Unit: 'None' },
  ] }));
  assert.equal(r.$metadata.httpStatusCode, 200);
  const st = await serverState();
  const last = st.recent[st.recent.length - 1];
  assert.equal(last.target, 'GraniteServiceVersion20100801.PutMetricData');
  assert.ok(last.signedHeaders.split(';').includes('x-amz-security-token'), last.signedHeaders);
});

const query = (extra = {}) => ({
  MetricDataQueries: [
    { Id: 'thr', MetricStat: { Metric: { Namespace: NS, MetricName: 'Inferences', Dimensions: dims }, Period: 60, Stat: 'Sum' } },
    { Id: 'pwr', MetricStat: { Metric: { Namespace: NS, MetricName: 'PowerDraw', Dimensions: dims }, Period: 60, Stat: 'Average' } },
    { Id: 'rate', Expression: 'thr / 60', Label: 'inferences per second' },
    { Id: 'hidden', MetricStat: { Metric: { Namespace: NS, MetricName: 'PowerDraw', Dimensions: dims }, Period: 60, Stat: 'Maximum' }, ReturnData: false },
  ],
  StartTime: D(t0), EndTime: D(t0 + 600), ScanBy: 'TimestampAscending', ...extra,
});
const secs = (ts) => ts.map(d => d.getTime() / 1000);

await check('GetMetricData reads the datapoints back (Sum, Average, math, ReturnData false)', async () => {
  const r = await client.send(new GetMetricDataCommand(query()));
  assert.deepEqual(r.MetricDataResults.map(x => x.Id), ['thr', 'pwr', 'rate']);
  const [thr, pwr, rate] = r.MetricDataResults;
  assert.equal(thr.StatusCode, 'Complete');
  assert.deepEqual(secs(thr.Timestamps), [t0, t0 + 60, t0 + 180]);
  assert.deepEqual(thr.Values, [3000, 2400, 600]);
  assert.deepEqual(secs(pwr.Timestamps), [t0, t0 + 60]);
  assert.deepEqual(pwr.Values, [200, 250]);
  assert.equal(rate.Label, 'inferences per second');
  assert.deepEqual(rate.Values, [50, 40, 10]);
  assert.equal(r.NextToken, undefined);
});

await check('GetMetricData descending, Unit mismatch answers no data', async () => {
  const q = query({ ScanBy: 'TimestampDescending' });
  q.MetricDataQueries[0].MetricStat.Unit = 'Seconds';
  const r = await client.send(new GetMetricDataCommand(q));
  assert.deepEqual(r.MetricDataResults[0].Values, []);
  assert.deepEqual(secs(r.MetricDataResults[1].Timestamps), [t0 + 60, t0]);
});

await check('GetMetricData pages: PartialData + NextToken through the SDK paginator', async () => {
  await control({ gmdPageSize: 2 });
  const seen = new Map(), statuses = [];
  let pages = 0;
  for await (const page of paginateGetMetricData({ client }, query())) {
    pages++;
    for (const r of page.MetricDataResults) {
      statuses.push(r.StatusCode);
      seen.set(r.Id, (seen.get(r.Id) || []).concat(r.Values));
    }
  }
  await control({ gmdPageSize: 0 });
  assert.equal(pages, 4);   // 3 + 2 + 3 datapoints, 2 a page
  assert.ok(statuses.includes('PartialData'));
  assert.deepEqual(seen.get('thr'), [3000, 2400, 600]);
  assert.deepEqual(seen.get('rate'), [50, 40, 10]);
});

await check('ListMetrics (RecentlyActive PT3H, dimension filter, paginator)', async () => {
  const r = await client.send(new ListMetricsCommand({ Namespace: NS, Dimensions: [{ Name: 'InstanceId' }], RecentlyActive: 'PT3H' }));
  assert.deepEqual(r.Metrics.map(m => m.MetricName).sort(), ['Inferences', 'PowerDraw']);
  assert.deepEqual(r.Metrics[0].Dimensions, dims);
  await control({ lmPageSize: 1 });
  const names = [];
  for await (const page of paginateListMetrics({ client }, { Namespace: NS })) names.push(...page.Metrics.map(m => m.MetricName));
  await control({ lmPageSize: 500 });
  assert.deepEqual(names.sort(), ['Inferences', 'PowerDraw']);
});

await check('long-term key without a token accepted', async () => {
  const r = await cw(creds(LONG)).send(new ListMetricsCommand({ Namespace: NS }));
  assert.equal(r.Metrics.length, 2);
});

await check('wrong secret rejected: 403 SignatureDoesNotMatch (x-amzn-query-error)', async () => {
  const e = await rejects(cw(creds(TEMP, { secretAccessKey: TEMP.secret + 'x' }))
    .send(new ListMetricsCommand({ Namespace: NS })), 'SignatureDoesNotMatch', 403);
  assert.equal(e.Type, 'Sender');
});

await check('unknown key rejected: 403 InvalidClientTokenId', async () => {
  await rejects(cw({ accessKeyId: 'AKIANOTAKEYEXAMPLE00', secretAccessKey: 'x' })
    .send(new ListMetricsCommand({})), 'InvalidClientTokenId', 403);
});

await check('temporary key without its session token rejected', async () => {
  await rejects(cw(creds(TEMP, { sessionToken: undefined }))
    .send(new ListMetricsCommand({})), 'InvalidClientTokenId', 403);
});

await check('wrong session token rejected', async () => {
  await rejects(cw(creds(TEMP, { sessionToken: TEMP.token + 'x' }))
    .send(new ListMetricsCommand({})), 'InvalidClientTokenId', 403);
});

await check('expired session token: ExpiredToken', async () => {
  await control({ expireTokens: true });
  try {
    await rejects(client.send(new ListMetricsCommand({})), 'ExpiredToken', 403);
  } finally {
    await control({ expireTokens: false });
  }
});

await check('throttled: the SDK sees Throttling, and its retry strategy retries it', async () => {
  await control({ throttle: 1 });
  await rejects(client.send(new ListMetricsCommand({})), 'Throttling', 400);
  await control({ throttle: 2 });
  const r = await cw(creds(TEMP), { maxAttempts: 3 }).send(new ListMetricsCommand({ Namespace: NS }));
  assert.equal(r.$metadata.attempts, 3);
  assert.equal(r.Metrics.length, 2);
});

await check('access denied: AccessDenied', async () => {
  await control({ accessDenied: ['GetMetricData'] });
  try {
    await rejects(client.send(new GetMetricDataCommand(query())), 'AccessDenied', 400);
  } finally {
    await control({ accessDenied: [] });
  }
});

await check('bad request: the modeled InvalidParameterValueException for a bad query id', async () => {
  const q = query();
  q.MetricDataQueries[0].Id = 'Thr';
  const e = await rejects(client.send(new GetMetricDataCommand(q)), 'InvalidParameterValueException', 400);
  assert.match(e.message, /MetricDataQueries\.member\.1\.Id/);
});

await check('forced StatusCode per id (Forbidden)', async () => {
  await control({ status: { pwr: 'Forbidden' } });
  const r = await client.send(new GetMetricDataCommand(query()));
  await control({ status: {} });
  assert.equal(r.MetricDataResults[1].StatusCode, 'Forbidden');
  assert.equal(r.MetricDataResults[1].Messages[0].Code, 'Forbidden');
});

await check('truncated JSON answer makes the SDK fail, not hang', async () => {
  await control({ malformed: { mode: 'truncate', count: 1 } });
  let threw = false;
  try {
    await client.send(new GetMetricDataCommand(query()));
  } catch {
    threw = true;
  }
  assert.ok(threw);
  const r = await client.send(new GetMetricDataCommand(query()));   // and the next one is fine
  assert.equal(r.MetricDataResults.length, 3);
});

await check('Pricing GetProducts (JSON 1.1, service pricing): one used on-demand Linux price', async () => {
  const pricing = new PricingClient({ region: 'us-east-1', endpoint, credentials: creds(TEMP), maxAttempts: 1 });
  const f = (Field, Value) => ({ Type: 'TERM_MATCH', Field, Value });
  const r = await pricing.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', FormatVersion: 'aws_v1', MaxResults: 100,
    Filters: [f('instanceType', 'inf2.xlarge'), f('regionCode', 'us-east-1'), f('operatingSystem', 'Linux'),
      f('tenancy', 'Shared'), f('preInstalledSw', 'NA'), f('capacitystatus', 'Used')] }));
  assert.equal(r.PriceList.length, 1);
  const doc = JSON.parse(r.PriceList[0]);     // PriceList holds JSON texts
  const term = Object.values(doc.terms.OnDemand)[0];
  const dim = Object.values(term.priceDimensions)[0];
  assert.equal(dim.unit, 'Hrs');
  assert.equal(+dim.pricePerUnit.USD, 0.7582);
  const st = await serverState();
  assert.equal(st.recent[st.recent.length - 1].target, 'AWSPriceListService.GetProducts');
});

await check('Pricing with a wrong secret rejected', async () => {
  const pricing = new PricingClient({ region: 'us-east-1', endpoint, credentials: creds(LONG, { secretAccessKey: 'nope' }), maxAttempts: 1 });
  let e;
  try {
    await pricing.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2' }));
  } catch (x) {
    e = x;
  }
  assert.ok(e, 'the call succeeded');
  assert.equal(e.$metadata.httpStatusCode, 403);
  assert.equal(e.name, 'InvalidSignatureException');
});

await check('every rejected request was refused by the verifier, none crashed the server', async () => {
  const st = await serverState();
  assert.equal(st.counters.errors, 0);
  assert.ok(st.counters.rejected >= 6, `rejected ${st.counters.rejected}`);
});

process.exit(failed ? 1 : 0);
