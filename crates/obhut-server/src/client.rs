//! Who the client is: the socket peer, or — only when the peer is a trusted proxy
//! (`trusted_proxies`) — the address that proxy names in `Forwarded` (RFC 7239) or
//! `X-Forwarded-For`; and the network the throttles count it under (/24 for IPv4, /56 for
//! IPv6, where one household or office usually sits).

use crate::app::App;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The client's address, as far as the configured proxies let us know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The network the throttles count this client under.
    pub fn network(&self) -> IpNet {
        network(self.0)
    }
}

impl FromRequestParts<App> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        // Every connection of the serve loop carries its peer; without one (never in a running
        // server) all such requests share the unspecified address.
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientIp(client_ip(peer, &parts.headers, &app.config.trusted_proxies)))
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as the IPv4 address it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

pub fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|n| n.contains(&ip))
}

/// The client of a request that arrived from `peer`. From an untrusted peer the forwarding
/// headers are ignored (anyone can write them). From a trusted proxy the hops it reports are
/// read from the nearest backwards, and the first address that is not itself a trusted proxy
/// is the client; an unknown or obfuscated hop stops the walk at the proxy that reported it.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let mut client = canonical(peer);
    if !is_trusted(client, trusted) {
        return client;
    }
    for hop in forwarded_hops(headers).into_iter().rev() {
        match hop {
            Some(ip) => {
                client = canonical(ip);
                if !is_trusted(client, trusted) {
                    return client;
                }
            }
            None => return client,
        }
    }
    client
}

/// The network of an address the throttles count under: /24 for IPv4, /56 for IPv6.
pub fn network(ip: IpAddr) -> IpNet {
    let ip = canonical(ip);
    let prefix = if ip.is_ipv4() { 24 } else { 56 };
    IpNet::new(ip, prefix).map_or(IpNet::from(ip), |n| n.trunc())
}

/// The hops a proxy reports, client first: `Forwarded` when present (RFC 7239 `for=`), else
/// `X-Forwarded-For`. `None` stands for a hop given as `unknown`, obfuscated, or unreadable.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers.get_all(header::FORWARDED).iter().filter_map(|v| v.to_str().ok()).collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| split_outside_quotes(v, ','))
            .map(|element| {
                split_outside_quotes(element, ';')
                    .into_iter()
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_node(v.trim().trim_matches('"')))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| parse_node(s.trim()))
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:8080`.
fn parse_node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[').and_then(|r| r.split(']').next()).and_then(|v6| v6.parse().ok())
}

/// Splits at `sep` where it does not stand inside a quoted string.
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn trusted() -> Vec<IpNet> {
        crate::config::parse_nets("10.0.0.0/8, 2001:db8:ffff::/48").unwrap_or_default()
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(client_ip(ip("203.0.113.9"), &h, &trusted()), ip("203.0.113.9"), "an untrusted peer names nobody");
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted()), ip("198.51.100.7"));
        assert_eq!(client_ip(ip("::ffff:10.0.0.2"), &h, &trusted()), ip("198.51.100.7"), "a mapped address is its IPv4 self");
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &[]), ip("10.0.0.2"), "no trusted proxies: headers ignored");
    }

    #[test]
    fn a_forged_leading_hop_is_skipped_and_proxies_in_the_chain_are_walked_past() {
        // The client wrote "1.2.3.4" itself; the outer proxy 10.0.0.3 appended the real peer.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.3")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted()), ip("198.51.100.7"));
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted()), ip("198.51.100.7"), "repeated headers are one list");
        let h = headers(&[("x-forwarded-for", "10.0.0.9")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted()), ip("10.0.0.9"), "all trusted: the farthest");
        let h = headers(&[("x-forwarded-for", "198.51.100.7, garbage")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted()), ip("10.0.0.2"), "an unreadable hop stops at its proxy");
    }

    #[test]
    fn forwarded_is_read_as_rfc_7239_writes_it_and_wins_over_x_forwarded_for() {
        let h = headers(&[
            ("forwarded", r#"for=192.0.2.43;proto=https, for="[2001:db8:cafe::17]:4711";by=10.0.0.3"#),
            ("x-forwarded-for", "198.51.100.99"),
        ]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted()), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "for=unknown"), ("forwarded", "For=\"10.1.1.1:80\"")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted()), ip("10.1.1.1"), "an unknown hop stops at the proxy that saw it");
        let h = headers(&[("forwarded", "for=_hidden;proto=http")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted()), ip("10.0.0.2"));
        let h = headers(&[("forwarded", r#"for="192.0.2.1";x="a,b", for=192.0.2.2"#)]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted()), ip("192.0.2.2"), "a comma inside quotes separates nothing");
    }

    #[test]
    fn clients_are_counted_by_network() {
        assert_eq!(network(ip("203.0.113.77")).to_string(), "203.0.113.0/24");
        assert_eq!(network(ip("::ffff:203.0.113.77")).to_string(), "203.0.113.0/24");
        assert_eq!(network(ip("2001:db8:abcd:12ff:1::1")).to_string(), "2001:db8:abcd:1200::/56");
    }
}
