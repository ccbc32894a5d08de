//! The `dli-pg-gateway` binary: command line, logging, and the subcommands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use dli_pg_gateway::app::Gateway;
use dli_pg_gateway::config::Config;
use dli_pg_gateway::localdli;

#[derive(Parser)]
#[command(
    name = "dli-pg-gateway",
    version,
    about = "PostgreSQL wire-protocol gateway for Huawei Cloud DLI"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    common: Common,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Postgres clients (the default). With no DLI endpoint configured, the
    /// embedded local DLI service is started too.
    Serve,
    /// Run only the local DLI-compatible REST service.
    LocalDli,
    /// Load and validate the configuration, print a summary without secrets, exit.
    CheckConfig,
}

#[derive(Args)]
struct Common {
    /// TOML configuration file (see config/gateway.example.toml).
    #[arg(short, long, env = "DLIGW_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Postgres listen address, e.g. 127.0.0.1:15432 ([server] listen).
    #[arg(long, global = true)]
    listen: Option<String>,
    /// DLI endpoint URL; empty = embedded local service ([dli] endpoint).
    #[arg(long, global = true)]
    dli_endpoint: Option<String>,
    /// DLI project id ([dli] project_id).
    #[arg(long, global = true)]
    project_id: Option<String>,
    /// DLI queue ([dli] queue).
    #[arg(long, global = true)]
    queue: Option<String>,
    /// Warehouse directory of the local service ([local] warehouse).
    #[arg(long, global = true)]
    warehouse: Option<PathBuf>,
    /// Local service listen address ([local] listen).
    #[arg(long, global = true)]
    local_listen: Option<String>,
    /// Do not create the TPC-H demo database ([local] demo = false).
    #[arg(long, global = true)]
    no_demo: bool,
    /// Artificial delay of every local job, in ms ([local] job_delay_ms).
    #[arg(long, global = true)]
    job_delay_ms: Option<u64>,
    /// Prometheus metrics endpoint address, e.g. 127.0.0.1:9187 ([metrics] listen).
    #[arg(long, global = true)]
    metrics_listen: Option<String>,
    /// Log filter (tracing EnvFilter syntax), e.g. "info" or "dli_pg_gateway=debug".
    #[arg(long, env = "RUST_LOG", default_value = "info", global = true)]
    log: String,
    /// Log lines as human-readable text (colours only on a terminal) or as JSON objects,
    /// one per line, for log collectors.
    #[arg(
        long,
        value_enum,
        env = "DLIGW_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

impl Common {
    fn apply(&self, cfg: &mut Config) {
        if let Some(v) = &self.listen {
            cfg.server.listen = v.clone();
        }
        if let Some(v) = &self.dli_endpoint {
            cfg.dli.endpoint = v.clone();
        }
        if let Some(v) = &self.project_id {
            cfg.dli.project_id = v.clone();
        }
        if let Some(v) = &self.queue {
            cfg.dli.queue = v.clone();
        }
        if let Some(v) = &self.warehouse {
            cfg.local.warehouse = v.clone();
        }
        if let Some(v) = &self.local_listen {
            cfg.local.listen = v.clone();
        }
        if self.no_demo {
            cfg.local.demo = false;
        }
        if let Some(v) = self.job_delay_ms {
            cfg.local.job_delay_ms = v;
        }
        if let Some(v) = &self.metrics_listen {
            cfg.metrics.listen = v.clone();
        }
    }
}

fn load(common: &Common) -> Result<Config, String> {
    let mut cfg = Config::load(common.config.as_deref()).map_err(|e| e.to_string())?;
    common.apply(&mut cfg);
    cfg.validate().map_err(|e| e.to_string())?;
    Ok(cfg)
}

async fn run(cli: Cli) -> Result<(), String> {
    let cfg = load(&cli.common)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            println!("configuration OK");
            println!("  postgres listen : {}", cfg.server.listen);
            println!(
                "  auth method     : {:?}, {} user(s)",
                cfg.server.auth_method,
                cfg.server.users.len()
            );
            if cfg.is_embedded() {
                println!(
                    "  DLI             : embedded local service, warehouse {}",
                    cfg.local.warehouse.display()
                );
            } else {
                println!(
                    "  DLI             : {} project {} queue {}",
                    cfg.dli.endpoint, cfg.dli.project_id, cfg.dli.queue
                );
                println!("  DLI auth        : {:?}", cfg.dli.auth.mode);
            }
            Ok(())
        }
        Command::LocalDli => localdli::run_forever(cfg.local)
            .await
            .map_err(|e| e.to_string()),
        Command::Serve => {
            let gw = Gateway::start(cfg).await.map_err(|e| e.to_string())?;
            println!(
                "dli-pg-gateway listening on {} (DLI endpoint {}); connect with: psql -h {} -p {} -U dli",
                gw.addr(),
                gw.dli_endpoint(),
                gw.addr().ip(),
                gw.addr().port()
            );
            if let Some(addr) = gw.metrics_addr() {
                println!("Prometheus metrics on http://{addr}/metrics");
            }
            let signal = stop_signal().await.map_err(|e| e.to_string())?;
            tracing::info!(signal, "shutting down");
            gw.shutdown().await;
            tracing::info!("shut down");
            Ok(())
        }
    }
}

/// Waits for SIGTERM or Ctrl-C (SIGINT); names the one that came.
async fn stop_signal() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = term.recv() => Ok("SIGTERM"),
            c = tokio::signal::ctrl_c() => c.map(|()| "SIGINT"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map(|()| "Ctrl-C")
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.common.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.common.log_format {
        LogFormat::Json => logs.json().with_current_span(true).init(),
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
