// node-postgres (`pg`, tests/clients/package.json) against the gateway: parameterized
// queries (Parse/Bind/Describe portal/Execute), named prepared statements, text results
// parsed by type OID, rowMode 'array', error codes, startup statement_timeout.
//
// Run by tests/clients.rs (DLIGW_HOST/PORT/USER/PASSWORD); see tests/clients/README.md.
// Result lines: PASS / FAIL / XFAIL / XPASS (an xfail that passes: remove it from XFAIL).
'use strict';
process.env.TZ = 'UTC'; // pg parses date/timestamp into local-time Dates
const assert = require('node:assert/strict');
const { Client } = require('pg');

const DB = 'c_node_pg';

// Checks that fail because the gateway lacks a feature (issue 3). Remove an entry when the
// feature lands: an entry whose check passes is reported as XPASS and fails the run.
const XFAIL = {};

const cfg = {
  host: process.env.DLIGW_HOST || '127.0.0.1',
  port: Number(process.env.DLIGW_PORT || 15432),
  user: process.env.DLIGW_USER || 'dli',
  password: process.env.DLIGW_PASSWORD || 'dli',
  database: 'dli',
};

// The data set, computed here (same shape as clientlib.py, fewer columns).
const N = 30;
function row(k) {
  return {
    a: k,
    b: `row ${k} é✓`,
    c: (k * 1.25).toFixed(2), // numeric comes back as a string
    d: new Date(Date.UTC(2024, 0, 1 + k)),
    f: k / 8,
    g: k % 3 === 0,
    h: String(BigInt(k) * 10000000000n), // int8 comes back as a string
    i: Buffer.from([k, 0, 255 - k]),
  };
}
const lit = (v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const HOSTILE = ["\\' OR 1=1 --", "' OR '1'='1", "it's", 'back\\slash', 'trailing\\', '"dq"', 'unicode é ✓ 数据 🚀', '', 'x'.repeat(50000)];

const checks = [];
const check = (name, fn) => checks.push([name, fn]);
let client;

check('connect_and_parameters', async () => {
  client = new Client(cfg);
  await client.connect();
  const r = await client.query('SELECT version() AS v');
  assert.match(r.rows[0].v, /^PostgreSQL \d+\.\d+/);
  assert.equal(client.connectionParameters.client_encoding || 'UTF8', 'UTF8');
});

check('setup_database_and_tables', async () => {
  await client.query(`CREATE DATABASE ${DB}`);
  await client.query(`CREATE TABLE ${DB}.t (a int, b string, c decimal(10,2), d date, f double, g boolean, h bigint, i binary) USING parquet`);
  const values = [];
  for (let k = 1; k <= N; k++) {
    const r = row(k);
    values.push(`(${k}, ${lit(r.b)}, ${r.c}, DATE '${r.d.toISOString().slice(0, 10)}', ${r.f}, ${r.g}, ${r.h}, X'${r.i.toString('hex')}')`);
  }
  const res = await client.query(`INSERT INTO ${DB}.t VALUES ${values.join(', ')}`);
  assert.equal(res.command, 'INSERT');
  assert.equal(res.rowCount, N);
  await client.query(`CREATE TABLE ${DB}.nested (k int, arr array<int>, sa array<string>, m map<string,int>) USING parquet`);
  await client.query(`INSERT INTO ${DB}.nested VALUES (1, array(1, 2, 3), array('x', 'y z', 'q"uote'), map('k', 1))`);
});

check('simple_query_values_and_types', async () => {
  const r = await client.query(`SELECT a, b, c, d, f, g, h, i FROM ${DB}.t ORDER BY a`);
  assert.deepEqual(r.fields.map((f) => f.dataTypeID), [23, 25, 1700, 1082, 701, 16, 20, 17]);
  assert.equal(r.rows.length, N);
  r.rows.forEach((got, idx) => assert.deepEqual(got, row(idx + 1), `row ${idx + 1}`));
  assert.equal(r.rowCount, N);
});

check('parameterized_query_values_and_types', async () => {
  for (const k of [1, 2, 3, 7, 8, 9, 10, 1]) {
    const r = await client.query(`SELECT a, b, c, d, f, g, h, i FROM ${DB}.t WHERE a = $1`, [k]);
    assert.deepEqual(r.fields.map((f) => f.dataTypeID), [23, 25, 1700, 1082, 701, 16, 20, 17]);
    assert.deepEqual(r.rows, [row(k)], `a = ${k}`);
  }
});

check('aggregates_match_js', async () => {
  const r = await client.query({ text: `SELECT count(*), sum(a), sum(c), avg(f) FROM ${DB}.t WHERE a <= $1`, values: [20], rowMode: 'array' });
  let sa = 0; let sc = 0; let sf = 0;
  for (let k = 1; k <= 20; k++) { sa += k; sc += k * 125; sf += k / 8; }
  assert.deepEqual(r.rows, [['20', String(sa), (sc / 100).toFixed(2), sf / 20]]);
  assert.deepEqual(r.fields.map((f) => f.dataTypeID), [20, 20, 1700, 701]);
});

check('named_prepared_statement_reuse', async () => {
  for (const k of [4, 5, 6, 4, 5, 6]) {
    const r = await client.query({ name: 'by_a', text: `SELECT b, g FROM ${DB}.t WHERE a = $1`, values: [k] });
    assert.deepEqual(r.rows, [{ b: row(k).b, g: row(k).g }], `a = ${k}`);
  }
});

check('hostile_string_params', async () => {
  for (const s of HOSTILE) {
    const r = await client.query('SELECT CAST($1 AS STRING) AS v', [s]);
    assert.equal(r.rows[0].v, s, `round trip ${JSON.stringify(s.slice(0, 40))}`);
    const n = await client.query(`SELECT count(*) AS n FROM ${DB}.t WHERE b = $1`, [s]);
    assert.equal(n.rows[0].n, '0', `no injection with ${JSON.stringify(s.slice(0, 40))}`);
  }
});

check('typed_params_insert', async () => {
  await client.query(`CREATE TABLE ${DB}.p (k int, s string, d date, f double, g boolean, n decimal(10,2), nul string) USING parquet`);
  const r = await client.query(`INSERT INTO ${DB}.p VALUES ($1, $2, $3, $4, $5, $6, $7)`, [7, "it's \\ ok", '2024-02-29', 0.5, true, '12.34', null]);
  assert.equal(r.rowCount, 1);
  const back = await client.query(`SELECT k, s, d, f, g, n, nul FROM ${DB}.p`);
  assert.deepEqual(back.rows, [{ k: 7, s: "it's \\ ok", d: new Date(Date.UTC(2024, 1, 29)), f: 0.5, g: true, n: '12.34', nul: null }]);
});

check('nested_types', async () => {
  const r = await client.query(`SELECT k, arr, sa, m FROM ${DB}.nested`);
  assert.deepEqual(r.fields.map((f) => f.dataTypeID), [23, 1007, 1009, 114]);
  assert.deepEqual(r.rows, [{ k: 1, arr: [1, 2, 3], sa: ['x', 'y z', 'q"uote'], m: { k: 1 } }]);
});

check('multi_statement_simple_query', async () => {
  const rs = await client.query(`SELECT CAST(1 AS INT) AS x; SELECT count(*) AS n FROM ${DB}.t`);
  assert.equal(rs.length, 2);
  assert.deepEqual(rs[0].rows, [{ x: 1 }]);
  assert.deepEqual(rs[1].rows, [{ n: String(N) }]);
});

check('literal_types_like_spark', async () => {
  // Spark types 1 as INT, 1.5 as DECIMAL(2,1), 'a' as STRING.
  const r = await client.query("SELECT 1 AS x, 1.5 AS y, 'a' AS z");
  assert.deepEqual(r.fields.map((f) => f.dataTypeID), [23, 1700, 25]);
  assert.deepEqual(r.rows, [{ x: 1, y: '1.5', z: 'a' }]);
});

check('error_codes', async () => {
  for (const [sql, params, code] of [
    [`SELECT * FROM ${DB}.nope`, undefined, '42P01'],
    [`SELECT * FROM ${DB}.nope WHERE x = $1`, [1], '42P01'],
    ['SELEKT 1', undefined, '42601'],
    [`SELECT zzz FROM ${DB}.t WHERE a = $1`, [1], '42703'],
  ]) {
    await assert.rejects(client.query(sql, params), (e) => { assert.equal(e.code, code, sql); return true; });
    assert.deepEqual((await client.query('SELECT CAST(1 AS INT) AS one')).rows, [{ one: 1 }]);
  }
});

check('startup_statement_timeout', async () => {
  // node-postgres sends statement_timeout in the startup packet.
  const c2 = new Client({ ...cfg, statement_timeout: 700 });
  await c2.connect();
  try {
    const r = await c2.query('SHOW statement_timeout');
    assert.equal(r.rows[0].statement_timeout, '700ms');
  } finally {
    await c2.end();
  }
});

check('application_name_startup', async () => {
  const c2 = new Client({ ...cfg, application_name: 'node-check' });
  await c2.connect();
  try {
    const r = await c2.query('SHOW application_name');
    assert.equal(r.rows[0].application_name, 'node-check');
  } finally {
    await c2.end();
  }
});

(async () => {
  const counts = { PASS: 0, FAIL: 0, XFAIL: 0, XPASS: 0 };
  for (const [name, fn] of checks) {
    const t0 = Date.now();
    let err = null;
    try { await fn(); } catch (e) { err = e; }
    const ms = Date.now() - t0;
    if (!err && name in XFAIL) { counts.XPASS++; console.log(`XPASS ${name} (${ms} ms) — passes now: remove it from the XFAIL list`); }
    else if (!err) { counts.PASS++; console.log(`PASS  ${name} (${ms} ms)`); }
    else if (name in XFAIL) { counts.XFAIL++; console.log(`XFAIL ${name} (${ms} ms) [${XFAIL[name]}]: ${String(err.message).slice(0, 500)}`); }
    else { counts.FAIL++; console.log(`FAIL  ${name} (${ms} ms): ${err.stack}`); }
  }
  for (const n of Object.keys(XFAIL)) {
    if (!checks.some(([c]) => c === n)) { counts.FAIL++; console.log(`FAIL  ${n}: in the XFAIL list but no such check`); }
  }
  console.log(`node-pg: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.XFAIL} xfailed, ${counts.XPASS} xpassed`);
  if (client) await client.end().catch(() => {});
  process.exit(counts.FAIL || counts.XPASS ? 1 : 0);
})();
