#!/usr/bin/env node
// A loopback CloudWatch + Price List server that speaks the real wire
// protocol (AWS JSON 1.0 for CloudWatch, 1.1 for the Price List) and checks
// every request's SigV4 signature with the AWS SDK's own signer.
//
//   node server.mjs [--port 0] [--max-seconds 120] [--ignore-stdin]
//                   [--region us-east-1] [--credentials AKID:SECRET[:TOKEN]]...
//                   [--seed FILE]... [--pricing FILE]... [--fixtures DIR] [--gmd-page-size N]
//                   [--lm-page-size N] [--throttle N] [--data-now EPOCH] [--log]
//
// Binds 127.0.0.1 only, prints its port on stdout, and exits on SIGTERM, when
// its stdin closes (unless --ignore-stdin) or after --max-seconds.
//
// Verification (reference section 8.1): rebuild the request from the method,
// path, query, body and only the headers named in SignedHeaders, sign it again
// with @smithy/signature-v4 for the received X-Amz-Date, and compare
// Signature and SignedHeaders.  An unknown key id answers 403
// UnrecognizedClientException (x-amzn-query-error: InvalidClientTokenId;Sender),
// a wrong signature 403 InvalidSignatureException (SignatureDoesNotMatch;Sender);
// a key with a session token needs that token in a signed X-Amz-Security-Token.
//
// Operations: GraniteServiceVersion20100801.{PutMetricData,GetMetricData,
// ListMetrics} from an in-memory store, AWSPriceListService.GetProducts from
// the fixture files (tests/fixtures/cloudwatch/getproducts-*.json).
//
// Test switches, set at start (flags) or at any time by an unsigned
//   POST /__perwatt/control  {"throttle":2,"error500":1,"partial":1,
//     "gmdPageSize":3,"lmPageSize":1,"productsPageSize":1,
//     "malformed":{"mode":"truncate|garbage|html|badshape|cut","count":1},
//     "status":{"<query id>":"InternalError|Forbidden"},"expireTokens":true,
//     "accessDenied":["GetMetricData"],"dataNow":1767229260,"reset":true,"clear":true}
// dataNow (epoch s, null for the real clock) is the time the metric store
// believes it is - retention rules, RecentlyActive, PutMetricData's age limits -
// so that fixed-date golden requests can be answered; signatures always use
// the real clock.
// GET /__perwatt/state answers the switches, counters and the last requests
// (target, key id, SignedHeaders, status, error code): never a secret.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { DEFAULT_CREDENTIALS } from './testkeys.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
let FIXTURES = path.resolve(HERE, '../fixtures/cloudwatch');

// ---- command line ---------------------------------------------------------------

function parseArgs(argv) {
  const o = { port: 0, maxSeconds: 120, watchStdin: true, region: 'us-east-1', credentials: [],
    seed: [], pricing: [], dataNow: null, gmdPageSize: 0, lmPageSize: 500, productsPageSize: 100, throttle: 0, log: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--port': o.port = +v(); break;
      case '--max-seconds': o.maxSeconds = +v(); break;
      case '--ignore-stdin': o.watchStdin = false; break;
      case '--region': o.region = v(); break;
      case '--credentials': {
        const s = v(), i1 = s.indexOf(':');
        if (i1 < 1) throw new Error('--credentials AKID:SECRET[:TOKEN]');
        const rest = s.slice(i1 + 1), i2 = rest.indexOf(':');
        o.credentials.push({ akid: s.slice(0, i1), secret: i2 < 0 ? rest : rest.slice(0, i2),
          token: i2 < 0 ? null : rest.slice(i2 + 1) });
        break;
      }
      case '--seed': o.seed.push(v()); break;
      case '--pricing': o.pricing.push(v()); break;
      case '--fixtures': FIXTURES = path.resolve(v()); break;
      case '--gmd-page-size': o.gmdPageSize = +v(); break;
      case '--lm-page-size': o.lmPageSize = +v(); break;
      case '--throttle': o.throttle = +v(); break;
      case '--data-now': o.dataNow = +v(); break;
      case '--log': o.log = true; break;
      case '-h': case '--help':
        process.stdout.write('see the comment at the top of server.mjs\n');
        process.exit(0);
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!o.credentials.length) o.credentials = DEFAULT_CREDENTIALS.slice();
  if (!o.pricing.length)
    o.pricing = fs.readdirSync(FIXTURES).filter(f => /^getproducts-.*\.json$/.test(f)).sort()
      .map(f => path.join(FIXTURES, f));
  return o;
}

// ---- errors in the service's shapes ----------------------------------------------

