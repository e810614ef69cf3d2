//! reqlog behind a real nginx (Debian's `nginx-light`), configured as the README's
//! deployment section says: whatever a client writes in its forwarding headers, the
//! logged client is the address nginx saw; a scanner behind nginx is refused, nginx
//! itself never is.
//!
//! Clients connect from other loopback addresses (127.0.0.2, 127.0.0.3, …) so that
//! nginx sees each as a different client; nginx reaches the app from 127.0.0.1.

mod support;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use reqlog::probe::{Block, ProbeDetector};
use reqlog::sink::MemorySink;
use reqlog::RequestLog;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";

/// nginx, or `None` (a loud skip) where it is not installed; under CI a missing nginx
/// fails the test.
fn nginx_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("nginx"))
            .find(|p| p.is_file())
    });
    let found = on_path.or_else(|| {
        let p = PathBuf::from("/usr/sbin/nginx");
        p.is_file().then_some(p)
    });
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("nginx not found: install the Debian package nginx-light");
        }
        eprintln!("SKIPPED: nginx not found (install the Debian package nginx-light)");
    }
    found
}

/// An nginx in the foreground with its own prefix, killed on drop.
struct Nginx {
    child: Child,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts nginx on a free loopback port, proxying to `upstream` with the README's
/// configuration.
async fn start_nginx(bin: &PathBuf, upstream: SocketAddr) -> (Nginx, SocketAddr) {
    let dir = std::env::temp_dir().join(format!(
        "reqlog-nginx-{}-{}",
        std::process::id(),
        upstream.port()
    ));
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let port = free_port();
    let conf = format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"#,
        dir = dir.display()
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(bin)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nginx starts");
    let nginx = Nginx { child, dir };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return (nginx, addr);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nginx did not listen on {addr}");
}

/// A GET from the loopback address `from`, with extra header lines; returns the status.
async fn get_from(from: &str, to: SocketAddr, path: &str, headers: &str) -> u16 {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse::<IpAddr>().unwrap(), 0))
        .unwrap();
    let mut stream = socket.connect(to).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: site.test\r\nUser-Agent: {FIREFOX}\r\n{headers}Connection: close\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn behind_nginx_the_client_is_who_nginx_saw() {
    let Some(bin) = nginx_binary() else { return };
    let memory = MemorySink::new();
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .route("/health", get(|| async { "ok" }))
        .layer(
            tower::ServiceBuilder::new()
                .layer(
                    RequestLog::new()
                        .sink(memory.clone())
                        .trust_proxies(["127.0.0.1/32".parse().unwrap()]),
                )
                .layer(ProbeDetector::new().block_scanners(Block::Forbidden)),
        );
    let app_addr = serve_axum(app).await;
    let (_nginx, proxy) = start_nginx(&bin, app_addr).await;

    // Whatever a client claims, it is the address nginx saw.
    let spoofs = [
        "",
        "X-Forwarded-For: 203.0.113.9\r\n",
        "X-Forwarded-For: 127.0.0.1\r\n",
        "Forwarded: for=203.0.113.9\r\n",
        "Forwarded: for=unknown\r\n",
        "X-Forwarded-For: unknown, , junk\r\n",
        "X-Real-IP: 203.0.113.9\r\n",
    ];
    for (i, h) in spoofs.iter().enumerate() {
        assert_eq!(
            get_from("127.0.0.2", proxy, &format!("/?i={i}"), h).await,
            200
        );
    }
    let records = memory.wait_for(spoofs.len(), WAIT).await;
    for r in &records {
        assert_eq!(
            r.str("client.address"),
            Some("127.0.0.2"),
            "{:?}",
            r.str("url.query")
        );
    }

    // A scanner behind nginx (ten distinct 404s), even one that names somebody else
    // in its headers, is refused; others are not, nor is nginx itself.
    for i in 0..10 {
        let h = "X-Forwarded-For: 127.0.0.2\r\nForwarded: for=127.0.0.4\r\n";
        assert_eq!(
            get_from("127.0.0.3", proxy, &format!("/nope/{i}"), h).await,
            404
        );
    }
    assert_eq!(get_from("127.0.0.3", proxy, "/", "").await, 403);
    assert_eq!(get_from("127.0.0.2", proxy, "/", "").await, 200);
    assert_eq!(get_from("127.0.0.4", proxy, "/", "").await, 200);
    // nginx's own address, straight to the app, as its health check would come.
    let (status, _) = fetch(app_addr, "/health HTTP/1.1").await;
    assert_eq!(status, 200);

    // And nginx itself, if it ever 404s on its own behalf, is never counted.
    for i in 0..12 {
        fetch(app_addr, &format!("/direct-nope/{i} HTTP/1.1")).await;
    }
    let (status, _) = fetch(app_addr, "/health HTTP/1.1").await;
    assert_eq!(status, 200);
    assert_eq!(get_from("127.0.0.2", proxy, "/", "").await, 200);
}
