//! Which proxy, if any, a connection goes through.
//!
//! Rules (curl's, with Go's where curl has none; see the README's "Proxies"):
//! * The client option `proxy` wins: a URL sends every connection through that proxy and
//!   the environment is not read at all (`NO_PROXY` included, as with Go's
//!   `http.ProxyURL`); `"none"` connects directly whatever the environment says.
//! * Otherwise the environment, read when the client is built: for an `http` server
//!   `http_proxy`, then `HTTP_PROXY`; for `https` `https_proxy`, then `HTTPS_PROXY`; then
//!   `all_proxy`, then `ALL_PROXY`. Lower case wins (curl). Empty values count as unset.
//!   `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set (a CGI process, where a client's
//!   `Proxy:` header becomes `HTTP_PROXY`: "httpoxy"; Go does the same).
//! * `no_proxy`, then `NO_PROXY` (see [`NoProxy`]) lists hosts reached directly. Loopback
//!   is *not* bypassed unless listed (curl; Go always bypasses `localhost` and loopback).
//! * A proxy URL is `http://[user[:password]@]host[:port][/]`; no scheme means `http`, no
//!   port means 80 (Go; curl uses 1080). `https://` proxies (TLS to the proxy) and SOCKS
//!   are refused with `invalid_argument`. An unusable URL in the environment fails the calls
//!   that would use it (never silently connecting directly); one in the option is refused
//!   when the client is built.
//! * Credentials go only into `Proxy-Authorization: Basic`; never into errors or `Debug`.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::{Error, Result};