class ApiError extends Error {
  // type: the Smithy shape ("com.amazon.coral.service#UnrecognizedClientException");
  // query: the awsQuery code for x-amzn-query-error ("InvalidClientTokenId")
  constructor(status, type, query, message, sender = 'Sender') {
    super(message);
    Object.assign(this, { status, type, query, sender });
  }
}
const CORAL = 'com.amazon.coral.service#';
const CW = 'com.amazonaws.cloudwatch#';
const invalid = (m) => new ApiError(400, CW + 'InvalidParameterValueException', 'InvalidParameterValue', m);
const missing = (m) => new ApiError(400, CW + 'MissingRequiredParameterException', 'MissingParameter', m);
const badSignature = (m) => new ApiError(403, CORAL + 'InvalidSignatureException', 'SignatureDoesNotMatch', m);
const unknownKey = () => new ApiError(403, CORAL + 'UnrecognizedClientException', 'InvalidClientTokenId',
  'The security token included in the request is invalid.');
const SIG_MISMATCH = 'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

// ---- SigV4 verification -----------------------------------------------------------

const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;
const DATE_RE = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/;

async function verify(req, body, opts, scope) {
  const auth = req.headers.authorization;
  if (!auth)
    throw new ApiError(403, CORAL + 'MissingAuthenticationTokenException', 'MissingAuthenticationToken',
      'Missing Authentication Token');
  const m = AUTH_RE.exec(auth);
  if (!m)
    throw new ApiError(403, CORAL + 'IncompleteSignatureException', 'IncompleteSignature',
      'Authorization header requires Credential, SignedHeaders and Signature.');
  const [, akid, day, region, service, signedHeaders, signature] = m;
  const signed = signedHeaders.split(';');
  const info = { akid, signedHeaders };
  const cred = opts.credentials.find(c => c.akid === akid);
  if (!cred) throw Object.assign(unknownKey(), { info });
  const amzDate = req.headers['x-amz-date'] || '';
  const d = DATE_RE.exec(amzDate);
  if (!d)
    throw Object.assign(new ApiError(403, CORAL + 'IncompleteSignatureException', 'IncompleteSignature',
      'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.'), { info });
  if (`${d[1]}${d[2]}${d[3]}` !== day)
    throw Object.assign(badSignature(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${d[1]}${d[2]}${d[3]}'`), { info });
  if (region !== scope.region)
    throw Object.assign(badSignature(`Credential should be scoped to a valid region, not '${region}'. `), { info });
  if (service !== scope.service)
    throw Object.assign(badSignature(`Credential should be scoped to correct service: '${scope.service}'. `), { info });
  const when = new Date(Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5], +d[6]));
  if (Math.abs(Date.now() - when.getTime()) > 15 * 60 * 1000)
    throw Object.assign(badSignature(`Signature expired: ${amzDate} is now earlier than the allowed window.`), { info });
  for (const h of ['host', 'x-amz-date'])
    if (!signed.includes(h))
      throw Object.assign(new ApiError(403, CORAL + 'IncompleteSignatureException', 'IncompleteSignature',
        `'${h}' must be a signed header.`), { info });

  const url = new URL(req.url, 'http://' + (req.headers.host || '127.0.0.1'));
  const headers = {}, query = {};
  for (const h of signed) {
    const v = req.headersDistinct[h];
    if (!v) throw Object.assign(badSignature(SIG_MISMATCH), { info });
    headers[h] = v.join(',');
  }
  for (const [k, v] of url.searchParams) query[k] = v;
  const signer = new SignatureV4({ credentials: { accessKeyId: akid, secretAccessKey: cred.secret },
    region, service, sha256: Sha256, applyChecksum: false, uriEscapePath: true });
  const out = await signer.sign({ method: req.method, protocol: 'http:', hostname: url.hostname,
    port: +url.port || undefined, path: url.pathname, query, headers, body },
    { signingDate: when, signableHeaders: new Set(signed) });
  const again = AUTH_RE.exec(out.headers.authorization);
  if (!again || again[6] !== signature || again[5] !== signedHeaders)
    throw Object.assign(badSignature(SIG_MISMATCH), { info });

  // Session tokens: a temporary key needs its own token, signed; a
  // long-term key takes none.
  const token = req.headers['x-amz-security-token'];
  if (token !== undefined && !signed.includes('x-amz-security-token'))
    throw Object.assign(new ApiError(403, CORAL + 'IncompleteSignatureException', 'IncompleteSignature',
      'X-Amz-Security-Token must be a signed header.'), { info });
  if ((cred.token || null) !== (token === undefined ? null : token))
    throw Object.assign(unknownKey(), { info });
  if (cred.token && state.expireTokens)
    throw Object.assign(new ApiError(403, CORAL + 'ExpiredTokenException', 'ExpiredToken',
      'The security token included in the request is expired'), { info });
  return info;
}

// ---- the metric store ----------------------------------------------------------------

const dataNow = () => (state.dataNow ?? Date.now() / 1000);

const store = new Map();     // key -> { ns, name, dims: [{Name, Value}], unit, highRes, lastPut, samples: [] }

function dimsKey(dims) {
  return (dims || []).map(d => `${d.Name}=${d.Value}`).sort().join('\u0001');
}
function metricKey(ns, name, dims) {
  return `${ns}\u0000${name}\u0000${dimsKey(dims)}`;
}

