// pgjdbc (Debian libpostgresql-jdbc-java, /usr/share/java/postgresql.jar) against the
// gateway: prepared statements past prepareThreshold (server-prepared, binary transfer),
// forced binary (prepareThreshold=-1), fetchSize with a row limit (Execute max_rows +
// PortalSuspended), parameter metadata (Describe statement), setQueryTimeout and
// Statement.cancel (57014), batches, SQLSTATEs, ResultSetMetaData types, arrays.
//
// Run by tests/clients.rs: javac -cp postgresql.jar, then java JdbcTest with
// DLIGW_HOST/PORT/USER/PASSWORD. Result lines: PASS / FAIL / XFAIL / XPASS.

import java.math.BigDecimal;
import java.sql.*;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.*;

public class JdbcTest {
    static final String DB = "c_jdbc";

    // Checks that fail because the gateway lacks a feature (issue 3). Remove an entry when
    // the feature lands: an entry whose check passes is reported as XPASS and fails the run.
    static final Map<String, String> XFAIL = new LinkedHashMap<>();
    static {

    }

    static final int N = 30;
    static String url(String extra) {
        String host = env("DLIGW_HOST", "127.0.0.1"), port = env("DLIGW_PORT", "15432");
        return "jdbc:postgresql://" + host + ":" + port + "/dli?user=" + env("DLIGW_USER", "dli")
                + "&password=" + env("DLIGW_PASSWORD", "dli") + extra;
    }
    static String env(String k, String d) { String v = System.getenv(k); return v == null ? d : v; }

    // The data set, computed here.
    static Object[] row(int k) {
        return new Object[] {
            k, "row " + k + " é✓", BigDecimal.valueOf(k * 125L, 2), LocalDate.of(2024, 1, 1).plusDays(k),
            LocalDateTime.of(2024, 1, 1, 0, 0).plusHours(k).plusNanos(k * 1000L), k / 8.0, k % 3 == 0,
            k * 10_000_000_000L, new byte[] {(byte) k, 0, (byte) (255 - k)} };
    }
    static String lit(String s) { return "'" + s.replace("'", "''") + "'"; }  // a Postgres literal: the gateway translates it for Spark

    interface Check { void run() throws Exception; }
    static final List<Map.Entry<String, Check>> CHECKS = new ArrayList<>();
    static void check(String name, Check c) { CHECKS.add(Map.entry(name, c)); }

    static void eq(Object actual, Object expected, String what) {
        boolean same = (actual instanceof byte[] a && expected instanceof byte[] b) ? Arrays.equals(a, b)
                : Objects.equals(actual, expected);
        if (!same) {
            String a = actual instanceof byte[] x ? Arrays.toString(x) : String.valueOf(actual);
            String e = expected instanceof byte[] x ? Arrays.toString(x) : String.valueOf(expected);
            throw new AssertionError(what + ": expected " + e + " (" + cls(expected) + "), got " + a + " (" + cls(actual) + ")");
        }
    }
    static String cls(Object o) { return o == null ? "null" : o.getClass().getSimpleName(); }
    static void ok(boolean c, String what) { if (!c) throw new AssertionError(what); }

    static Connection conn;

    /** Row k as JDBC returns it: getObject for each column, dates via LocalDate/LocalDateTime. */
    static Object[] read(ResultSet rs) throws SQLException {
        return new Object[] {
            rs.getObject(1), rs.getObject(2), rs.getObject(3), rs.getObject(4, LocalDate.class),
            rs.getObject(5, LocalDateTime.class), rs.getObject(6), rs.getObject(7), rs.getObject(8), rs.getObject(9) };
    }
    static void eqRow(Object[] got, Object[] want, String what) {
        for (int i = 0; i < want.length; i++) eq(got[i], want[i], what + " column " + (i + 1));
    }
    static final String COLS = "a, b, c, d, e, f, g, h, i";

    static void expectState(Check c, String state, String what) throws Exception {
        try {
            c.run();
        } catch (SQLException e) {
            eq(e.getSQLState(), state, what + " SQLSTATE (" + e.getMessage() + ")");
            return;
        }
        throw new AssertionError(what + " succeeded");
    }

