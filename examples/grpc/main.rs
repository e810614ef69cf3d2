//! A tonic gRPC server with `RequestLog`: one line per call, failed calls marked.
//!
//! ```text
//! cargo run --example grpc                      # serves on 127.0.0.1:50051, then calls itself
//! cargo run --example grpc -- --serve           # serves only (try grpcurl -plaintext …)
//! ```
//!
//! What to look at: each call's line has `rpc.system.name` (`grpc`), `rpc.method`
//! (`helloworld.Greeter/SayHello`) and `rpc.response.status_code`. `SayHello` is `OK`
//! and carries the `greeting.sent` action its handler attached through `Actions`;
//! `FindFriend` answers HTTP 200 with `NOT_FOUND`, so its line has `outcome: "error"` at
//! `WARN`; `Crash` is `INTERNAL`: `ERROR` with `error.type: "INTERNAL"`; the streamed
//! `SayHellos` gets its status from the trailers at the end of the stream.

mod greeter;

use std::net::SocketAddr;

use greeter::{Greeter, GreeterClient, GreeterServer};
use reqlog::actions::UserActions;
use reqlog::{AppStart, RequestLog};
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let serve_only = std::env::args().any(|a| a == "--serve");
    let (sink, _guard) = reqlog::sink::stdout(); // flushes on exit
    let log = RequestLog::new().sink(sink);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:50051").await?;
    let addr: SocketAddr = listener.local_addr()?;
    log.log_start(AppStart::new("greeter").listening(addr));

    // `RequestLog` outermost; `with_peer` first, so the line has the client's address.
    let layers = tower::ServiceBuilder::new()
        .map_request(greeter::with_peer)
        .layer(log)
        .layer(UserActions::new());
    let server = Server::builder()
        .layer(layers)
        .add_service(GreeterServer::new(Greeter))
        .serve_with_incoming(TcpIncoming::from(listener));

    if serve_only {
        return Ok(server.await?);
    }
    tokio::spawn(server);
    let mut client = GreeterClient::connect(addr).await?;
    // The caller's view, on lines starting with `#`; the log lines are the server's.
    let code = |s: tonic::Status| s.code();
    println!("# {:?}", client.say_hello("Ada").await.map_err(code));
    println!("# {:?}", client.find_friend("Bob").await.map_err(code));
    println!("# {:?}", client.crash("Eve").await.map_err(code));
    for name in ["Ada", "storm"] {
        let (messages, end) = client.say_hellos(name).await;
        println!("# {messages:?} then {:?}", end.map_err(code));
    }
    // The server writes a call's line as its last frame goes out: give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    Ok(())
}