function epoch(v, what) {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v !== '' && Number.isFinite(+v)) return +v;
  throw invalid(`The value for parameter ${what} is not a timestamp in epoch seconds.`);
}

function putMetricData(input, { fromSeed = false } = {}) {
  const ns = input.Namespace;
  if (typeof ns !== 'string' || !ns) throw missing('The parameter Namespace is required.');
  if (!fromSeed && ns.startsWith('AWS/'))
    throw invalid(`The value ${ns} for parameter Namespace is invalid.`);
  const data = input.MetricData;
  if (!Array.isArray(data) || !data.length) throw missing('The parameter MetricData is required.');
  if (data.length > 1000)
    throw invalid('The collection MetricData must not have a size greater than 1000.');
  const now = dataNow(), staged = [];
  data.forEach((md, i) => {
    const where = `MetricData.member.${i + 1}`;
    if (typeof md.MetricName !== 'string' || !md.MetricName)
      throw missing(`The parameter ${where}.MetricName is required.`);
    const dims = md.Dimensions || [];
    if (!Array.isArray(dims) || dims.length > 30)
      throw invalid(`The collection ${where}.Dimensions must not have a size greater than 30.`);
    for (const d of dims)
      if (typeof d.Name !== 'string' || typeof d.Value !== 'string' || !d.Name || !d.Value)
        throw invalid(`The parameter ${where}.Dimensions needs a Name and a Value.`);
    const t = md.Timestamp === undefined ? now : epoch(md.Timestamp, `${where}.Timestamp`);
    if (!fromSeed && (t < now - 14 * 86400 || t > now + 2 * 3600))
      throw invalid(`The parameter ${where}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.`);
    const samples = [];
    if (md.StatisticValues) {
      const s = md.StatisticValues;
      for (const k of ['SampleCount', 'Sum', 'Minimum', 'Maximum'])
        if (typeof s[k] !== 'number' || !Number.isFinite(s[k]))
          throw missing(`The parameter ${where}.StatisticValues.${k} is required.`);
      samples.push({ t, sum: s.Sum, count: s.SampleCount, min: s.Minimum, max: s.Maximum, values: null });
    } else if (Array.isArray(md.Values)) {
      const counts = md.Counts || md.Values.map(() => 1);
      if (counts.length !== md.Values.length || md.Values.length > 150)
        throw invalid(`The parameters ${where}.Values and ${where}.Counts must be arrays of the same length (at most 150).`);
      md.Values.forEach((v, k) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`The value ${v} for parameter ${where}.Values is invalid.`);
        samples.push({ t, sum: v * counts[k], count: counts[k], min: v, max: v, values: [[v, counts[k]]] });
      });
    } else {
      const v = md.Value;
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw invalid(`The value ${v} for parameter ${where}.Value is invalid.`);
      samples.push({ t, sum: v, count: 1, min: v, max: v, values: [[v, 1]] });
    }
    if (md.StorageResolution !== undefined && md.StorageResolution !== 1 && md.StorageResolution !== 60)
      throw invalid(`The value ${md.StorageResolution} for parameter ${where}.StorageResolution is invalid.`);
    staged.push({ ns, name: md.MetricName, dims, unit: md.Unit || 'None', highRes: md.StorageResolution === 1, samples });
  });
  // all or nothing, as the service
  for (const s of staged) {
    const key = metricKey(s.ns, s.name, s.dims);
    let m = store.get(key);
    if (!m) store.set(key, m = { ns: s.ns, name: s.name, dims: s.dims.map(d => ({ Name: d.Name, Value: d.Value })),
      unit: s.unit, highRes: false, lastPut: 0, samples: [] });
    m.highRes ||= s.highRes;
    m.unit = s.unit;
    m.lastPut = now;
    m.samples.push(...s.samples);
  }
  return {};
}

// ---- GetMetricData ------------------------------------------------------------------------

const ID_RE = /^[a-z][a-zA-Z0-9_]*$/;

function statistic(stat, bucket) {
  const sum = bucket.reduce((a, s) => a + s.sum, 0), count = bucket.reduce((a, s) => a + s.count, 0);
  switch (stat) {
    case 'Average': return sum / count;
    case 'Sum': return sum;
    case 'SampleCount': return count;
    case 'Minimum': return Math.min(...bucket.map(s => s.min));
    case 'Maximum': return Math.max(...bucket.map(s => s.max));
  }
  const p = /^p(\d{1,2}(\.\d+)?|100)$/.exec(stat);
  if (p) {
    const vals = [];
    for (const s of bucket) for (const [v, c] of (s.values || [[s.sum / s.count, s.count]])) vals.push([v, c]);
    vals.sort((a, b) => a[0] - b[0]);
    const total = vals.reduce((a, x) => a + x[1], 0), rank = Math.max(1, Math.ceil(+p[1] / 100 * total));
    let acc = 0;
    for (const [v, c] of vals) if ((acc += c) >= rank) return v;
    return vals[vals.length - 1][0];
  }
  return undefined;
}

