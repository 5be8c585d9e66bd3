//! The real `advisor` executable as a child process over one data directory: started on a
//! fixed port (so a restart is the same app to its callers), killed with SIGKILL or dying at an
//! armed crash point, and started again.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::helpers::app_root;

/// The settings every start gets, besides the data directory and port.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// Environment variables (the AI provider's address, …).
    pub env: Vec<(String, String)>,
}

/// One running (or dead) `advisor serve`.
pub struct Advisor {
    pub dir: PathBuf,
    pub port: u16,
    launch: Launch,
    child: Option<Child>,
    /// How it ended when it died before it answered (a crash point reached at once).
    died_starting: Option<ExitStatus>,
    starts: u32,
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// It died at its armed crash point.
    CrashPoint,
    /// The harness killed it.
    Killed,
}

impl Advisor {
    /// A process for `dir`, not started yet.
    pub fn new(dir: &Path, launch: Launch) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self {
            dir: dir.to_owned(),
            port,
            launch,
            child: None,
            died_starting: None,
            starts: 0,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn blob_root(&self) -> PathBuf {
        self.data_dir().join("blobs")
    }

    pub fn api(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.port)
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process with `crash` armed (if any) and waits until it answers, or until it
    /// dies (redelivered work can reach the crash point before the first answer).
    pub async fn start(&mut self, crash: Option<&str>) {
        assert!(self.child.is_none(), "already running");
        self.starts += 1;
        let log = |name: &str| {
            std::fs::File::create(self.dir.join(format!("{name}-{}.log", self.starts)))
                .expect("log file")
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_advisor"));
        command
            .arg("serve")
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("--app-root")
            .arg(app_root())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log("stdout"))
            .stderr(log("stderr"));
        for (name, value) in &self.launch.env {
            command.env(name, value);
        }
        if let Some(crash) = crash {
            command.env(shared::crash::CRASH_AT, crash);
        }
        self.child = Some(command.spawn().expect("start advisor"));
        let client = reqwest::Client::new();
        let health = format!("{}/health", self.api());
        for _ in 0..600 {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("wait"))
            {
                self.child = None;
                self.died_starting = Some(status);
                return;
            }
            if client.get(&health).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("advisor did not answer within 12 s: {}", self.stderr_tail());
    }

    /// Whether it has died on its own, and how.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if let Some(status) = self.died_starting.take() {
            return Some(status);
        }
        let status = self.child.as_mut()?.try_wait().expect("wait")?;
        self.child = None;
        Some(status)
    }

    /// What ended it, once it has exited: its crash point, or anything else (a failure).
    pub fn classify(&self, status: ExitStatus) -> Ended {
        use std::os::unix::process::ExitStatusExt;
        let stderr = self.stderr_tail();
        assert!(
            status.signal() == Some(6) && stderr.contains("crash point"),
            "advisor died unexpectedly ({status}): {stderr}"
        );
        Ended::CrashPoint
    }

    /// SIGKILL, then reaps it.
    pub fn kill(&mut self) -> Ended {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        Ended::Killed
    }

    /// The end of the last start's stderr.
    pub fn stderr_tail(&self) -> String {
        let path = self.dir.join(format!("stderr-{}.log", self.starts));
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let tail: Vec<char> = text.chars().rev().take(2000).collect();
        tail.into_iter().rev().collect()
    }

    pub fn running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Advisor {
    fn drop(&mut self) {
        self.kill();
    }
}
