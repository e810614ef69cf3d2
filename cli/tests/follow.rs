//! `reqlog report --follow` through the real binary: a log that grows, gets a line in
//! two writes, is rotated (renamed and replaced, the old file still written to), is
//! truncated in place, and the page rewritten atomically all along; Ctrl-C ends it.
#![cfg(unix)]

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_reqlog");

fn line(i: u32) -> String {
    format!(
        "203.0.113.{i} - - [24/Nov/2026:02:31:{:02} +0000] \"GET /p/{i} HTTP/1.1\" 200 15 \"-\" \"curl/8.5.0\"\n",
        i % 60
    )
}

fn append(path: &Path, text: &str) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// Kills the process if the test fails half-way.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The request count the page's header shows; checks the page is whole every time.
fn requests_in(page: &Path) -> Option<u64> {
    let html = fs::read_to_string(page).ok()?;
    assert!(
        html.trim_end().ends_with("</html>"),
        "a partial page was seen: {} bytes",
        html.len()
    );
    assert!(html.contains(r#"<meta http-equiv="refresh" content="1">"#));
    let head = html.split(" requests · ").next()?;
    head.rsplit(" · ").next()?.replace(',', "").parse().ok()
}

/// Polls the page until it shows `want` requests (or fails after 30 s).
fn wait_for(page: &Path, want: u64, what: &str) {
    let start = Instant::now();
    let mut seen = None;
    while start.elapsed() < Duration::from_secs(30) {
        seen = requests_in(page);
        if seen == Some(want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{what}: the page shows {seen:?} requests, not {want}");
}

#[test]
fn follows_growth_rotation_and_truncation() {
    let dir = std::env::temp_dir().join(format!("reqlog-follow-test-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let log: PathBuf = dir.join("access.log");
    let page = dir.join("out.html");
    append(&log, &(1..=3).map(line).collect::<String>());

    let child = Command::new(BIN)
        .args(["report", "--follow", "--interval", "1", "-o"])
        .arg(&page)
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run reqlog");
    let mut child = Running(child);
    wait_for(&page, 3, "the lines already there");

    // Growth, and a line written in two pieces: counted once its newline comes.
    let next = line(6);
    let (head, tail) = next.split_at(20);
    append(&log, &format!("{}{}{head}", line(4), line(5)));
    wait_for(&page, 5, "appended lines");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(requests_in(&page), Some(5), "a partial line was counted");
    append(&log, tail);
    wait_for(&page, 6, "the end of the partial line");

    // Rotation: renamed, the old writer still appends one line, then a new file.
    let rotated = dir.join("access.log.1");
    fs::rename(&log, &rotated).unwrap();
    append(&rotated, &line(7));
    append(&log, &format!("{}{}", line(8), line(9)));
    wait_for(&page, 9, "the rotated and the new file");

    // copytruncate: emptied in place, then written again.
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    std::thread::sleep(Duration::from_millis(600));
    append(&log, &line(10));
    wait_for(&page, 10, "the truncated file");

    // Ctrl-C: a last read and a last page, then a clean exit.
    append(&log, &line(11));
    let status = Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let exit = loop {
        if let Some(exit) = child.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no exit on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(exit.success(), "{exit:?}: {stderr}");
    assert!(stderr.contains("was replaced"), "{stderr}");
    assert!(stderr.contains("was truncated"), "{stderr}");
    assert_eq!(requests_in(&page), Some(11));
    // No temporary file left beside the page.
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "left behind: {names:?}"
    );
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn follow_takes_one_file_not_stdin() {
    for args in [
        &["report", "--follow", "-"][..],
        &["report", "--follow", "a.log", "b.log"],
    ] {
        let out = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--follow reads one FILE"), "{stderr}");
    }
    // A compressed file is a finished one.
    let gz = std::env::temp_dir().join(format!("reqlog-follow-{}.log.gz", std::process::id()));
    fs::write(&gz, [0x1f, 0x8b, 8, 0]).unwrap();
    let out = Command::new(BIN)
        .args(["report", "--follow"])
        .arg(&gz)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gzip-compressed"));
    fs::remove_file(&gz).ok();
    let out = Command::new(BIN)
        .args(["report", "--interval", "3", "a.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