// CloudWatch answers a period it cannot serve with no data and no error.
function periodServes(period, highRes, start, now) {
  const age = now - start;
  if (period < 60 && (!highRes || ![1, 5, 10, 20, 30].includes(period) || age > 3 * 3600)) return false;
  if (period >= 60 && period % 60) return false;
  if (age > 15 * 86400 && period % 300) return false;
  if (age > 63 * 86400 && period % 3600) return false;
  return true;
}

function metricStatSeries(q, where, start, end) {
  const ms = q.MetricStat;
  const met = ms.Metric || {};
  if (typeof met.Namespace !== 'string' || typeof met.MetricName !== 'string')
    throw missing(`The parameter ${where}.MetricStat.Metric needs a Namespace and a MetricName.`);
  const period = ms.Period;
  if (!Number.isInteger(period) || period < 1)
    throw invalid(`The value ${period} for parameter ${where}.MetricStat.Period is not valid.`);
  if (typeof ms.Stat !== 'string' || statistic(ms.Stat, [{ sum: 1, count: 1, min: 1, max: 1, values: [[1, 1]] }]) === undefined)
    throw invalid(`The value ${ms.Stat} for parameter ${where}.MetricStat.Stat is not valid.`);
  const m = store.get(metricKey(met.Namespace, met.MetricName, met.Dimensions));
  const out = [];
  if (!m || (ms.Unit && ms.Unit !== m.unit) || !periodServes(period, m.highRes, start, dataNow()))
    return { period, points: out, label: met.MetricName };
  const buckets = new Map();
  for (const s of m.samples) {
    if (s.t < start || s.t >= end) continue;
    const b = Math.floor(s.t / period) * period;
    if (!buckets.has(b)) buckets.set(b, []);
    buckets.get(b).push(s);
  }
  for (const [t, bucket] of buckets) out.push([t, statistic(ms.Stat, bucket)]);
  return { period, points: out.sort((a, b) => a[0] - b[0]), label: met.MetricName };
}

// SEARCH('{Namespace,DimName,...} MetricName="name"', 'Stat', Period): every
// stored metric of that namespace whose dimension names are exactly those
// (CloudWatch's schema match) and whose name matches, one series each,
// labelled by its dimension values joined by spaces (CloudWatch's default
// label for a search result).  Other search terms are not served.
const SEARCH_RE = /^\s*SEARCH\(\s*'\{([^}]*)\}\s*MetricName="([^"]+)"\s*'\s*,\s*'([^']+)'\s*(?:,\s*(\d+)\s*)?\)\s*$/;
function searchSeries(text, q, where, start, end) {
  const m = SEARCH_RE.exec(text);
  if (!m) return null;
  const [ns, ...dimNames] = m[1].split(',').map(x => x.trim());
  const period = m[4] ? +m[4] : (q.Period || 300);
  const want = [...dimNames].sort().join(',');
  const out = [];
  for (const met of store.values()) {
    if (met.ns !== ns || met.name !== m[2]) continue;
    if (met.dims.map(d => d.Name).sort().join(',') !== want) continue;
    const r = metricStatSeries({ MetricStat: { Metric: { Namespace: ns, MetricName: met.name, Dimensions: met.dims },
      Stat: m[3], Period: period } }, where, start, end);
    out.push({ label: met.dims.map(d => d.Value).join(' '), points: r.points });
  }
  return out.sort((a, b) => (a.label < b.label ? -1 : 1));
}

