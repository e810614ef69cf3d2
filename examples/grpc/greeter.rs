//! A small `helloworld.Greeter` gRPC service and its client, written by hand with
//! tonic's building blocks (`tonic::server::Grpc`, `tonic::client::Grpc` and the prost
//! codec) so that the example needs no `protoc` and no build script. Generated code
//! from `tonic-build` looks the same and is wired into `RequestLog` the same way.
//!
//! `tests/grpc.rs` uses this module too, so the example is what the tests check.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use http::uri::PathAndQuery;
use reqlog::actions::Actions;
use tonic::body::Body;
use tonic::codec::{ProstCodec, Streaming};
use tonic::server::{Grpc, NamedService, ServerStreamingService, UnaryService};
use tonic::transport::server::TcpConnectInfo;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

/// `message HelloRequest { string name = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `message HelloReply { string message = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    #[prost(string, tag = "1")]
    pub message: String,
}

/// ```proto
/// service Greeter {
///   rpc SayHello (HelloRequest) returns (HelloReply);          // OK
///   rpc FindFriend (HelloRequest) returns (HelloReply);        // NOT_FOUND
///   rpc Crash (HelloRequest) returns (HelloReply);             // INTERNAL
///   rpc SayHellos (HelloRequest) returns (stream HelloReply);  // 3 replies; "storm": UNAVAILABLE after 2
/// }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Greeter;

impl Greeter {
    async fn say_hello(&self, request: Request<HelloRequest>) -> Result<HelloReply, Status> {
        // The http request's extensions reach tonic's `Request`: the handle to this
        // call's log line is there.
        let actions = Actions::from_extensions(request.extensions());
        actions.add_with("greeting.sent", [("language", "en")]);
        Ok(HelloReply {
            message: format!("Hello {}!", request.into_inner().name),
        })
    }

    async fn find_friend(&self, request: Request<HelloRequest>) -> Result<HelloReply, Status> {
        // The message goes to the caller; reqlog does not log it (it may carry what the
        // caller sent), only the status name.
        Err(Status::not_found(format!(
            "no friend named {}",
            request.into_inner().name
        )))
    }

    async fn crash(&self, _request: Request<HelloRequest>) -> Result<HelloReply, Status> {
        Err(Status::internal("the greeting machine is broken"))
    }

    fn say_hellos(
        &self,
        request: Request<HelloRequest>,
    ) -> BoxStream<'static, Result<HelloReply, Status>> {
        let name = request.into_inner().name;
        let storm = name == "storm";
        stream::iter(1..=3)
            .then(move |n| {
                let name = name.clone();
                async move {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    if storm && n == 3 {
                        return Err(Status::unavailable("the weather turned"));
                    }
                    Ok(HelloReply {
                        message: format!("Hello {name}, #{n}"),
                    })
                }
            })
            .boxed()
    }
}

/// The server side: routes `/helloworld.Greeter/{method}` to [`Greeter`], as
/// generated code would.
#[derive(Clone, Debug, Default)]
pub struct GreeterServer {
    greeter: Greeter,
}

impl GreeterServer {
    pub fn new(greeter: Greeter) -> Self {
        GreeterServer { greeter }
    }
}

impl NamedService for GreeterServer {
    const NAME: &'static str = "helloworld.Greeter";
}

/// One unary method: which [`Greeter`] method a path calls.
#[derive(Clone, Copy)]
struct Unary(
    Greeter,
    fn(Greeter, Request<HelloRequest>) -> BoxFuture<'static, Result<HelloReply, Status>>,
);

impl UnaryService<HelloRequest> for Unary {
    type Response = HelloReply;
    type Future = BoxFuture<'static, Result<Response<HelloReply>, Status>>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        let reply = (self.1)(self.0, request);
        Box::pin(async move { reply.await.map(Response::new) })
    }
}

struct Hellos(Greeter);

impl ServerStreamingService<HelloRequest> for Hellos {
    type Response = HelloReply;
    type ResponseStream = BoxStream<'static, Result<HelloReply, Status>>;
    type Future = BoxFuture<'static, Result<Response<Self::ResponseStream>, Status>>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        let stream = self.0.say_hellos(request);
        Box::pin(async move { Ok(Response::new(stream)) })
    }
}

