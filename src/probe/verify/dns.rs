//! Forward-confirmed reverse DNS with hickory-resolver (cargo feature `verify-dns`):
//! the address's PTR names, the first few in the operator's domains, and their A or
//! AAAA records, which must include the address.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveError, Resolver};

use super::operators::in_domain;
use super::worker::{Dns, Outcome};

/// PTR names looked at per address (a legitimate crawler has one).
const MAX_NAMES: usize = 4;

pub(crate) struct Fcrdns {
    resolver: Resolver<TokioConnectionProvider>,
}

impl Fcrdns {
    /// A resolver on the system's configuration (`/etc/resolv.conf`), or on `server`.
    /// Call inside a tokio runtime.
    pub(crate) fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Fcrdns, String> {
        let provider = TokioConnectionProvider::default();
        let mut builder = match server {
            Some(addr) => {
                let group = NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true);
                Resolver::builder_with_config(ResolverConfig::from_parts(None, vec![], group), provider)
            }
            None => Resolver::builder(provider).map_err(|e| {
                format!("cannot read the system's DNS configuration ({e}); give a server with CrawlerVerifier::resolver")
            })?,
        };
        let opts = builder.options_mut();
        opts.timeout = timeout;
        opts.attempts = 1;
        // Our own cache keeps the verdicts; the names are looked up once per address.
        opts.cache_size = 64;
        opts.use_hosts_file = ResolveHosts::Never;
        Ok(Fcrdns {
            resolver: builder.build(),
        })
    }

    async fn verify(&self, ip: IpAddr, domains: &'static [&'static str]) -> Outcome {
        let names = match self.resolver.reverse_lookup(ip).await {
            Ok(names) => names,
            Err(e) => return definite_or_failed(&e, Outcome::Impostor),
        };
        let mut failure = None;
        for ptr in names.iter().take(MAX_NAMES) {
            let name = &ptr.0;
            let text = name.to_ascii();
            if !domains.iter().any(|d| in_domain(&text, d)) {
                continue;
            }
            let forward = match ip {
                IpAddr::V4(v4) => self
                    .resolver
                    .ipv4_lookup(name.clone())
                    .await
                    .map(|l| l.iter().any(|a| a.0 == v4)),
                IpAddr::V6(v6) => self
                    .resolver
                    .ipv6_lookup(name.clone())
                    .await
                    .map(|l| l.iter().any(|a| a.0 == v6)),
            };
            match forward {
                Ok(true) => return Outcome::Verified,
                Ok(false) => {}
                Err(e) => {
                    if let Outcome::Failed(why) = definite_or_failed(&e, Outcome::Impostor) {
                        failure = Some(why);
                    }
                }
            }
        }
        match failure {
            Some(why) => Outcome::Failed(why),
            None => Outcome::Impostor,
        }
    }
}

/// `definite` when DNS answered "no such name" or "no such record"; a failure otherwise
/// (timeout, refused, server failure), which leaves the verdict unknown.
fn definite_or_failed(e: &ResolveError, definite: Outcome) -> Outcome {
    if let Some(proto) = e.proto() {
        if let ProtoErrorKind::NoRecordsFound { response_code, .. } = proto.kind() {
            if matches!(
                *response_code,
                ResponseCode::NXDomain | ResponseCode::NoError
            ) {
                return definite;
            }
        }
    }
    Outcome::Failed(e.to_string())
}

impl Dns for Fcrdns {
    fn check<'a>(
        &'a self,
        ip: IpAddr,
        domains: &'static [&'static str],
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>> {
        Box::pin(self.verify(ip, domains))
    }
}