// Metric math, enough for tests: numbers, ids, + - * /, parentheses, unary
// minus, SUM/AVG/MIN/MAX([a, b, ...]).  Series combine on common timestamps
// (SUM etc. over the timestamps any of them has).
function evalExpression(text, series, where) {
  const toks = text.match(/\s*([A-Za-z_][A-Za-z0-9_]*|\d+(\.\d+)?([eE][-+]?\d+)?|\S)/g)?.map(s => s.trim()) || [];
  let i = 0;
  const fail = (m) => { throw invalid(`Error in expression '${where}': ${m}`); };
  const peek = () => toks[i], next = () => toks[i++];
  const expect = (t) => { if (next() !== t) fail(`expected '${t}'`); };
  const combine = (a, b, f) => {
    if (typeof a === 'number' && typeof b === 'number') return f(a, b);
    if (typeof a === 'number') return b.map(([t, v]) => [t, f(a, v)]);
    if (typeof b === 'number') return a.map(([t, v]) => [t, f(v, b)]);
    const mb = new Map(b);
    return a.filter(([t]) => mb.has(t)).map(([t, v]) => [t, f(v, mb.get(t))]);
  };
  const agg = (name, list) => {
    const byT = new Map();
    for (const s of list) for (const [t, v] of (typeof s === 'number' ? [] : s)) {
      if (!byT.has(t)) byT.set(t, []);
      byT.get(t).push(v);
    }
    const f = { SUM: a => a.reduce((x, y) => x + y, 0), AVG: a => a.reduce((x, y) => x + y, 0) / a.length,
      MIN: a => Math.min(...a), MAX: a => Math.max(...a) }[name];
    return [...byT].sort((a, b) => a[0] - b[0]).map(([t, vs]) => [t, f(vs)]);
  };
  function factor() {
    const t = next();
    if (t === undefined) fail('unexpected end');
    if (t === '-') return combine(0, factor(), (a, b) => a - b);
    if (t === '(') { const v = expr(); expect(')'); return v; }
    if (/^\d/.test(t)) return +t;
    if (/^(SUM|AVG|MIN|MAX)$/.test(t) && peek() === '(') {
      next(); expect('[');
      const list = [expr()];
      while (peek() === ',') { next(); list.push(expr()); }
      expect(']'); expect(')');
      return agg(t, list);
    }
    if (/^[A-Za-z_]/.test(t)) {
      if (!series.has(t)) fail(`Unrecognized identifier ${t}`);
      return series.get(t);
    }
    return fail(`unexpected '${t}'`);
  }
  function term() {
    let v = factor();
    while (peek() === '*' || peek() === '/') {
      const op = next(), r = factor();
      v = combine(v, r, op === '*' ? (a, b) => a * b : (a, b) => a / b);
    }
    return v;
  }
  function expr() {
    let v = term();
    while (peek() === '+' || peek() === '-') {
      const op = next(), r = term();
      v = combine(v, r, op === '+' ? (a, b) => a + b : (a, b) => a - b);
    }
    return v;
  }
  const v = expr();
  if (i < toks.length) fail(`unexpected '${toks[i]}'`);
  return (typeof v === 'number' ? [] : v).filter(([, x]) => Number.isFinite(x));
}

function requestHash(input) {
  const copy = { ...input };
  delete copy.NextToken;
  return crypto.createHash('sha256').update(JSON.stringify(copy)).digest('hex').slice(0, 16);
}
function makeToken(offset, hash) {
  return Buffer.from(JSON.stringify({ o: offset, h: hash })).toString('base64');
}
function readToken(tok, hash) {
  if (tok === undefined || tok === null) return 0;
  try {
    const t = JSON.parse(Buffer.from(String(tok), 'base64').toString());
    if (t.h === hash && Number.isInteger(t.o) && t.o >= 0) return t.o;
  } catch { /* below */ }
  throw new ApiError(400, CW + 'InvalidNextToken', 'InvalidNextToken', 'The service couldn\'t process the NextToken.');
}

function getMetricData(input) {
  const qs = input.MetricDataQueries;
  if (!Array.isArray(qs) || !qs.length) throw missing('The parameter MetricDataQueries is required.');
  if (qs.length > 500)
    throw invalid('The collection MetricDataQueries must not have a size greater than 500.');
  if (input.StartTime === undefined) throw missing('The parameter StartTime is required.');
  if (input.EndTime === undefined) throw missing('The parameter EndTime is required.');
  const start = epoch(input.StartTime, 'StartTime'), end = epoch(input.EndTime, 'EndTime');
  if (!(start < end)) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
  const scan = input.ScanBy ?? 'TimestampDescending';
  if (!['TimestampDescending', 'TimestampAscending'].includes(scan))
    throw invalid(`The value ${scan} for parameter ScanBy is not valid.`);
  const maxDp = input.MaxDatapoints ?? 100800;
  if (!Number.isInteger(maxDp) || maxDp < 1) throw invalid(`The value ${maxDp} for parameter MaxDatapoints is not valid.`);
  const ids = new Set();
  qs.forEach((q, i) => {
    const where = `MetricDataQueries.member.${i + 1}`;
    if (typeof q.Id !== 'string' || !ID_RE.test(q.Id) || q.Id.length > 255)
      throw invalid(`The value ${q.Id} for parameter ${where}.Id is not valid. The Id must start with a lowercase letter and contain only letters, numbers and underscores.`);
    if (ids.has(q.Id)) throw invalid(`The value ${q.Id} for parameter ${where}.Id is not unique.`);
    ids.add(q.Id);
    if (!q.MetricStat === !q.Expression)
      throw new ApiError(400, CW + 'InvalidParameterCombinationException', 'InvalidParameterCombination',
        `Exactly one element of ${where}.MetricStat or ${where}.Expression must be specified.`);
  });
  // MetricStat first, then expressions in order (they may use each other)
  const series = new Map(), labels = new Map();
  qs.forEach((q, i) => {
    if (!q.MetricStat) return;
    const r = metricStatSeries(q, `MetricDataQueries.member.${i + 1}`, start, end);
    series.set(q.Id, r.points);
    labels.set(q.Id, q.Label ?? r.label);
  });
  const searched = new Map();     // id -> [{label, points}] of a SEARCH
  qs.forEach((q) => {
    if (!q.Expression) return;
    const found = searchSeries(String(q.Expression), q, q.Id, start, end);
    if (found) {
      searched.set(q.Id, found);
      series.set(q.Id, []);
    } else {
      series.set(q.Id, evalExpression(String(q.Expression), series, q.Id));
    }
    labels.set(q.Id, q.Label ?? q.Id);
  });
  const shown = qs.filter(q => q.ReturnData !== false);
  // a SEARCH answers one result per series found, all with its Id
  const full = shown.flatMap(q => (searched.get(q.Id) || [{ label: null, points: series.get(q.Id) }]).map(r => {
    const pts = r.points.slice();
    if (scan === 'TimestampDescending') pts.reverse();
    return { q, pts, label: r.label ?? labels.get(q.Id) };
  }));
  const total = full.reduce((a, r) => a + r.pts.length, 0), hash = requestHash(input);
  let offset = readToken(input.NextToken, hash);
  if (offset > total) offset = total;
  let page = Math.min(maxDp, state.gmdPageSize > 0 ? state.gmdPageSize : Infinity);
  if (state.partial > 0) {
    state.partial--;
    page = Math.min(page, Math.max(1, Math.ceil((total - offset) / 2)));
  }
  const stop = Math.min(total, offset + page);
  let base = 0;
  const results = full.map(({ q, pts, label }) => {
    const from = Math.max(0, offset - base), to = Math.max(0, Math.min(pts.length, stop - base));
    base += pts.length;
    const slice = pts.slice(from, Math.max(from, to));
    const forced = state.status[q.Id];
    if (forced)
      return { Id: q.Id, Label: label, StatusCode: forced, Timestamps: [], Values: [],
        Messages: [{ Code: forced, Value: forced === 'Forbidden'
          ? 'Authentication too complex to retrieve cross region data' : 'An internal error occurred' }] };
    return { Id: q.Id, Label: label, StatusCode: to < pts.length ? 'PartialData' : 'Complete',
      Timestamps: slice.map(p => p[0]), Values: slice.map(p => p[1]), Messages: [] };
  });
  const out = { MetricDataResults: results, Messages: [] };
  if (stop < total) out.NextToken = makeToken(stop, hash);
  return out;
}

