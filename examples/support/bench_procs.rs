//! The gateway and the embedded DLI service as two child processes of the built binary,
//! for benches that read the gateway's own RSS.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct Procs {
    local: Child,
    gateway: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

fn free_port() -> Result<u16, BoxError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_for(port: u16, child: &mut Child) -> Result<(), BoxError> {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(120) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            return Err(format!("process exited before listening: {status}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("nothing listens on port {port} after 120 s").into())
}

impl Procs {
    /// Starts `local-dli` (no demo data) and `serve` against it, with room for
    /// `max_connections` sessions. Logs go to files in a temporary directory. The status
    /// call budget is raised to 2,000/s: the embedded service has no flow control, and at
    /// the default 50/s the one closing status call of each of 10,000 jobs alone takes
    /// 200 s.
    pub fn start(binary: &Path, max_connections: usize) -> Result<Procs, BoxError> {
        if !binary.exists() {
            return Err(format!("{} not built (cargo build [--release])", binary.display()).into());
        }
        let dir = tempfile::tempdir()?;
        let (lport, oport, port) = (free_port()?, free_port()?, free_port()?);
        let local_cfg = dir.path().join("local.toml");
        std::fs::write(
            &local_cfg,
            format!(
                "[local]\nlisten = \"127.0.0.1:{lport}\"\nobs_listen = \"127.0.0.1:{oport}\"\n\
                 warehouse = \"{}\"\ndemo = false\nflink_demo_jobs = false\n",
                dir.path().join("warehouse").display()
            ),
        )?;
        let log = |name: &str| std::fs::File::create(dir.path().join(name));
        let mut local = Command::new(binary)
            .args(["local-dli", "--config"])
            .arg(&local_cfg)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log("local.log")?)
            .spawn()?;
        wait_for(lport, &mut local)?;
        let gw_cfg = dir.path().join("gateway.toml");
        std::fs::write(
            &gw_cfg,
            format!(
                "[server]\nlisten = \"127.0.0.1:{port}\"\nmax_connections = {max_connections}\n\
                 [[server.users]]\nname = \"dli\"\npassword = \"dli\"\n\
                 [dli]\nendpoint = \"http://127.0.0.1:{lport}\"\nproject_id = \"local-project\"\n\
                 queue = \"default\"\n\
                 [dli.auth]\nmode = \"aksk\"\nak = \"LOCALACCESSKEY\"\nsk = \"LOCALSECRETKEY\"\n\
                 [runner]\nprogress_notices = false\nstatus_calls_per_second = 2000\n"
            ),
        )?;
        let mut gateway = Command::new(binary)
            .args(["serve", "--config"])
            .arg(&gw_cfg)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log("gateway.log")?)
            .spawn()?;
        if let Err(e) = wait_for(port, &mut gateway) {
            let _ = local.kill();
            let _ = gateway.kill();
            return Err(e);
        }
        Ok(Procs {
            local,
            gateway,
            port,
            _dir: dir,
        })
    }

    pub fn gateway_pid(&self) -> u32 {
        self.gateway.id()
    }

    /// Asks the gateway's allocator to return free memory (`malloc_trim(0)` through gdb)
    /// and reads the RSS after it; `None` when gdb is not installed or failed.
    pub fn trim_allocator(&self) -> Option<u64> {
        let ok = Command::new("gdb")
            .args(["-p", &self.gateway.id().to_string(), "-batch", "-ex"])
            .arg("call (int)malloc_trim(0)")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        ok.then(|| rss_kb(self.gateway.id()))
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for c in [&mut self.gateway, &mut self.local] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Attaches heaptrack to `pid`, writing to `out` (heaptrack adds `.zst`); returns once it
/// has had time to inject itself. The data is complete when `pid` exits and the returned
/// heaptrack process has been waited for.
pub fn heaptrack(pid: u32, out: &str) -> Result<Child, BoxError> {
    let child = Command::new("heaptrack")
        // heaptrack's script reads `-p` as its last option.
        .args(["-o", out, "-p", &pid.to_string()])
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()?;
    std::thread::sleep(std::time::Duration::from_secs(5));
    Ok(child)
}

/// A process' resident set size in KB (`VmRSS` of `/proc/<pid>/status`; 0 if unreadable).
pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Where a process' resident memory is, from `/proc/<pid>/smaps`: the main heap
/// (`[heap]`, glibc's main arena), anonymous mappings (other arenas, thread stacks,
/// large allocations), files; and its thread count.
pub fn memory_map(pid: u32) -> String {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let (mut heap, mut anon, mut file, mut anon_maps) = (0u64, 0u64, 0u64, 0u32);
    let mut kind = 0u8;
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        if first.contains('-') && !first.ends_with(':') {
            let name = line.split_whitespace().nth(5).unwrap_or_default();
            kind = match name {
                "[heap]" => 0,
                "" => 1,
                _ => 2,
            };
        } else if first == "Rss:" {
            let kb: u64 = words.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            match kind {
                0 => heap += kb,
                1 => {
                    anon += kb;
                    anon_maps += u32::from(kb > 0);
                }
                _ => file += kb,
            }
        }
    }
    let threads = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Threads:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .unwrap_or_default();
    format!(
        "[heap] {:.1} MB, anonymous {:.1} MB in {anon_maps} mappings, files {:.1} MB; {threads} threads",
        heap as f64 / 1024.0,
        anon as f64 / 1024.0,
        file as f64 / 1024.0
    )
}
