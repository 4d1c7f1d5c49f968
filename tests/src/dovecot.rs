//! A throw-away Dovecot IMAP server for tests.
//!
//! [`start`] writes a `dovecot.conf` into a fresh temporary directory (plaintext IMAP on
//! 127.0.0.1 at a port picked at run time, no SSL, one user in a passwd-file, a Maildir under the
//! directory, runtime state and logs there too), runs `/usr/sbin/dovecot -F` on it and waits until
//! the server greets. [`Dovecot::deliver`] puts a message into the user's INBOX with `doveadm save`
//! (so UIDs follow delivery order), [`Dovecot::inbox_len`] counts what is there. Dropping the
//! [`Dovecot`] stops the server and removes the directory.
//!
//! Needs Debian's Dovecot 2.3 (`apt-get install -y dovecot-imapd`) and must run as root, as the
//! test machines do: Dovecot refuses to serve mail as root, so the master and its internal
//! processes run as root while the login processes and the mail user run as `nobody`.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The Dovecot master binary.
const DOVECOT: &str = "/usr/sbin/dovecot";
/// Dovecot's admin tool, used to deliver and count messages.
const DOVEADM: &str = "/usr/bin/doveadm";
/// The greeting the test server sends once it is ready to log users in.
const GREETING: &str = "liandong-test-imap ready";
/// How long [`start`] waits for the server to greet.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running Dovecot serving one user over plaintext IMAP on 127.0.0.1; stopped on drop.
pub struct Dovecot {
    /// The IMAP port on 127.0.0.1.
    pub port: u16,
    /// The test user's login name.
    pub user: String,
    /// The test user's password.
    pub password: String,
    /// The temporary directory holding the configuration, the mail, the state and the log.
    dir: tempfile::TempDir,
    /// The `dovecot -F` master process.
    child: Child,
}

/// Starts a fresh Dovecot in a new temporary directory and waits (bounded) until it greets.
///
/// # Panics
///
/// When Dovecot is not installed, the process is not root, or the server does not come up; the
/// message carries Dovecot's log.
pub fn start() -> Dovecot {
    assert!(Path::new(DOVECOT).exists(), "{DOVECOT} is missing: apt-get install -y dovecot-imapd");
    let euid = fs::metadata("/proc/self").map(|m| m.uid()).expect("cannot stat /proc/self");
    assert_eq!(euid, 0, "the Dovecot test harness must run as root");

    let dir = tempfile::Builder::new().prefix("dovecot-test-").tempdir().expect("cannot create a temp dir");
    // The mail user (`nobody`) must be able to reach its Maildir inside the directory.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod temp dir");
    let (uid, gid) = nobody();
    let home = dir.path().join("mail");
    fs::create_dir(&home).expect("create mail dir");
    std::os::unix::fs::chown(&home, Some(uid), Some(gid)).expect("chown mail dir");
    fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).expect("chmod mail dir");

    let user = "reviewer".to_owned();
    let password = format!("pw-{}", unique());
    let passwd = dir.path().join("passwd");
    fs::write(&passwd, format!("{user}:{{PLAIN}}{password}:{uid}:{gid}::{}::\n", home.display()))
        .expect("write passwd file");

    let mut last_log = String::new();
    for _attempt in 0..5 {
        let port = free_port();
        let conf = dir.path().join("dovecot.conf");
        fs::write(&conf, config(dir.path(), &passwd, port)).expect("write dovecot.conf");
        let log = dir.path().join("dovecot.log");
        let out = fs::OpenOptions::new().create(true).append(true).open(&log).expect("open log");
        let err = out.try_clone().expect("clone log handle");
        let mut child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("cannot spawn dovecot");
        if wait_ready(&mut child, port) {
            return Dovecot { port, user, password, dir, child };
        }
        stop(&mut child);
        last_log = fs::read_to_string(&log).unwrap_or_default();
        // Another process may have taken the port between picking and binding it: try another.
        if !last_log.contains("Address already in use") {
            break;
        }
    }
    panic!("dovecot did not start; its log:\n{last_log}");
}

impl Dovecot {
    /// Puts one raw RFC 822 message into the user's INBOX (`doveadm save`), so it gets the next UID.
    ///
    /// # Panics
    ///
    /// When `doveadm save` fails.
    pub fn deliver(&self, raw: &[u8]) {
        let mut child = Command::new(DOVEADM)
            .arg("-c")
            .arg(self.conf())
            .args(["save", "-u", &self.user, "-m", "INBOX"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot spawn doveadm");
        child.stdin.take().expect("doveadm stdin").write_all(raw).expect("write message to doveadm");
        let out = child.wait_with_output().expect("wait for doveadm");
        assert!(out.status.success(), "doveadm save failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// How many messages the user's INBOX holds, deleted-but-not-expunged ones included.
    ///
    /// # Panics
    ///
    /// When `doveadm mailbox status` fails.
    pub fn inbox_len(&self) -> usize {
        let out = Command::new(DOVEADM)
            .arg("-c")
            .arg(self.conf())
            .args(["mailbox", "status", "-u", &self.user, "messages", "INBOX"])
            .output()
            .expect("cannot run doveadm");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "doveadm mailbox status failed: {}", String::from_utf8_lossy(&out.stderr));
        stdout
            .split_whitespace()
            .find_map(|field| field.strip_prefix("messages="))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected doveadm output {stdout:?}"))
    }

    /// Dovecot's log so far (for assertion messages).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The path of the generated configuration.
    fn conf(&self) -> PathBuf {
        self.dir.path().join("dovecot.conf")
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Waits until the server on `port` sends its final greeting; false if it died or took too long.
fn wait_ready(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        if let Ok(stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            && greets(stream)
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Asks the master to shut down (SIGTERM, so it takes its children along), then kills it if it
/// lingers.
fn stop(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads greeting lines until the ready greeting (true) or an error or timeout (false), then logs out.
fn greets(mut stream: TcpStream) -> bool {
    if stream.set_read_timeout(Some(Duration::from_secs(5))).is_err() {
        return false;
    }
    let mut reader = BufReader::new(stream.try_clone().expect("clone socket"));
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line.contains(GREETING) => break,
            Ok(_) => {}
        }
    }
    let _ = stream.write_all(b"a LOGOUT\r\n");
    let _ = reader.read_to_end(&mut Vec::new());
    true
}

/// The Dovecot 2.3 configuration for a server rooted in `dir`.
fn config(dir: &Path, passwd: &Path, port: u16) -> String {
    let d = dir.display();
    let passwd = passwd.display();
    format!(
        "\
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = dovecot-test-{port}
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
login_greeting = {GREETING}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = root
default_internal_group = root
default_login_user = nobody
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"
    )
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// The uid and gid of `nobody` from /etc/passwd (65534 when it cannot be read).
fn nobody() -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            match fields.as_slice() {
                ["nobody", _, uid, gid, ..] => Some((uid.parse().ok()?, gid.parse().ok()?)),
                _ => None,
            }
        })
        .unwrap_or((65534, 65534))
}

/// A string unique within this machine for a while: time, process id and a counter.
fn unique() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{nanos:x}{:x}{:x}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}