// ---- ListMetrics ------------------------------------------------------------------------------

function listMetrics(input) {
  if (input.RecentlyActive !== undefined && input.RecentlyActive !== 'PT3H')
    throw invalid(`The value ${input.RecentlyActive} for parameter RecentlyActive is not valid.`);
  const filters = input.Dimensions || [];
  if (!Array.isArray(filters) || filters.length > 10)
    throw invalid('The collection Dimensions must not have a size greater than 10.');
  for (const f of filters)
    if (typeof f.Name !== 'string' || !f.Name) throw missing('The parameter Dimensions.member.N.Name is required.');
  const now = dataNow();
  const all = [...store.values()].filter(m =>
    (input.Namespace === undefined || m.ns === input.Namespace) &&
    (input.MetricName === undefined || m.name === input.MetricName) &&
    filters.every(f => m.dims.some(d => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value))) &&
    (input.RecentlyActive === undefined || m.lastPut >= now - 3 * 3600))
    .sort((a, b) => metricKey(a.ns, a.name, a.dims) < metricKey(b.ns, b.name, b.dims) ? -1 : 1);
  const hash = requestHash(input);
  const offset = readToken(input.NextToken, hash);
  const size = Math.min(500, state.lmPageSize > 0 ? state.lmPageSize : 500);
  const page = all.slice(offset, offset + size);
  const out = { Metrics: page.map(m => ({ Namespace: m.ns, MetricName: m.name, Dimensions: m.dims })) };
  if (offset + size < all.length) out.NextToken = makeToken(offset + size, hash);
  return out;
}

// ---- GetProducts ---------------------------------------------------------------------------------

let catalog = [];   // product documents (objects) from the fixtures' PriceList strings

function loadCatalog(files) {
  const seen = new Set();
  for (const f of files)
    for (const s of JSON.parse(fs.readFileSync(f, 'utf8')).PriceList || []) {
      const doc = JSON.parse(s);
      const sku = doc.product?.sku;
      if (sku && seen.has(sku)) continue;
      seen.add(sku);
      catalog.push(doc);
    }
}

