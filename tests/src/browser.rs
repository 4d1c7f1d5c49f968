//! Browser tests: Debian's headless Chromium driven through chromedriver (WebDriver, W3C) with
//! the `thirtyfour` client, against the real daemon on loopback.
//!
//! [`Browser::start`] starts chromedriver on a free loopback port; [`Browser::open`] opens a
//! fresh Chromium (its own temporary profile: no cookies carried between windows) at a width,
//! such as [`PHONE`] or [`DESKTOP`]. Nothing is skipped: without chromedriver the test fails
//! (CI installs `chromium` and `chromium-driver` with apt-get).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
pub use thirtyfour;
use thirtyfour::prelude::*;

/// A phone's viewport, in CSS pixels (width, height).
pub const PHONE: (u32, u32) = (360, 740);
/// A desktop window, in CSS pixels.
pub const DESKTOP: (u32, u32) = (1280, 900);

/// The chromedriver program: `$CHROMEDRIVER`, else Debian's.
fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// The Chromium program: `$CHROMIUM`, else Debian's.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// A running chromedriver; it and the browsers it started are killed when it is dropped.
/// Tests run on a multi-threaded runtime (`#[tokio::test(flavor = "multi_thread")]`): a window
/// left open by a failing test is closed synchronously when dropped, which needs a second thread.
pub struct Browser {
    url: String,
    driver: tokio::process::Child,
    shots: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver leads its own process group, which the Chromium processes it started join
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
        }
    }
}

/// One Chromium window (a WebDriver session) with its own profile.
pub struct Window {
    /// The session.
    pub driver: WebDriver,
    shots: PathBuf,
    name: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free loopback port; screenshots go under `shots` (e.g. the
    /// test's `CARGO_TARGET_TMPDIR`). Panics when chromedriver cannot start.
    pub async fn start(shots: impl AsRef<Path>) -> Browser {
        let shots = shots.as_ref().join("screenshots");
        std::fs::create_dir_all(&shots).expect("a directory for the screenshots");
        // a free port: bound, read, released (chromedriver binds it at once)
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = tokio::process::Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("chromedriver ({}) cannot start: {e}; install chromium and chromium-driver", chromedriver())
            });
        let url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..1200 {
            if let Ok(r) = client.get(format!("{url}/status")).send().await
                && r.status().is_success()
                && r.json::<serde_json::Value>().await.is_ok_and(|v| v["value"]["ready"] == true)
            {
                return Browser { url, driver, shots };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not become ready on {url} within 10 s");
    }

    /// A new headless Chromium window of `size` CSS pixels; `name` prefixes its screenshots.
    pub async fn open(&self, name: &str, size: (u32, u32)) -> Window {
        let profile = tempfile::tempdir().expect("a temporary profile directory");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&chromium()).unwrap();
        for arg in [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--lang=zh-CN",
        ] {
            caps.add_arg(arg).unwrap();
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display())).unwrap();
        // a headless window is at least 500 px wide: narrower viewports are a phone's, emulated
        // by chromedriver (`mobileEmulation`: touch, a mobile viewport of exactly that size)
        caps.add_arg(&format!("--window-size={},{}", size.0.max(500), size.1)).unwrap();
        if size.0 < 500 {
            let metrics = serde_json::json!({ "width": size.0, "height": size.1, "pixelRatio": 2.0, "mobile": true, "touch": true });
            caps.add_experimental_option("mobileEmulation", serde_json::json!({ "deviceMetrics": metrics })).unwrap();
        }
        let driver = WebDriver::new(self.url.clone(), caps)
            .await
            .unwrap_or_else(|e| panic!("Chromium ({}) does not start under chromedriver: {e}", chromium()));
        Window { driver, shots: self.shots.clone(), name: name.into(), _profile: profile }
    }
}

impl Window {
    /// Opens `url` and waits for the page.
    pub async fn goto(&self, url: &str) {
        self.driver.goto(url).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.driver.find(By::Tag("body")).await.expect("a body").text().await.expect("the body's text")
    }

    /// The page's path and query.
    pub async fn path(&self) -> String {
        let u = self.driver.current_url().await.expect("a URL");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// Runs `script` (a function body that `return`s) and gives its value.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.driver.execute(script, Vec::new()).await.expect("the script runs").json().clone()
    }

    /// Clicks the element `css` selects.
    pub async fn click(&self, css: &str) {
        self.driver.find(By::Css(css)).await.unwrap_or_else(|e| panic!("no `{css}`: {e}")).click().await.unwrap();
    }

    /// Types `text` into the element `css` selects.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.driver
            .find(By::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
            .send_keys(text)
            .await
            .unwrap();
    }

    /// Waits (up to 60 s, for a loaded two-core CI machine) until the page's text contains `what`; panics with the text otherwise.
    pub async fn wait_for_text(&self, what: &str) -> String {
        let mut text = String::new();
        for _ in 0..100 {
            if let Ok(body) = self.driver.find(By::Tag("body")).await
                && let Ok(t) = body.text().await
            {
                text = t;
                if text.contains(what) {
                    return text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed `{what}`; it shows:\n{text}");
    }

    /// Saves a screenshot as `<name>-<what>.png` and returns its path.
    pub async fn shot(&self, what: &str) -> PathBuf {
        let path = self.shots.join(format!("{}-{what}.png", self.name));
        self.driver.screenshot(&path).await.expect("a screenshot");
        path
    }

    /// The width of the page's layout viewport, in CSS pixels (a page without
    /// `<meta name="viewport">` is laid out 980 px wide on a phone).
    pub async fn viewport_width(&self) -> u32 {
        self.eval("return document.documentElement.clientWidth").await.as_u64().unwrap_or_default() as u32
    }

    /// Whether the page scrolls sideways (content wider than the viewport).
    pub async fn overflows_sideways(&self) -> bool {
        self.eval("return document.documentElement.scrollWidth > window.innerWidth").await == serde_json::json!(true)
    }

    /// Closes the window.
    pub async fn close(self) {
        let _ = self.driver.quit().await;
    }
}
