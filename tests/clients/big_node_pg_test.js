// node-postgres (`pg`) over results larger than DLI's 1000-row preview (issue 8): a plain
// query of the 100,000-row `big` table (extended protocol, rowMode 'array') and a simple
// query (text protocol), every value checked against values computed here from `id`
// (same table as bigdata.py). pg-cursor is not in package.json, so no cursor here.
//
// Run by tests/clients.rs (DLIGW_BIG_MODE: export, result_path, gzip); see
// tests/clients/README.md. Result lines: PASS / FAIL / XFAIL / XPASS.
'use strict';
const assert = require('node:assert/strict');
const { Client } = require('pg');

const DB = 'c_big_node_pg';
const MODE = process.env.DLIGW_BIG_MODE || 'export';
const N = 100000;

// Checks that fail because the gateway lacks a feature. Remove an entry when the feature
// lands: an entry whose check passes is reported as XPASS and fails the run.
const XFAIL = {};

const cfg = {
  host: process.env.DLIGW_HOST || '127.0.0.1',
  port: Number(process.env.DLIGW_PORT || 15432),
  user: process.env.DLIGW_USER || 'dli',
  password: process.env.DLIGW_PASSWORD || 'dli',
  database: 'dli',
};

// Same SQL as bigdata.BIG_CREATE: ids 0..N-1 from a cross join of five ten-digit inline
// tables (the embedded engine lacks Spark's range()).
const DIGITS = `(VALUES ${[...Array(10).keys()].map((i) => `(${i})`).join(', ')})`;
const IDS = `(SELECT CAST(${[0, 1, 2, 3, 4].map((j) => `t${j}.d * ${10 ** (4 - j)}`).join(' + ')} AS BIGINT) AS id FROM `
  + `${[0, 1, 2, 3, 4].map((j) => `${DIGITS} AS t${j}(d)`).join(' CROSS JOIN ')}) ids`;
const CREATE = `CREATE TABLE ${DB}.big USING parquet AS SELECT id, id * 7 - 3 AS x, `
  + `concat('v', CAST(id AS STRING), CASE WHEN id % 10 = 0 THEN ',"q"' ELSE '' END) AS s, `
  + `CASE WHEN id % 13 = 0 THEN NULL ELSE CAST(CAST(id AS DECIMAL(18,2)) / 4 AS DECIMAL(18,2)) END AS d `
  + `FROM ${IDS}`;
const SELECT = `SELECT id, x, s, d FROM ${DB}.big ORDER BY id`;

// Row i as node-postgres returns it: int8 and numeric as strings, NULL as null.
function row(i) {
  const q = i * 25; // d = i / 4 with two decimals
  return [
    String(i),
    String(i * 7 - 3),
    `v${i}` + (i % 10 === 0 ? ',"q"' : ''),
    i % 13 === 0 ? null : `${Math.floor(q / 100)}.${String(q % 100).padStart(2, '0')}`,
  ];
}

function checkRows(rows, what) {
  assert.equal(rows.length, N, `${what}: rows`);
  for (let i = 0; i < N; i++) {
    const want = row(i);
    const got = rows[i];
    for (let c = 0; c < 4; c++) {
      if (got[c] !== want[c]) {
        throw new Error(`${what} row ${i}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      }
    }
  }
}

const checks = [];
const check = (name, fn) => checks.push([name, fn]);
let client;

check('setup', async () => {
  client = new Client(cfg);
  await client.connect();
  await client.query(`CREATE DATABASE ${DB}`);
  await client.query(CREATE);
});

check('extended_query_all_rows', async () => {
  const r = await client.query({ text: SELECT, values: [], rowMode: 'array' });
  assert.equal(r.rowCount, N, 'rowCount');
  assert.deepEqual(r.fields.map((f) => [f.name, f.dataTypeID]), [['id', 20], ['x', 20], ['s', 25], ['d', 1700]]);
  // pg parses int8 and numeric as strings by default; nothing to convert.
  checkRows(r.rows, 'extended query');
});

check('simple_query_all_rows', async () => {
  const r = await client.query({ text: SELECT, rowMode: 'array' });
  assert.equal(r.command, 'SELECT');
  checkRows(r.rows, 'simple query');
  const after = await client.query('SELECT 1 + 1 AS two');
  assert.equal(after.rows[0].two, 2);
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
  console.log(`big_node_pg[${MODE}]: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.XFAIL} xfailed, ${counts.XPASS} xpassed`);
  if (client) await client.end().catch(() => {});
  process.exit(counts.FAIL || counts.XPASS ? 1 : 0);
})();