const PRICING = 'com.amazonaws.awspricelistservice#';
function getProducts(input) {
  const perr = (m) => new ApiError(400, PRICING + 'InvalidParameterException', null, m);
  if (typeof input.ServiceCode !== 'string' || !input.ServiceCode) throw perr('ServiceCode is required');
  if (input.FormatVersion !== undefined && input.FormatVersion !== 'aws_v1')
    throw perr(`Invalid FormatVersion: ${input.FormatVersion}`);
  const max = input.MaxResults ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 100) throw perr('MaxResults must be between 1 and 100');
  const filters = input.Filters || [];
  const attr = (doc, field) => {
    const a = doc.product?.attributes || {};
    const k = Object.keys(a).find(x => x.toLowerCase() === String(field).toLowerCase());
    return k === undefined ? undefined : a[k];
  };
  for (const f of filters)
    if (!['TERM_MATCH', 'EQUALS', 'CONTAINS', 'ANY_OF', 'NONE_OF'].includes(f.Type) || typeof f.Field !== 'string' ||
        typeof f.Value !== 'string')
      throw perr('Each filter needs a Type, a Field and a Value');
  const match = (doc) => doc.serviceCode === input.ServiceCode && filters.every(f => {
    const v = attr(doc, f.Field);
    switch (f.Type) {
      case 'TERM_MATCH': case 'EQUALS': return v === f.Value;
      case 'CONTAINS': return v !== undefined && v.includes(f.Value);
      case 'ANY_OF': return f.Value.split(',').includes(v);
      case 'NONE_OF': return !f.Value.split(',').includes(v);
    }
    return false;
  });
  const all = catalog.filter(match);
  const hash = requestHash(input);
  let offset;
  try { offset = readToken(input.NextToken, hash); } catch { throw perr('Invalid NextToken'); }
  const size = Math.min(max, state.productsPageSize > 0 ? state.productsPageSize : max);
  const out = { FormatVersion: 'aws_v1', PriceList: all.slice(offset, offset + size).map(d => JSON.stringify(d)) };
  if (offset + size < all.length) out.NextToken = makeToken(offset + size, hash);
  return out;
}

// ---- dispatch --------------------------------------------------------------------------------------

const OPS = {
  'GraniteServiceVersion20100801.PutMetricData': { fn: (i) => putMetricData(i), json: '1.0', service: 'monitoring', query: true },
  'GraniteServiceVersion20100801.GetMetricData': { fn: getMetricData, json: '1.0', service: 'monitoring', query: true },
  'GraniteServiceVersion20100801.ListMetrics': { fn: listMetrics, json: '1.0', service: 'monitoring', query: true },
  'AWSPriceListService.GetProducts': { fn: getProducts, json: '1.1', service: 'pricing', query: false },
};

const INITIAL = () => ({ throttle: 0, error500: 0, partial: 0, gmdPageSize: 0, lmPageSize: 500, productsPageSize: 100,
  malformed: null, status: {}, expireTokens: false, accessDenied: [], dataNow: null });
let state = INITIAL();
const counters = { requests: 0, ok: 0, rejected: 0, errors: 0 };
const recent = [];

function control(body) {
  const c = body ? JSON.parse(body) : {};
  if (c.reset) state = INITIAL();
  if (c.clear) store.clear();
  for (const k of ['throttle', 'error500', 'partial', 'gmdPageSize', 'lmPageSize', 'productsPageSize'])
    if (c[k] !== undefined) state[k] = +c[k];
  if (c.malformed !== undefined)
    state.malformed = c.malformed && { mode: c.malformed.mode || 'truncate', count: c.malformed.count ?? 1 };
  if (c.status !== undefined) state.status = c.status || {};
  if (c.expireTokens !== undefined) state.expireTokens = !!c.expireTokens;
  if (c.accessDenied !== undefined) state.accessDenied = c.accessDenied || [];
  if (c.dataNow !== undefined) state.dataNow = c.dataNow === null ? null : +c.dataNow;
  return { state };
}

function send(res, status, headers, body, cut = false) {
  const buf = Buffer.from(body);
  res.writeHead(status, { 'Content-Length': buf.length, 'x-amzn-RequestId': crypto.randomUUID(), ...headers });
  if (cut) {     // promise the whole body, send half, hang up
    res.write(buf.subarray(0, Math.floor(buf.length / 2)), () => res.destroy());
    return;
  }
  res.end(buf);
}

function sendError(res, e, op) {
  const json = op ? op.json : '1.0';
  const headers = { 'Content-Type': `application/x-amz-json-${json}`, 'x-amzn-ErrorType': e.type.split('#')[1] };
  if (e.query && (!op || op.query)) headers['x-amzn-query-error'] = `${e.query};${e.sender}`;
  send(res, e.status, headers, JSON.stringify({ __type: e.type, message: e.message }));
}

function corrupt(text) {
  const m = state.malformed;
  if (!m || m.count <= 0) return null;
  m.count--;
  switch (m.mode) {
    case 'garbage': return { body: 'not json at all \u0000\u00ff' };
    case 'html': return { body: '<html><body><h1>200 OK</h1>proxy page</body></html>' };
    case 'badshape': return { body: '{"MetricDataResults":{"oops":1},"Metrics":7,"PriceList":[{"not":"a string"}]}' };
    case 'cut': return { body: text, cut: true };
    default: return { body: text.slice(0, Math.floor(text.length / 2)) };
  }
}

