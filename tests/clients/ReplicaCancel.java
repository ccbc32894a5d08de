import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * pgjdbc through the load balancer of tests/replicas.rs: a long query cancelled with
 * Statement.cancel() from another thread; pgjdbc's CancelRequest opens a new connection,
 * which the load balancer may hand to the other gateway replica. Each run must end with
 * SQLSTATE 57014 and leave the session usable. Jobs carry the marker jdbc-cancel-RUN.
 * Exit status 1 on any failure.
 */
public class ReplicaCancel {
    public static void main(String[] args) throws Exception {
        String host = System.getenv().getOrDefault("DLIGW_HOST", "127.0.0.1");
        String port = System.getenv().getOrDefault("DLIGW_PORT", "15432");
        Properties p = new Properties();
        p.setProperty("user", System.getenv().getOrDefault("DLIGW_USER", "dli"));
        p.setProperty("password", System.getenv().getOrDefault("DLIGW_PASSWORD", "dli"));
        p.setProperty("sslmode", "disable");
        String url = "jdbc:postgresql://" + host + ":" + port + "/dli";
        int runs = 2;
        int failures = 0;
        for (int run = 1; run <= runs; run++) {
            try (Connection c = DriverManager.getConnection(url, p);
                 Statement st = c.createStatement()) {
                Thread canceller = new Thread(() -> {
                    try {
                        Thread.sleep(1500);
                        st.cancel();
                    } catch (Exception e) {
                        System.out.println("cancel thread: " + e);
                    }
                });
                canceller.start();
                long t0 = System.nanoTime();
                try {
                    st.executeQuery("SELECT count(*) FROM rep.t /* dli_local_delay_ms=300000 jdbc-cancel-" + run + " */");
                    System.out.println("FAIL run " + run + ": the query was not cancelled");
                    failures++;
                } catch (SQLException e) {
                    if (!"57014".equals(e.getSQLState())) {
                        System.out.println("FAIL run " + run + ": sqlstate " + e.getSQLState() + " " + e.getMessage());
                        failures++;
                    }
                }
                canceller.join();
                long secs = (System.nanoTime() - t0) / 1_000_000_000L;
                if (secs > 60) {
                    System.out.println("FAIL run " + run + ": cancelled only after " + secs + " s");
                    failures++;
                }
                try (ResultSet rs = st.executeQuery("SELECT 7")) {
                    if (!rs.next() || rs.getInt(1) != 7) {
                        System.out.println("FAIL run " + run + ": session unusable after the cancel");
                        failures++;
                    }
                }
            }
        }
        if (failures == 0) {
            System.out.println("PASS pgjdbc cancelled " + runs + " queries through the load balancer");
        }
        System.exit(failures == 0 ? 0 : 1);
    }
}