impl<B> tower::Service<http::Request<B>> for GreeterServer
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let greeter = self.greeter;
        let unary = |f| Some(Unary(greeter, f));
        let method = match req.uri().path() {
            "/helloworld.Greeter/SayHello" => {
                unary(|g, r| Box::pin(async move { g.say_hello(r).await }))
            }
            "/helloworld.Greeter/FindFriend" => {
                unary(|g, r| Box::pin(async move { g.find_friend(r).await }))
            }
            "/helloworld.Greeter/Crash" => unary(|g, r| Box::pin(async move { g.crash(r).await })),
            "/helloworld.Greeter/SayHellos" => {
                return Box::pin(async move {
                    let mut grpc = Grpc::new(ProstCodec::default());
                    Ok(grpc.server_streaming(Hellos(greeter), req).await)
                });
            }
            _ => None,
        };
        Box::pin(async move {
            Ok(match method {
                Some(method) => Grpc::new(ProstCodec::default()).unary(method, req).await,
                None => Status::unimplemented("no such method").into_http(),
            })
        })
    }
}

/// Copies the peer address tonic's server puts in the request extensions
/// ([`TcpConnectInfo`]) to where `RequestLog` looks for it (a `SocketAddr`), so the line
/// has `client.address`. Use it with `tower::ServiceBuilder::map_request`, before
/// `RequestLog`.
pub fn with_peer<B>(mut req: http::Request<B>) -> http::Request<B> {
    let peer = req
        .extensions()
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr);
    if let Some(peer) = peer {
        req.extensions_mut().insert(peer);
    }
    req
}

/// The client side, as generated code would write it.
#[derive(Clone, Debug)]
pub struct GreeterClient {
    grpc: tonic::client::Grpc<Channel>,
}

impl GreeterClient {
    pub async fn connect(addr: SocketAddr) -> Result<Self, tonic::transport::Error> {
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("a socket address makes a valid URI")
            .connect()
            .await?;
        Ok(GreeterClient {
            grpc: tonic::client::Grpc::new(channel),
        })
    }

    async fn unary(&mut self, path: &'static str, name: &str) -> Result<HelloReply, Status> {
        self.grpc
            .ready()
            .await
            .map_err(|e| Status::unavailable(format!("not ready: {e}")))?;
        let request = Request::new(HelloRequest { name: name.into() });
        let path = PathAndQuery::from_static(path);
        let reply = self
            .grpc
            .unary(request, path, ProstCodec::default())
            .await?;
        Ok(reply.into_inner())
    }

    pub async fn say_hello(&mut self, name: &str) -> Result<HelloReply, Status> {
        self.unary("/helloworld.Greeter/SayHello", name).await
    }

    pub async fn find_friend(&mut self, name: &str) -> Result<HelloReply, Status> {
        self.unary("/helloworld.Greeter/FindFriend", name).await
    }

    pub async fn crash(&mut self, name: &str) -> Result<HelloReply, Status> {
        self.unary("/helloworld.Greeter/Crash", name).await
    }

    pub async fn unknown_method(&mut self, name: &str) -> Result<HelloReply, Status> {
        self.unary("/helloworld.Greeter/Nope", name).await
    }

    /// The replies of `SayHellos`, read to the end: the messages, then the status.
    pub async fn say_hellos(&mut self, name: &str) -> (Vec<String>, Result<(), Status>) {
        let mut messages = Vec::new();
        let outcome = async {
            self.grpc
                .ready()
                .await
                .map_err(|e| Status::unavailable(format!("not ready: {e}")))?;
            let request = Request::new(HelloRequest { name: name.into() });
            let path = PathAndQuery::from_static("/helloworld.Greeter/SayHellos");
            let mut stream: Streaming<HelloReply> = self
                .grpc
                .server_streaming(request, path, ProstCodec::default())
                .await?
                .into_inner();
            while let Some(reply) = stream.message().await? {
                messages.push(reply.message);
            }
            Ok(())
        }
        .await;
        (messages, outcome)
    }
}