/// A parsed `http://` proxy URL.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ProxyUrl {
    /// Host name or IP (IPv6 without brackets).
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Basic …` for `Proxy-Authorization`, when the URL had userinfo.
    pub(crate) authorization: Option<String>,
}

/// Host and port only: credentials are never shown.
impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyUrl")
            .field("address", &self.address())
            .field("credentials", &self.authorization.is_some())
            .finish()
    }
}

impl ProxyUrl {
    /// Parses `text`; `source` names it in errors (the text itself may hold a password).
    pub(crate) fn parse(text: &str, source: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid_argument(format!("{source}: {why}"));
        let text = text.trim();
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("http".to_owned(), text),
        };
        match scheme.as_str() {
            "http" => {}
            "https" => return Err(bad("HTTPS proxies (TLS to the proxy) are not supported; use an http:// proxy URL")),
            s if s.starts_with("socks") => return Err(bad("SOCKS proxies are not supported; use an http:// proxy")),
            _ => return Err(bad("not a proxy URL (expected http://host:port)")),
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !path.is_empty() || authority.contains(['?', '#']) {
            return Err(bad("a proxy URL has no path, query or fragment"));
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport).ok_or_else(|| bad("invalid host or port"))?;
        let valid_name = host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if host.is_empty() || !(valid_name || host.parse::<IpAddr>().is_ok()) {
            return Err(bad("invalid host"));
        }
        let authorization = match userinfo {
            None => None,
            Some(userinfo) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().map(|s| s.into_owned());
                let (user, password) = (
                    decode(user).map_err(|_| bad("invalid user name"))?,
                    decode(password).map_err(|_| bad("invalid password"))?,
                );
                Some(format!("Basic {}", STANDARD.encode(format!("{user}:{password}"))))
            }
        };
        Ok(ProxyUrl { host: host.to_owned(), port: port.unwrap_or(80), authorization })
    }

    /// `host:port` (IPv6 in brackets): how errors name the proxy.
    pub(crate) fn address(&self) -> String {
        authority(&self.host, self.port)
    }
}

/// `host:port`, with brackets around an IPv6 host.
pub(crate) fn authority(host: &str, port: u16) -> String {
    match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    }
}

/// Splits `host[:port]` / `[v6][:port]`; `None` when the port is not a valid non-zero u16.
fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p != 0);
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            _ => Some((host, Some(port(after.strip_prefix(':')?)?))),
        };
    }
    match text.rsplit_once(':') {
        Some((host, p)) if !host.contains(':') => Some((host, Some(port(p)?))),
        Some(_) => None,
        None => Some((text, None)),
    }
}

/// The client option `proxy`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum ProxyOption {
    /// Not set: the environment decides.
    #[default]
    Environment,
    /// `"none"`: always connect directly.
    Direct,
    /// A proxy for every connection.
    Url(ProxyUrl),
}

impl ProxyOption {
    pub(crate) fn parse(text: &str) -> Result<Self> {
        match text.trim() {
            t if t.eq_ignore_ascii_case("none") => Ok(ProxyOption::Direct),
            "" => Err(Error::invalid_argument("proxy: empty (use a URL, or \"none\" to ignore the environment)")),
            t => Ok(ProxyOption::Url(ProxyUrl::parse(t, "proxy")?)),
        }
    }
}

/// How a client reads environment variables: the process's, or a fixed map (tests).
#[derive(Clone, Default)]
pub(crate) enum Environment {
    #[default]
    Process,
    Fixed(Arc<HashMap<String, String>>),
}

impl Environment {
    fn get(&self, name: &str) -> Option<String> {
        let value = match self {
            Environment::Process => std::env::var(name).ok(),
            Environment::Fixed(map) => map.get(name).cloned(),
        };
        value.filter(|v| !v.trim().is_empty())
    }

    /// The first set variable of `names`, with its name.
    fn first(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names.iter().find_map(|n| self.get(n).map(|v| (*n, v)))
    }
}

/// The proxy decision of one client, fixed when it is built.
#[derive(Clone, Debug, Default)]
pub(crate) struct Proxies {
    http: Option<std::result::Result<ProxyUrl, Error>>,
    https: Option<std::result::Result<ProxyUrl, Error>>,
    no_proxy: NoProxy,
}

impl Proxies {
    pub(crate) fn new(option: &ProxyOption, env: &Environment) -> Self {
        match option {
            ProxyOption::Direct => Proxies::default(),
            ProxyOption::Url(url) => {
                Proxies { http: Some(Ok(url.clone())), https: Some(Ok(url.clone())), ..Default::default() }
            }
            ProxyOption::Environment => {
                let cgi = env.get("REQUEST_METHOD").is_some();
                let http_names: &[&str] = if cgi { &["http_proxy"] } else { &["http_proxy", "HTTP_PROXY"] };
                let pick = |names: &[&'static str]| {
                    env.first(names)
                        .or_else(|| env.first(&["all_proxy", "ALL_PROXY"]))
                        .map(|(name, v)| ProxyUrl::parse(&v, &format!("the {name} environment variable")))
                };
                Proxies {
                    http: pick(http_names),
                    https: pick(&["https_proxy", "HTTPS_PROXY"]),
                    no_proxy: env.first(&["no_proxy", "NO_PROXY"]).map(|(_, v)| NoProxy::parse(&v)).unwrap_or_default(),
                }
            }
        }
    }

    /// The proxy for a connection to `host:port` (`secure`: an `https`/`wss` server), or
    /// `None` to connect directly. An unusable proxy URL from the environment is an error.
    pub(crate) fn route(&self, secure: bool, host: &str, port: u16) -> Result<Option<&ProxyUrl>> {
        let chosen = if secure { &self.https } else { &self.http };
        match chosen {
            None => Ok(None),
            Some(_) if self.no_proxy.matches(host, port) => Ok(None),
            Some(Ok(proxy)) => Ok(Some(proxy)),
            Some(Err(e)) => Err(e.clone()),
        }
    }
}

/// `NO_PROXY`: comma-separated entries, any surrounding spaces ignored, case-insensitive.
/// * `*` alone: every host is reached directly.
/// * An IP (`10.1.2.3`, `::1`, `[::1]`) or a CIDR block (`10.0.0.0/8`, `fd00::/8`): a server
///   given by an IP literal in it. Names are never resolved to match these.
/// * A domain (`example.com`, `.example.com` or `*.example.com` alike): that host and every
///   host under it (`api.example.com`), never `notexample.com`. A trailing dot is ignored.
/// * Any entry may end in `:port` to match only that port.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    all: bool,
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    Net { ip: IpAddr, prefix: u8, port: Option<u16> },
    Domain { name: String, port: Option<u16> },
}

impl NoProxy {
    pub(crate) fn parse(text: &str) -> Self {
        let mut no_proxy = NoProxy::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "*" {
                no_proxy.all = true;
            } else if let Some(entry) = Entry::parse(&item.to_ascii_lowercase()) {
                no_proxy.entries.push(entry);
            }
        }
        no_proxy
    }

    pub(crate) fn matches(&self, host: &str, port: u16) -> bool {
        if self.all {
            return true;
        }
        let host = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        self.entries.iter().any(|entry| match entry {
            Entry::Net { ip: net, prefix, port: p } => {
                p.is_none_or(|p| p == port) && ip.is_some_and(|ip| in_block(ip, *net, *prefix))
            }
            Entry::Domain { name, port: p } => {
                p.is_none_or(|p| p == port)
                    && (host == *name || host.strip_suffix(name.as_str()).is_some_and(|head| head.ends_with('.')))
            }
        })
    }
}

impl Entry {
    fn parse(item: &str) -> Option<Entry> {
        if let Some((ip, bits)) = item.split_once('/') {
            let ip: IpAddr = ip.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
            let prefix: u8 = bits.parse().ok().filter(|b| *b <= max_prefix(ip))?;
            return Some(Entry::Net { ip, prefix, port: None });
        }
        if let Ok(ip) = item.parse::<IpAddr>() {
            return Some(Entry::Net { ip, prefix: max_prefix(ip), port: None });
        }
        let (host, port) = split_host_port(item)?;
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Some(Entry::Net { ip, prefix: max_prefix(ip), port });
        }
        let name = host.strip_prefix("*.").or_else(|| host.strip_prefix('.')).unwrap_or(host).trim_end_matches('.');
        (!name.is_empty()).then(|| Entry::Domain { name: name.to_owned(), port })
    }
}

fn max_prefix(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

fn in_block(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let same_prefix = |a: u128, b: u128, width: u32| {
        let shift = width - u32::from(prefix);
        shift >= width || (a >> shift) == (b >> shift)
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => same_prefix(u32::from(a).into(), u32::from(b).into(), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => same_prefix(a.into(), b.into(), 128),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        Environment::Fixed(Arc::new(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()))
    }

    fn via(p: &Proxies, secure: bool, host: &str, port: u16) -> Option<String> {
        p.route(secure, host, port).unwrap().map(ProxyUrl::address)
    }

    #[test]
    fn proxy_urls() {
        let p = ProxyUrl::parse("http://bob:s%3Acret@proxy.corp:3128/", "x").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.corp", 3128));
        assert_eq!(p.authorization.as_deref(), Some(format!("Basic {}", STANDARD.encode("bob:s:cret")).as_str()));
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("bob") && !dbg.contains("cret"), "{dbg}");
        assert_eq!(ProxyUrl::parse("proxy.corp", "x").unwrap().address(), "proxy.corp:80");
        assert_eq!(ProxyUrl::parse("HTTP://[::1]:8080", "x").unwrap().address(), "[::1]:8080");
        for bad in [
            "socks5://h:1080",
            "https://h:443",
            "ftp://h",
            "http://h:0",
            "http://h:99999",
            "http://h/p",
            "http://",
            "http://a b",
        ] {
            let e = ProxyUrl::parse(bad, "the X variable").unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{bad}");
            assert!(e.message().starts_with("the X variable: "), "{bad}: {}", e.message());
        }
        let e = ProxyUrl::parse("socks5://u:hunter2@h:1", "proxy").unwrap_err();
        assert!(e.message().contains("SOCKS") && !e.message().contains("hunter2"), "{}", e.message());
        assert_eq!(ProxyOption::parse("None").unwrap(), ProxyOption::Direct);
        assert!(ProxyOption::parse(" ").is_err());
    }

    #[test]
    fn environment_precedence() {
        let p = Proxies::new(
            &ProxyOption::Environment,
            &env(&[("http_proxy", "low:1"), ("HTTP_PROXY", "up:2"), ("HTTPS_PROXY", "sec:3"), ("ALL_PROXY", "all:4")]),
        );
        assert_eq!(via(&p, false, "h", 80).as_deref(), Some("low:1"), "lower case wins");
        assert_eq!(via(&p, true, "h", 443).as_deref(), Some("sec:3"));
        let p = Proxies::new(&ProxyOption::Environment, &env(&[("all_proxy", "a:1"), ("ALL_PROXY", "b:2")]));
        assert_eq!(via(&p, false, "h", 80).as_deref(), Some("a:1"));
        assert_eq!(via(&p, true, "h", 443).as_deref(), Some("a:1"), "all_proxy serves both schemes");
        let p = Proxies::new(&ProxyOption::Environment, &env(&[("HTTP_PROXY", "up:2"), ("REQUEST_METHOD", "GET")]));
        assert_eq!(via(&p, false, "h", 80), None, "HTTP_PROXY ignored under CGI");
        let p = Proxies::new(&ProxyOption::Environment, &env(&[("HTTP_PROXY", " ")]));
        assert_eq!(via(&p, false, "h", 80), None, "empty is unset");
        let p = Proxies::new(&ProxyOption::Environment, &env(&[("HTTPS_PROXY", "socks5://h:1")]));
        let e = p.route(true, "h", 443).unwrap_err();
        assert!(e.message().contains("HTTPS_PROXY") && e.message().contains("SOCKS"), "{}", e.message());
        assert_eq!(via(&p, false, "h", 80), None, "http targets do not use HTTPS_PROXY");
    }

    #[test]
    fn option_overrides_the_environment() {
        let e = env(&[("HTTP_PROXY", "envproxy:1"), ("NO_PROXY", "*")]);
        let opt = ProxyOption::parse("http://opt:9").unwrap();
        assert_eq!(via(&Proxies::new(&opt, &e), false, "h", 80).as_deref(), Some("opt:9"), "NO_PROXY not read");
        assert_eq!(via(&Proxies::new(&ProxyOption::Direct, &e), false, "h", 80), None);
    }

    #[test]
    fn no_proxy_rules() {
        let n = NoProxy::parse(
            " Example.com, .corp.test ,*.wild.test,10.0.0.0/8, ::1 ,[fe80::1]:8443, api.x:8080,192.168.1.5",
        );
        let yes = [
            ("example.com", 1),
            ("EXAMPLE.com.", 1),
            ("a.b.example.com", 1),
            ("corp.test", 1),
            ("x.corp.test", 1),
            ("wild.test", 1),
            ("z.wild.test", 1),
            ("10.200.3.4", 1),
            ("[::1]", 1),
            ("::1", 1),
            ("[fe80::1]", 8443),
            ("api.x", 8080),
            ("192.168.1.5", 2),
        ];
        for (host, port) in yes {
            assert!(n.matches(host, port), "{host}:{port}");
        }
        let no = [
            ("notexample.com", 1),
            ("example.com.evil", 1),
            ("11.0.0.1", 1),
            ("localhost", 1),
            ("127.0.0.1", 1),
            ("[fe80::1]", 443),
            ("api.x", 80),
            ("192.168.1.6", 1),
        ];
        for (host, port) in no {
            assert!(!n.matches(host, port), "{host}:{port}");
        }
        assert!(NoProxy::parse("a, *").matches("anything", 1));
        assert!(NoProxy::parse("127.0.0.0/8").matches("127.9.9.9", 1));
        assert!(NoProxy::parse("fd00::/8").matches("fd12::1", 1));
        assert!(!NoProxy::parse("fd00::/8").matches("fe12::1", 1));
        assert!(NoProxy::parse("0.0.0.0/0").matches("8.8.8.8", 1));
        assert!(!NoProxy::parse("0.0.0.0/0").matches("::1", 1));
    }
}
