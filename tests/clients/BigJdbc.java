// pgjdbc over results larger than DLI's 1000-row preview (issue 8): setAutoCommit(false) +
// setFetchSize(1000) over the 100,000-row `big` table (Execute with max_rows 1000,
// PortalSuspended, Execute again), with a Statement and with a server-prepared
// PreparedStatement (binary transfer), every value checked against values computed here
// from `id` (same table as bigdata.py).
//
// Run by tests/clients.rs: javac -cp postgresql.jar, then java BigJdbc with
// DLIGW_HOST/PORT/USER/PASSWORD and DLIGW_BIG_MODE. Result lines: PASS / FAIL / XFAIL / XPASS.

import java.math.BigDecimal;
import java.sql.*;
import java.util.*;

public class BigJdbc {
    static final String DB = "c_big_jdbc";
    static final int N = 100_000;

    // Checks that fail because the gateway lacks a feature. Remove an entry when the
    // feature lands: an entry whose check passes is reported as XPASS and fails the run.
    static final Map<String, String> XFAIL = new LinkedHashMap<>();

    static String env(String k, String d) { String v = System.getenv(k); return v == null ? d : v; }
    static String url(String extra) {
        return "jdbc:postgresql://" + env("DLIGW_HOST", "127.0.0.1") + ":" + env("DLIGW_PORT", "15432") + "/dli?user="
                + env("DLIGW_USER", "dli") + "&password=" + env("DLIGW_PASSWORD", "dli") + extra;
    }

    // Same SQL as bigdata.BIG_CREATE: ids 0..N-1 from a cross join of five ten-digit inline
    // tables (the embedded engine lacks Spark's range()).
    static String ids() {
        String digits = "(VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))";
        List<String> terms = new ArrayList<>(), tables = new ArrayList<>();
        for (int j = 0; j < 5; j++) {
            terms.add("t" + j + ".d * " + (int) Math.pow(10, 4 - j));
            tables.add(digits + " AS t" + j + "(d)");
        }
        return "(SELECT CAST(" + String.join(" + ", terms) + " AS BIGINT) AS id FROM " + String.join(" CROSS JOIN ", tables) + ") ids";
    }
    static final String CREATE = "CREATE TABLE " + DB + ".big USING parquet AS SELECT id, id * 7 - 3 AS x, "
            + "concat('v', CAST(id AS STRING), CASE WHEN id % 10 = 0 THEN ',\"q\"' ELSE '' END) AS s, "
            + "CASE WHEN id % 13 = 0 THEN NULL ELSE CAST(CAST(id AS DECIMAL(18,2)) / 4 AS DECIMAL(18,2)) END AS d "
            + "FROM " + ids();
    static final String SELECT = "SELECT id, x, s, d FROM " + DB + ".big ORDER BY id";

    /** Row i as pgjdbc returns it: Long, Long, String, BigDecimal with scale 2 or null. */
    static Object[] row(long i) {
        return new Object[] { i, i * 7 - 3, "v" + i + (i % 10 == 0 ? ",\"q\"" : ""),
                i % 13 == 0 ? null : BigDecimal.valueOf(i * 25, 2) };
    }

    interface Check { void run() throws Exception; }
    static final List<Map.Entry<String, Check>> CHECKS = new ArrayList<>();
    static void check(String name, Check c) { CHECKS.add(Map.entry(name, c)); }
    static void eq(Object actual, Object expected, String what) {
        if (!Objects.equals(actual, expected))
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
    }

    /** Reads every row of rs and checks it; returns the count. */
    static long readAll(ResultSet rs, String what) throws SQLException {
        long i = 0;
        while (rs.next()) {
            Object[] got = { rs.getObject(1), rs.getObject(2), rs.getObject(3), rs.getObject(4) };
            Object[] want = row(i);
            // BigDecimal.equals compares the scale too: 2.50 is not 2.5.
            if (!Arrays.equals(got, want))
                throw new AssertionError(what + " row " + i + ": expected " + Arrays.toString(want) + ", got " + Arrays.toString(got));
            i++;
        }
        eq(i, (long) N, what + ": rows");
        return i;
    }

    public static void main(String[] args) throws Exception {
        String mode = env("DLIGW_BIG_MODE", "export");

        check("setup", () -> {
            try (Connection c = DriverManager.getConnection(url("")); Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + DB);
                st.execute(CREATE);
            }
        });

        check("fetch_size_1000_statement", () -> {
            try (Connection c = DriverManager.getConnection(url(""))) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.setFetchSize(1000);
                    try (ResultSet rs = st.executeQuery(SELECT)) {
                        eq(rs.getMetaData().getColumnTypeName(4), "numeric", "d type");
                        readAll(rs, "fetchSize statement");
                    }
                }
                c.commit();
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 5")) {
                    rs.next();
                    eq(rs.getInt(1), 5, "after the portal");
                }
                c.commit();
            }
        });

        check("fetch_size_1000_prepared_binary", () -> {
            try (Connection c = DriverManager.getConnection(url("&prepareThreshold=-1"))) {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("SELECT id, x, s, d FROM " + DB + ".big WHERE id >= ? ORDER BY id")) {
                    ps.setFetchSize(1000);
                    ps.setLong(1, 0L);
                    try (ResultSet rs = ps.executeQuery()) { readAll(rs, "fetchSize prepared"); }
                }
                c.commit();
            }
        });

        check("fetch_size_abandoned_portal_then_query", () -> {
            try (Connection c = DriverManager.getConnection(url(""))) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.setFetchSize(1000);
                    try (ResultSet rs = st.executeQuery(SELECT)) {
                        for (long i = 0; i < 2500; i++) {
                            rs.next();
                            eq(rs.getLong(1), i, "id");
                        }
                    }
                }
                c.commit();
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + DB + ".big")) {
                    rs.next();
                    eq(rs.getLong(1), (long) N, "count after closing the portal early");
                }
            }
        });

        int pass = 0, fail = 0, xfail = 0, xpass = 0;
        for (var e : CHECKS) {
            String name = e.getKey();
            long t0 = System.nanoTime();
            Throwable err = null;
            try { e.getValue().run(); } catch (Throwable t) { err = t; }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (err == null && XFAIL.containsKey(name)) { xpass++; System.out.println("XPASS " + name + " (" + ms + " ms) — passes now: remove it from the XFAIL list"); }
            else if (err == null) { pass++; System.out.println("PASS  " + name + " (" + ms + " ms)"); }
            else if (XFAIL.containsKey(name)) {
                xfail++;
                String m = String.valueOf(err.getMessage());
                System.out.println("XFAIL " + name + " (" + ms + " ms) [" + XFAIL.get(name) + "]: " + err.getClass().getSimpleName() + ": " + m.substring(0, Math.min(500, m.length())));
            } else {
                fail++;
                System.out.println("FAIL  " + name + " (" + ms + " ms): " + err);
                for (StackTraceElement s : err.getStackTrace()) if (s.getClassName().startsWith("BigJdbc")) System.out.println("      at " + s);
                if (err.getCause() != null) System.out.println("      caused by " + err.getCause());
            }
        }
        for (String n : XFAIL.keySet()) if (CHECKS.stream().noneMatch(c -> c.getKey().equals(n))) { fail++; System.out.println("FAIL  " + n + ": in the XFAIL list but no such check"); }
        System.out.println("big_pgjdbc[" + mode + "]: " + pass + " passed, " + fail + " failed, " + xfail + " xfailed, " + xpass + " xpassed");
        System.exit(fail > 0 || xpass > 0 ? 1 : 0);
    }
}
