//! The PostgreSQL side of the catalog bench: a scratch cluster (initdb under a temporary
//! directory, a free loopback port, `fsync=off`; stopped on drop) and loading into it the
//! schemas the gateway's catalog shows.

use std::path::{Path, PathBuf};
use std::process::Command;

use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A PostgreSQL cluster started for the bench.
pub struct Scratch {
    bin: PathBuf,
    dir: PathBuf,
    user: Option<String>,
    pub port: u16,
}

/// The server binaries: `$PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`.
fn bin_dir() -> Result<PathBuf, Error> {
    if let Ok(b) = std::env::var("PG_BIN") {
        return Ok(PathBuf::from(b));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| "no PostgreSQL server binaries (set PG_BIN)".into())
}

fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Scratch {
    /// initdb and start; as root, the cluster runs as the `postgres` user.
    pub fn start() -> Result<Scratch, Error> {
        let bin = bin_dir()?;
        let dir = std::env::temp_dir().join(format!("catalog-pg-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let root = Command::new("id").arg("-u").output()?.stdout == b"0\n";
        let user = root.then(|| "postgres".to_string());
        if let Some(u) = &user {
            run(Command::new("chown").arg("-R").arg(u).arg(&dir))?;
        }
        let port = free_port()?;
        let s = Scratch {
            bin,
            dir,
            user,
            port,
        };
        let data = s.dir.join("data");
        s.pg(
            "initdb",
            &[
                "-D",
                path(&data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
            ],
        )?;
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            path(&s.dir)
        );
        let log = s.dir.join("log");
        s.pg(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-o",
                &opts,
                "-l",
                path(&log),
                "-w",
                "start",
            ],
        )?;
        Ok(s)
    }

    fn pg(&self, tool: &str, args: &[&str]) -> Result<(), Error> {
        let exe = self.bin.join(tool);
        let mut cmd = match &self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args);
        run(&mut cmd)
    }

    pub fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={dbname}",
            self.port
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self.pg("pg_ctl", &["-D", path(&data), "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

fn run(cmd: &mut Command) -> Result<(), Error> {
    let out = cmd.stdin(std::process::Stdio::null()).output()?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(())
}

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

async fn rows(c: &Client, sql: &str) -> Result<Vec<Vec<Option<String>>>, Error> {
    Ok(c.simple_query(sql)
        .await?
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        })
        .collect())
}

/// DDL recreating on PostgreSQL the schemas, tables, views, columns (types as
/// `format_type` prints them) and comments the gateway's catalog shows.
pub async fn schema_ddl(gw: &Client) -> Result<Vec<String>, Error> {
    let mut ddl = Vec::new();
    let user = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'dli_flink')";
    for r in rows(gw, &format!("SELECT n.nspname, pg_catalog.obj_description(n.oid, 'pg_namespace') FROM pg_catalog.pg_namespace n WHERE {user} ORDER BY 1")).await? {
        let name = r[0].clone().unwrap_or_default();
        if name != "public" {
            ddl.push(format!("CREATE SCHEMA {}", ident(&name)));
        }
        if let Some(d) = &r[1] {
            ddl.push(format!("COMMENT ON SCHEMA {} IS {}", ident(&name), literal(d)));
        }
    }
    let cols = rows(
        gw,
        &format!(
            "SELECT n.nspname, c.relname, c.relkind, a.attname, \
             pg_catalog.format_type(a.atttypid, a.atttypmod), \
             pg_catalog.obj_description(c.oid, 'pg_class'), \
             pg_catalog.col_description(c.oid, a.attnum) \
             FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE {user} AND a.attnum > 0 ORDER BY n.nspname, c.relname, a.attnum"
        ),
    )
    .await?;
    let mut i = 0;
    while i < cols.len() {
        let (schema, table, kind) = (
            cols[i][0].clone().unwrap_or_default(),
            cols[i][1].clone().unwrap_or_default(),
            cols[i][2].clone().unwrap_or_default(),
        );
        let qualified = format!("{}.{}", ident(&schema), ident(&table));
        let mut j = i;
        let (mut defs, mut comments) = (Vec::new(), Vec::new());
        while j < cols.len() && cols[j][0] == cols[i][0] && cols[j][1] == cols[i][1] {
            let (col, ty) = (
                cols[j][3].clone().unwrap_or_default(),
                cols[j][4].clone().unwrap_or_default(),
            );
            defs.push(if kind == "v" {
                format!("NULL::{ty} AS {}", ident(&col))
            } else {
                format!("{} {ty}", ident(&col))
            });
            if let Some(d) = &cols[j][6] {
                comments.push(format!(
                    "COMMENT ON COLUMN {qualified}.{} IS {}",
                    ident(&col),
                    literal(d)
                ));
            }
            j += 1;
        }
        ddl.push(if kind == "v" {
            format!("CREATE VIEW {qualified} AS SELECT {}", defs.join(", "))
        } else {
            format!("CREATE TABLE {qualified} ({})", defs.join(", "))
        });
        if let Some(d) = &cols[i][5] {
            let what = if kind == "v" { "VIEW" } else { "TABLE" };
            ddl.push(format!("COMMENT ON {what} {qualified} IS {}", literal(d)));
        }
        ddl.extend(comments);
        i = j;
    }
    Ok(ddl)
}

/// Connect to `conninfo`'s server, create database `db` there (when missing) with the
/// DDL, and return a client on it.
pub async fn load(conninfo: &str, db: &str, ddl: &[String]) -> Result<Client, Error> {
    let (admin, conn) = tokio_postgres::connect(conninfo, NoTls).await?;
    tokio::spawn(conn);
    let exists = !rows(
        &admin,
        &format!("SELECT 1 FROM pg_database WHERE datname = {}", literal(db)),
    )
    .await?
    .is_empty();
    if !exists {
        admin
            .simple_query(&format!("CREATE DATABASE {}", ident(db)))
            .await?;
    }
    let mut cfg: tokio_postgres::Config = conninfo.parse()?;
    cfg.dbname(db);
    let (client, conn) = cfg.connect(NoTls).await?;
    tokio::spawn(conn);
    // As asyncpg does around its type introspection: JIT compiling that recursive query
    // takes PostgreSQL seconds; no other query here is costly enough to be compiled.
    client.batch_execute("SET jit = off").await?;
    if !exists {
        for chunk in ddl.chunks(500) {
            client.batch_execute(&chunk.join(";\n")).await?;
        }
        client.batch_execute("ANALYZE").await?;
    }
    Ok(client)
}