    static void slowCancelled(Statement st, Check trigger, String what) throws Exception {
        long t0 = System.nanoTime();
        Thread t = new Thread(() -> {
            try { Thread.sleep(1000); trigger.run(); } catch (Exception e) { throw new RuntimeException(e); }
        });
        t.start();
        expectState(() -> st.executeQuery("SELECT sum(a.v * b.v + c.v - d.v) FROM " + DB + ".n a CROSS JOIN " + DB
                + ".n b CROSS JOIN " + DB + ".n c CROSS JOIN " + DB + ".n d WHERE d.v < 50"), "57014", what);
        t.join();
        double s = (System.nanoTime() - t0) / 1e9;
        // Uncancelled, the query runs ~50 s.
        ok(s < 25, what + " took " + s + " s");
    }

    public static void main(String[] args) throws Exception {
        check("connect_and_metadata", () -> {
            conn = DriverManager.getConnection(url(""));
            DatabaseMetaData md = conn.getMetaData();
            ok(md.getDatabaseMajorVersion() >= 10, "major version " + md.getDatabaseMajorVersion());
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT version()")) {
                rs.next();
                ok(rs.getString(1).matches("PostgreSQL \\d+\\.\\d+.*"), "version() " + rs.getString(1));
            }
        });
        check("setup_database_and_tables", () -> {
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE DATABASE " + DB);
                st.execute("CREATE TABLE " + DB + ".t (a int, b string, c decimal(10,2), d date, e timestamp, f double, g boolean, h bigint, i binary) USING parquet");
                StringBuilder sb = new StringBuilder("INSERT INTO " + DB + ".t VALUES ");
                for (int k = 1; k <= N; k++) {
                    Object[] r = row(k);
                    sb.append(k > 1 ? ", " : "").append("(").append(k).append(", ").append(lit((String) r[1])).append(", ")
                      .append(r[2]).append(", DATE '").append(r[3]).append("', TIMESTAMP '")
                      .append(r[4].toString().replace('T', ' ')).append("', ").append(r[5]).append(", ").append(r[6])
                      .append(", ").append(r[7]).append(", X'").append(HexFormat.of().formatHex((byte[]) r[8])).append("')");
                }
                eq(st.executeUpdate(sb.toString()), N, "INSERT update count");
                st.execute("CREATE TABLE " + DB + ".arr (k int, ai array<int>, sa array<string>) USING parquet");
                st.execute("INSERT INTO " + DB + ".arr VALUES (1, array(1, 2, 3), array('x', 'yz'))");
                st.execute("CREATE TABLE " + DB + ".n (v int) USING parquet");
                StringBuilder n = new StringBuilder("INSERT INTO " + DB + ".n VALUES (0)");
                for (int i = 1; i < 200; i++) n.append(", (").append(i).append(")");
                st.execute(n.toString());
            }
        });
        check("statement_values_and_metadata_types", () -> {
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT " + COLS + " FROM " + DB + ".t ORDER BY a")) {
                ResultSetMetaData md = rs.getMetaData();
                List<String> names = new ArrayList<>();
                List<Integer> types = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) { names.add(md.getColumnTypeName(i)); types.add(md.getColumnType(i)); }
                eq(names, List.of("int4", "text", "numeric", "date", "timestamp", "float8", "bool", "int8", "bytea"), "type names");
                eq(types, List.of(Types.INTEGER, Types.VARCHAR, Types.NUMERIC, Types.DATE, Types.TIMESTAMP, Types.DOUBLE, Types.BIT, Types.BIGINT, Types.BINARY), "java.sql.Types");
                int k = 0;
                while (rs.next()) { k++; eqRow(read(rs), row(k), "row " + k); }
                eq(k, N, "rows");
            }
        });
        check("prepared_past_threshold_binary_transfer", () -> {
            // prepareThreshold=5 (default): executions 5+ use a named server statement, and
            // pgjdbc then asks for binary results for int/float/date/timestamp/bytea columns.
            try (PreparedStatement ps = conn.prepareStatement("SELECT " + COLS + " FROM " + DB + ".t WHERE a = ?")) {
                for (int i = 0; i < 12; i++) {
                    int k = 1 + (i * 7) % N;
                    ps.setInt(1, k);
                    try (ResultSet rs = ps.executeQuery()) {
                        ok(rs.next(), "row for a = " + k + " (execution " + (i + 1) + ")");
                        eqRow(read(rs), row(k), "execution " + (i + 1) + " a = " + k);
                        ok(!rs.next(), "one row");
                    }
                }
            }
        });
        check("forced_binary_prepare_threshold_minus_1", () -> {
            try (Connection c = DriverManager.getConnection(url("&prepareThreshold=-1"));
                 PreparedStatement ps = c.prepareStatement("SELECT " + COLS + " FROM " + DB + ".t WHERE a >= ? AND b <> ? ORDER BY a")) {
                ps.setInt(1, 25);
                ps.setString(2, "x");
                try (ResultSet rs = ps.executeQuery()) {
                    for (int k = 25; k <= N; k++) { ok(rs.next(), "row " + k); eqRow(read(rs), row(k), "binary row " + k); }
                    ok(!rs.next(), "end");
                }
            }
        });
        check("typed_setters_roundtrip", () -> {
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE " + DB + ".p (" + "a int, b string, c decimal(10,2), d date, e timestamp, f double, g boolean, h bigint, i binary) USING parquet");
            }
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + DB + ".p VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (int k = 1; k <= 7; k++) {
                    Object[] r = row(k);
                    ps.setInt(1, k); ps.setString(2, (String) r[1]); ps.setBigDecimal(3, (BigDecimal) r[2]);
                    ps.setObject(4, r[3]); ps.setObject(5, r[4]); ps.setDouble(6, (Double) r[5]);
                    ps.setBoolean(7, (Boolean) r[6]); ps.setLong(8, (Long) r[7]); ps.setBytes(9, (byte[]) r[8]);
                    eq(ps.executeUpdate(), 1, "update count " + k);
                }
            }
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT " + COLS + " FROM " + DB + ".p ORDER BY a")) {
                for (int k = 1; k <= 7; k++) { ok(rs.next(), "row " + k); eqRow(read(rs), row(k), "read back " + k); }
            }
        });
        check("hostile_strings_setString", () -> {
            String[] hostile = {"\\' OR 1=1 --", "' OR '1'='1", "it's", "back\\slash", "trailing\\", "unicode é ✓ 数据 🚀", "", "x".repeat(100_000)};
            try (PreparedStatement rt = conn.prepareStatement("SELECT CAST(? AS STRING)");
                 PreparedStatement cnt = conn.prepareStatement("SELECT count(*) FROM " + DB + ".t WHERE b = ?")) {
                for (int rep = 0; rep < 2; rep++) for (String s : hostile) {  // twice: past prepareThreshold
                    rt.setString(1, s);
                    try (ResultSet rs = rt.executeQuery()) { rs.next(); eq(rs.getString(1), s, "round trip"); }
                    cnt.setString(1, s);
                    try (ResultSet rs = cnt.executeQuery()) { rs.next(); eq(rs.getLong(1), 0L, "no injection"); }
                }
            }
        });
        check("setNull", () -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT coalesce(CAST(? AS STRING), 'dflt')")) {
                ps.setNull(1, Types.VARCHAR);
                try (ResultSet rs = ps.executeQuery()) { rs.next(); eq(rs.getString(1), "dflt", "NULL parameter"); }
            }
        });
        check("fetch_size_row_limit", () -> {
            // fetchSize only applies outside autocommit: Execute(max_rows=4) + PortalSuspended.
            conn.setAutoCommit(false);
            try (PreparedStatement ps = conn.prepareStatement("SELECT a, b FROM " + DB + ".t WHERE a <= ? ORDER BY a")) {
                ps.setFetchSize(4);
                ps.setInt(1, N);
                try (ResultSet rs = ps.executeQuery()) {
                    int k = 0;
                    while (rs.next()) { k++; eq(rs.getInt(1), k, "a"); eq(rs.getString(2), "row " + k + " é✓", "b"); }
                    eq(k, N, "rows through fetchSize 4");
                }
                conn.commit();
            } finally {
                conn.setAutoCommit(true);
            }
        });
        check("parameter_metadata_describe", () -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT a, b FROM " + DB + ".t WHERE a = ? AND b = ?")) {
                ParameterMetaData pm = ps.getParameterMetaData();
                eq(pm.getParameterCount(), 2, "parameter count");
                ResultSetMetaData md = ps.getMetaData();
                ok(md != null, "result metadata before execution");
                eq(md.getColumnCount(), 2, "described columns");
                eq(md.getColumnTypeName(1), "int4", "described type");
            }
        });
        check("batch_insert", () -> {
            try (Statement st = conn.createStatement()) { st.execute("CREATE TABLE " + DB + ".b (k int, v string) USING parquet"); }
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + DB + ".b VALUES (?, ?)")) {
                for (int k = 0; k < 6; k++) { ps.setInt(1, k); ps.setString(2, "v" + k + "'"); ps.addBatch(); }
                eq(Arrays.toString(ps.executeBatch()), "[1, 1, 1, 1, 1, 1]", "batch counts");
            }
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*), sum(k), max(v) FROM " + DB + ".b")) {
                rs.next();
                eq(rs.getLong(1), 6L, "count"); eq(rs.getLong(2), 15L, "sum"); eq(rs.getString(3), "v5'", "max");
            }
        });
        check("sqlstates_and_recovery", () -> {
            try (Statement st = conn.createStatement()) {
                expectState(() -> st.executeQuery("SELECT * FROM " + DB + ".nope"), "42P01", "missing table");
                expectState(() -> st.executeQuery("SELEKT 1"), "42601", "syntax");
                try (PreparedStatement ps = conn.prepareStatement("SELECT zzz FROM " + DB + ".t WHERE a = ?")) {
                    ps.setInt(1, 1);
                    expectState(ps::executeQuery, "42703", "missing column (prepared)");
                }
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + DB + ".t")) { rs.next(); eq(rs.getLong(1), (long) N, "usable"); }
            }
        });
        check("transactions_commit_rollback", () -> {
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + DB + ".t")) {
                rs.next(); eq(rs.getLong(1), (long) N, "count");
            }
            conn.rollback();
            conn.commit();
            conn.setAutoCommit(true);
        });
        check("arrays", () -> {
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT ai, sa FROM " + DB + ".arr")) {
                rs.next();
                eq(rs.getMetaData().getColumnType(1), Types.ARRAY, "array column type");
                eq(rs.getMetaData().getColumnTypeName(1), "_int4", "array type name");
                eq(Arrays.asList((Object[]) rs.getArray(1).getArray()), List.of(1, 2, 3), "int[]");
                eq(Arrays.asList((Object[]) rs.getArray(2).getArray()), List.of("x", "yz"), "text[]");
            }
        });
        check("setQueryTimeout_57014", () -> {
            try (Connection c = DriverManager.getConnection(url("")); Statement st = c.createStatement()) {
                st.setQueryTimeout(1);  // pgjdbc sends a CancelRequest after 1 s
                slowCancelled(st, () -> {}, "setQueryTimeout");
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + DB + ".t")) { rs.next(); eq(rs.getLong(1), (long) N, "usable"); }
            }
        });
        check("statement_cancel_57014", () -> {
            try (Connection c = DriverManager.getConnection(url("")); Statement st = c.createStatement()) {
                slowCancelled(st, st::cancel, "Statement.cancel");
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + DB + ".t")) { rs.next(); eq(rs.getLong(1), (long) N, "usable"); }
            }
        });
        check("session_commands", () -> {
            try (Statement st = conn.createStatement()) {
                st.execute("SET application_name = 'jdbc-check'");
                try (ResultSet rs = st.executeQuery("SHOW application_name")) { rs.next(); eq(rs.getString(1), "jdbc-check", "application_name"); }
                st.execute("SET extra_float_digits = 3");
                st.execute("DISCARD ALL");
                st.execute("SET search_path = " + DB);
                try (ResultSet rs = st.executeQuery("SELECT current_schema()")) { rs.next(); eq(rs.getString(1), DB, "current_schema"); }
                eq(conn.getSchema(), DB, "Connection.getSchema()");
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) { rs.next(); eq(rs.getLong(1), (long) N, "unqualified"); }
            }
            conn.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            eq(conn.getTransactionIsolation(), Connection.TRANSACTION_READ_COMMITTED, "isolation");
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
                for (StackTraceElement s : err.getStackTrace()) if (s.getClassName().startsWith("JdbcTest")) System.out.println("      at " + s);
                if (err.getCause() != null) System.out.println("      caused by " + err.getCause());
            }
        }
        for (String n : XFAIL.keySet()) if (CHECKS.stream().noneMatch(c -> c.getKey().equals(n))) { fail++; System.out.println("FAIL  " + n + ": in the XFAIL list but no such check"); }
        System.out.println("pgjdbc: " + pass + " passed, " + fail + " failed, " + xfail + " xfailed, " + xpass + " xpassed");
        System.exit(fail > 0 || xpass > 0 ? 1 : 0);
    }
}
