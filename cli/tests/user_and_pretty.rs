//! `reqlog user`, `reqlog report --user` and `reqlog pretty`, through the binary, on
//! lines the middleware itself wrote.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use reqlog::format::{Format, JsonLines};
use reqlog::{Actions, RequestLog, UserActions};
use serde_json::Value;
use tower::ServiceExt;

const BIN: &str = env!("CARGO_BIN_EXE_reqlog");
const KEY: &str = "a site key of at least 32 bytes, for tests";

/// `reqlog ARGS…` with `input` on standard input and `env` added to a clean
/// environment for the key and colour variables.
fn reqlog(args: &[&str], env: &[(&str, &str)], input: &[u8]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("REQLOG_USER_ID_KEY")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("run reqlog");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// JSON lines written by `RequestLog` + `UserActions` under `KEY`: Ada logs in and
/// buys a course, Bob logs in, an anonymous visitor reads the home page.
fn site_log() -> Vec<u8> {
    let lines: Arc<Mutex<Vec<u8>>> = Arc::default();
    let sink = {
        let lines = lines.clone();
        reqlog::sink::from_fn(move |record| {
            JsonLines::new().format(record, &mut lines.lock().unwrap());
        })
    };
    let service = tower::service_fn(|req: Request<_>| async move {
        let actions = Actions::from_request(&req);
        let user = req
            .headers()
            .get("x-user")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match (req.uri().path(), user) {
            ("/account/login", Some(user)) => {
                actions.user(&user).add("account.login");
            }
            ("/purchase/rust", Some(user)) => {
                actions.user(&user).add("purchase");
            }
            _ => {}
        }
        Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
    });
    let service = tower::ServiceBuilder::new()
        .layer(RequestLog::new().sink(sink))
        .layer(UserActions::new().pseudonym_key(KEY.as_bytes()))
        .service(service);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for (path, user) in [
            ("/account/login", Some("Ada@Example.com")),
            ("/purchase/rust", Some("ada@example.com ")),
            ("/account/login", Some("bob@example.com")),
            ("/", None),
        ] {
            let mut req = Request::builder().uri(path);
            if let Some(user) = user {
                req = req.header("x-user", user);
            }
            let req = req.body(Full::new(Bytes::new())).unwrap();
            let response = service.clone().oneshot(req).await.unwrap();
            response.into_body().collect().await.unwrap();
        }
    });
    let lines = lines.lock().unwrap().clone();
    lines
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reqlog-user-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn the_pseudonym_is_the_one_on_the_sites_lines() {
    let log = site_log();
    let ids: Vec<(String, String)> = log
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .filter_map(|v| {
            Some((
                v["url.path"].as_str()?.to_owned(),
                v["enduser.pseudo.id"].as_str()?.to_owned(),
            ))
        })
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let ada = &ids[0].1;
    assert_eq!(&ids[1].1, ada);
    assert_ne!(&ids[2].1, ada);

    let env = [("REQLOG_USER_ID_KEY", KEY)];
    let out = reqlog(&["user", "ada@example.com"], &env, b"");
    assert_eq!(stdout(&out), format!("{ada}\n"));
    // The site's normalisation: trimmed, lower-cased.
    let out = reqlog(&["user", " ADA@example.COM"], &env, b"");
    assert_eq!(stdout(&out), format!("{ada}\n"));
    // The same key from a file (with the newline `echo` leaves).
    let key_file = temp_file("key", format!("{KEY}\n").as_bytes());
    let key_file = key_file.to_str().unwrap();
    let out = reqlog(
        &["user", "--key-file", key_file, "bob@example.com"],
        &[],
        b"",
    );
    assert_eq!(stdout(&out), format!("{}\n", ids[2].1));
    // Another key, another pseudonym.
    let out = reqlog(
        &["user", "ada@example.com"],
        &[("REQLOG_USER_ID_KEY", "another key")],
        b"",
    );
    assert_ne!(stdout(&out), format!("{ada}\n"));
}

#[test]
fn report_user_shows_that_users_requests_and_actions() {
    let log = temp_file("access.log", &site_log());
    let log = log.to_str().unwrap();
    let env = [("REQLOG_USER_ID_KEY", KEY)];
    let report = |args: &[&str]| -> Value {
        let mut all = vec!["report", "--json", "--no-progress"];
        all.extend_from_slice(args);
        all.push(log);
        serde_json::from_str(&stdout(&reqlog(&all, &env, b""))).unwrap()
    };
    let all = report(&[]);
    assert_eq!(all["overview"]["requests"], 4);
    let actions = |r: &Value| -> Vec<(String, u64)> {
        r["users"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_owned(),
                    a["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let ada = report(&["--user", "ada@example.com"]);
    assert_eq!(ada["overview"]["requests"], 2, "{ada:#}");
    assert_eq!(ada["users"]["distinct"], 1);
    assert_eq!(
        actions(&ada),
        [("account.login".to_owned(), 1), ("purchase".to_owned(), 1)]
    );
    let bob = report(&["--user", "bob@example.com"]);
    assert_eq!(bob["overview"]["requests"], 1);
    assert_eq!(actions(&bob), [("account.login".to_owned(), 1)]);
    // Repeated, the users are alternatives.
    let both = report(&["--user", "ada@example.com", "--user", "bob@example.com"]);
    assert_eq!(both["overview"]["requests"], 3);
    assert_eq!(both["users"]["distinct"], 2);
    let nobody = report(&["--user", "eve@example.com"]);
    assert_eq!(nobody["overview"]["requests"], 0);
}

#[test]
fn without_the_key_nothing_is_computed() {
    for args in [
        &["user", "ada@example.com"][..],
        &["report", "--user", "ada@example.com", "-"],
    ] {
        let out = reqlog(args, &[], b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--key-file") && err.contains("REQLOG_USER_ID_KEY"),
            "{err}"
        );
    }
    let out = reqlog(
        &["user", "--key-file", "/nonexistent/key", "a@b.c"],
        &[],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the key file"));
}

#[test]
fn pretty_turns_the_sites_lines_into_the_pretty_view() {
    let log = site_log();
    let mut input = b"not a JSON line\n".to_vec();
    input.extend_from_slice(&log);
    input.extend_from_slice(b"{\"url.path\":\"/x\\u001b[2J\\nfake\",\"level\":\"INFO\"}\n");
    let out = stdout(&reqlog(&["pretty"], &[], &input));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert_eq!(lines[0], "not a JSON line");
    assert!(
        lines[1].contains("INFO  GET /account/login 200 ") && lines[1].ends_with(" account.login"),
        "{out}"
    );
    assert!(lines[2].ends_with(" purchase"), "{out}");
    assert_eq!(lines[5], r"INFO  /x\x1b[2J\nfake");
    assert!(!out.contains('\x1b'));
    let coloured = stdout(&reqlog(&["pretty", "--color", "always"], &[], &log));
    assert!(coloured.contains("\x1b[1mGET\x1b[0m"), "{coloured}");
    let no_color = stdout(&reqlog(&["pretty"], &[("NO_COLOR", "1")], &log));
    assert!(!no_color.contains('\x1b'));
    // The same view as the format writes.
    let mut direct = Vec::new();
    let mut record = reqlog::Record::event("reqlog.test");
    record.set_level(reqlog::Level::Info);
    reqlog::format::Pretty::new().format(&record, &mut direct);
    let direct = String::from_utf8(direct).unwrap();
    assert!(direct.ends_with("INFO  reqlog.test\n"), "{direct}");
}