async function handle(req, res, body, opts) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/__perwatt/control' && req.method === 'POST')
    return send(res, 200, { 'Content-Type': 'application/json' }, JSON.stringify(control(body.toString())));
  if (url.pathname === '/__perwatt/state')
    return send(res, 200, { 'Content-Type': 'application/json' },
      JSON.stringify({ state, counters, metrics: store.size, recent }));

  counters.requests++;
  const target = req.headers['x-amz-target'] || '';
  const op = OPS[target];
  const entry = { target, akid: null, signedHeaders: null, status: 0, code: null };
  recent.push(entry);
  if (recent.length > 50) recent.shift();
  try {
    if (req.method !== 'POST' || url.pathname !== '/')
      throw new ApiError(404, CORAL + 'UnknownOperationException', null, 'Only POST / is served');
    const scope = { region: op && op.service === 'pricing' ? 'us-east-1' : opts.region,
      service: op ? op.service : 'monitoring' };
    const info = await verify(req, body, opts, scope);
    Object.assign(entry, info);
    if (!op) throw new ApiError(400, CORAL + 'UnknownOperationException', null, `Unknown operation ${target}`);
    const ctype = (req.headers['content-type'] || '').split(';')[0].trim();
    if (ctype !== `application/x-amz-json-${op.json}`)
      throw new ApiError(400, CORAL + 'SerializationException', null,
        `Content-Type must be application/x-amz-json-${op.json}, not '${ctype}'`);
    const opName = target.split('.')[1];
    if (state.throttle > 0) {
      state.throttle--;
      throw new ApiError(400, 'com.amazon.coral.availability#ThrottlingException', 'Throttling', 'Rate exceeded');
    }
    if (state.error500 > 0) {
      state.error500--;
      throw new ApiError(500, CW + 'InternalServiceFault', 'InternalServiceError', 'Internal service error', 'Receiver');
    }
    if (state.accessDenied.includes(opName))
      throw new ApiError(400, CORAL + 'AccessDeniedException', 'AccessDenied',
        `User: arn:aws:iam::123456789012:user/test is not authorized to perform: ` +
        `${op.service === 'pricing' ? 'pricing' : 'cloudwatch'}:${opName} because no identity-based policy allows the action`);
    let raw = body;
    if ((req.headers['content-encoding'] || '').includes('gzip')) raw = zlib.gunzipSync(body);
    let input;
    try {
      input = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      throw new ApiError(400, CORAL + 'SerializationException', null, 'Start of structure or map found where not expected.');
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      throw new ApiError(400, CORAL + 'SerializationException', null, 'The body must be a JSON object.');
    const text = JSON.stringify(op.fn(input));
    const bad = corrupt(text);
    entry.status = 200;
    counters.ok++;
    send(res, 200, { 'Content-Type': `application/x-amz-json-${op.json}` }, bad ? bad.body : text, bad?.cut);
  } catch (e) {
    if (!(e instanceof ApiError)) {
      counters.errors++;
      if (opts.log) process.stderr.write(`server error: ${e.stack}\n`);
      e = new ApiError(500, CW + 'InternalServiceFault', 'InternalServiceError', 'Internal service error', 'Receiver');
    }
    if (e.info) Object.assign(entry, e.info);
    entry.status = e.status;
    entry.code = e.query || e.type.split('#')[1];
    if (e.status === 403) counters.rejected++;
    sendError(res, e, op);
  }
  if (opts.log)
    process.stderr.write(`${entry.status} ${target || '-'} ${entry.akid || '-'} ${entry.signedHeaders || '-'} ${entry.code || ''}\n`);
}

// ---- main ---------------------------------------------------------------------------------------------

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
    for (const f of opts.seed)
      for (const put of [].concat(JSON.parse(fs.readFileSync(f, 'utf8'))))
        putMetricData(put, { fromSeed: true });
    loadCatalog(opts.pricing);
  } catch (e) {
    process.stderr.write(`server.mjs: ${e.message}\n`);
    process.exit(2);
  }
  state.gmdPageSize = opts.gmdPageSize;
  state.lmPageSize = opts.lmPageSize;
  state.productsPageSize = opts.productsPageSize;
  state.throttle = opts.throttle;
  state.dataNow = opts.dataNow;

  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 4 * 1024 * 1024) {
        send(res, 413, { 'Content-Type': 'application/x-amz-json-1.0' },
          JSON.stringify({ __type: CORAL + 'RequestEntityTooLarge', message: 'Request body too large' }));
        req.destroy();
      } else {
        chunks.push(c);
      }
    });
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks), opts).catch((e) => {
        process.stderr.write(`server.mjs: ${e.stack}\n`);
        if (!res.headersSent) send(res, 500, {}, '{}');
      });
    });
  });
  const bye = () => process.exit(0);
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
  if (opts.maxSeconds > 0)
    setTimeout(() => {
      process.stderr.write('server.mjs: --max-seconds reached, exiting\n');
      process.exit(0);
    }, opts.maxSeconds * 1000).unref();
  if (opts.watchStdin) {
    process.stdin.on('data', () => {});
    process.stdin.on('end', bye);
    process.stdin.on('error', bye);
    process.stdin.resume();
  }
  server.listen(opts.port, '127.0.0.1', () => {
    process.stdout.write(`${server.address().port}\n`);
  });
}

main();
