//! A tmux server of the test's own, for the tests that run the real binary in a terminal:
//! one 140×45 pane, keys sent to it, its screen read back.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own (`-L`), killed when the test ends, pass or fail.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A server named after `name` and this process, running `script` under `sh -c` in a
    /// 140×45 pane; `None` (after saying why) when tmux is not installed.
    pub fn start(name: &str, script: &str) -> Option<Self> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("skipped: tmux is not installed (apt-get install tmux)");
            return None;
        }
        let tmux = Self {
            socket: format!("scatter-{name}-{}", std::process::id()),
        };
        tmux.cmd(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "140",
            "-y",
            "45",
            "sh",
            "-c",
            script,
        ]);
        Some(tmux)
    }

    /// Runs one tmux command against this server; its stdout.
    pub fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane's screen as text.
    pub fn capture(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "e2e"])
    }

    /// Sends `keys` to the pane (tmux key names, such as `Enter` or `C-c`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    /// Waits until the screen satisfies `ok`; panics with the last screen after `limit`.
    pub fn wait_for(&self, what: &str, limit: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if ok(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < limit,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
