//! A tiny authoritative DNS server for tests: TXT records only, over UDP and TCP on 127.0.0.1.
//!
//! Every name it knows answers TXT queries with the values it holds (split into 255-byte
//! character-strings, TTL 0 so resolvers do not cache them); other query types for a known name get an
//! empty NOERROR answer, and unknown names get NXDOMAIN. Both negative answers carry an SOA with TTL 0.
//! UDP answers larger than the client's limit (512 bytes, or its EDNS0 payload size) are sent truncated
//! (TC bit), so a well-behaved resolver retries over TCP, which is served on the same port.
//!
//! Records can be added, replaced or removed while the server runs. The server stops when the
//! [`TestDns`] is dropped.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

const TYPE_TXT: u16 = 16;
const TYPE_SOA: u16 = 6;
const TYPE_OPT: u16 = 41;
const CLASS_IN: u16 = 1;
const RCODE_FORMERR: u8 = 1;
const RCODE_NXDOMAIN: u8 = 3;
const RCODE_NOTIMP: u8 = 4;
/// The UDP payload size this server advertises and accepts at most.
const MAX_UDP: usize = 1232;

/// A running test DNS server.
pub struct TestDns {
    /// Where it listens, for UDP and TCP alike.
    pub addr: SocketAddr,
    state: Arc<State>,
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Default)]
struct State {
    /// Lowercase name without trailing dot -> TXT values.
    records: Mutex<HashMap<String, Vec<String>>>,
    /// When non-zero, the UDP size limit regardless of what the client advertises.
    udp_limit: AtomicUsize,
    udp_queries: AtomicUsize,
    tcp_queries: AtomicUsize,
}

/// Starts a server holding `records` (name, TXT value); a name listed twice gets two TXT records.
pub async fn start(records: Vec<(String, String)>) -> TestDns {
    let state = Arc::new(State::default());
    {
        let mut map = state.records.lock().unwrap();
        for (name, value) in records {
            map.entry(normalize(&name)).or_default().push(value);
        }
    }

    // Bind UDP on an ephemeral port, then TCP on the same port (retrying if that port is taken for TCP).
    let (udp, tcp) = 'bind: {
        for _ in 0..50 {
            let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
            if let Ok(tcp) = TcpListener::bind(udp.local_addr().unwrap()).await {
                break 'bind (udp, tcp);
            }
        }
        panic!("no port free for both UDP and TCP");
    };
    let addr = udp.local_addr().unwrap();

    let udp_task = tokio::spawn(serve_udp(udp, state.clone()));
    let tcp_task = tokio::spawn(serve_tcp(tcp, state.clone()));
    TestDns { addr, state, tasks: vec![udp_task, tcp_task] }
}

impl TestDns {
    /// Sets `name`'s TXT record to the single `value`, replacing whatever it had.
    pub fn set(&self, name: &str, value: &str) {
        self.state.records.lock().unwrap().insert(normalize(name), vec![value.to_string()]);
    }

    /// Adds one more TXT record to `name`.
    pub fn add(&self, name: &str, value: &str) {
        self.state.records.lock().unwrap().entry(normalize(name)).or_default().push(value.to_string());
    }

    /// Removes `name`, which then answers NXDOMAIN.
    pub fn remove(&self, name: &str) {
        self.state.records.lock().unwrap().remove(&normalize(name));
    }

    /// Caps UDP answers at `bytes` whatever EDNS0 size the client asks for (0 restores the default),
    /// e.g. 512 (or less) to force large answers over TCP.
    pub fn set_udp_limit(&self, bytes: usize) {
        self.state.udp_limit.store(bytes, Ordering::SeqCst);
    }

    /// How many queries arrived over UDP so far.
    pub fn udp_queries(&self) -> usize {
        self.state.udp_queries.load(Ordering::SeqCst)
    }

    /// How many queries arrived over TCP so far.
    pub fn tcp_queries(&self) -> usize {
        self.state.tcp_queries.load(Ordering::SeqCst)
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

async fn serve_udp(socket: UdpSocket, state: Arc<State>) {
    let mut buf = vec![0u8; 65535];
    loop {
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else { continue };
        state.udp_queries.fetch_add(1, Ordering::SeqCst);
        let Some(query) = parse_query(&buf[..len]) else { continue };
        let limit = match state.udp_limit.load(Ordering::SeqCst) {
            0 => query.edns_payload.map_or(512, |size| usize::from(size).clamp(512, MAX_UDP)),
            forced => forced,
        };
        let mut reply = answer(&query, &state);
        if reply.len() > limit {
            reply = truncated(&query);
        }
        let _ = socket.send_to(&reply, peer).await;
    }
}

async fn serve_tcp(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        tokio::spawn(serve_tcp_conn(stream, state.clone()));
    }
}

async fn serve_tcp_conn(mut stream: TcpStream, state: Arc<State>) {
    loop {
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).await.is_err() {
            return;
        }
        let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if stream.read_exact(&mut msg).await.is_err() {
            return;
        }
        state.tcp_queries.fetch_add(1, Ordering::SeqCst);
        let Some(query) = parse_query(&msg) else { return };
        let reply = answer(&query, &state);
        let mut framed = Vec::with_capacity(reply.len() + 2);
        framed.extend_from_slice(&(reply.len() as u16).to_be_bytes());
        framed.extend_from_slice(&reply);
        if stream.write_all(&framed).await.is_err() {
            return;
        }
    }
}

/// What we need from a query.
struct Query {
    id: u16,
    /// Opcode and RD bit of the query's flags.
    flags: u16,
    /// The question section exactly as received (name, type, class), to echo back.
    question: Vec<u8>,
    /// The question name, lowercase, without trailing dot; None if malformed.
    name: Option<String>,
    qtype: u16,
    qdcount: u16,
    /// The EDNS0 UDP payload size, if the query has an OPT record.
    edns_payload: Option<u16>,
}

fn parse_query(msg: &[u8]) -> Option<Query> {
    if msg.len() < 12 {
        return None;
    }
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    if flags & 0x8000 != 0 {
        return None; // a response, not a query
    }
    let qdcount = u16::from_be_bytes([msg[4], msg[5]]);
    let arcount = u16::from_be_bytes([msg[10], msg[11]]);
    let mut query =
        Query { id, flags: flags & 0x7900, question: Vec::new(), name: None, qtype: 0, qdcount, edns_payload: None };
    if qdcount != 1 {
        return Some(query);
    }

    // The question name: uncompressed labels up to the root.
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*msg.get(pos)?);
        if len == 0 {
            pos += 1;
            break;
        }
        if len > 63 {
            return Some(query); // compression or garbage in a question: FORMERR
        }
        labels.push(String::from_utf8_lossy(msg.get(pos + 1..pos + 1 + len)?).to_ascii_lowercase());
        pos += 1 + len;
    }
    let fixed = msg.get(pos..pos + 4)?;
    query.qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    query.question = msg[12..pos + 4].to_vec();
    query.name = Some(labels.join("."));
    pos += 4;

    // Look for an OPT record among the additionals (skipping any answer/authority records is not needed:
    // queries carry none).
    for _ in 0..arcount {
        let (after_name, root) = skip_name(msg, pos)?;
        let rr = msg.get(after_name..after_name + 10)?;
        let rtype = u16::from_be_bytes([rr[0], rr[1]]);
        let class = u16::from_be_bytes([rr[2], rr[3]]);
        let rdlen = usize::from(u16::from_be_bytes([rr[8], rr[9]]));
        if rtype == TYPE_OPT && root {
            query.edns_payload = Some(class);
        }
        pos = after_name + 10 + rdlen;
    }
    Some(query)
}

/// Skips a (possibly compressed) name; returns the position after it and whether it was the root.
fn skip_name(msg: &[u8], mut pos: usize) -> Option<(usize, bool)> {
    let start = pos;
    loop {
        let len = *msg.get(pos)?;
        if len == 0 {
            return Some((pos + 1, pos == start));
        }
        if len & 0xC0 == 0xC0 {
            return Some((pos + 2, false));
        }
        pos += 1 + usize::from(len);
    }
}

fn header(query: &Query, rcode: u8, counts: [u16; 4], truncated: bool) -> Vec<u8> {
    // QR=1, AA=1, opcode and RD copied, RA=0.
    let mut flags = 0x8000 | 0x0400 | query.flags | u16::from(rcode);
    if truncated {
        flags |= 0x0200;
    }
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(&query.id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    for count in counts {
        out.extend_from_slice(&count.to_be_bytes());
    }
    out
}

fn opt_record(out: &mut Vec<u8>) {
    out.push(0); // root
    out.extend_from_slice(&TYPE_OPT.to_be_bytes());
    out.extend_from_slice(&(MAX_UDP as u16).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes()); // extended rcode, version, flags
    out.extend_from_slice(&0u16.to_be_bytes()); // no options
}

fn soa_record(out: &mut Vec<u8>) {
    out.push(0); // owner: the root, an ancestor of every name we serve
    out.extend_from_slice(&TYPE_SOA.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes()); // TTL 0: do not cache the negative answer
    let mut rdata = Vec::new();
    for name in ["ns.test", "hostmaster.test"] {
        for label in name.split('.') {
            rdata.push(label.len() as u8);
            rdata.extend_from_slice(label.as_bytes());
        }
        rdata.push(0);
    }
    for value in [1u32, 3600, 600, 86400, 0] {
        // serial, refresh, retry, expire, minimum (negative TTL)
        rdata.extend_from_slice(&value.to_be_bytes());
    }
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(&rdata);
}

/// The TXT RDATA for one value: consecutive character-strings of at most 255 bytes.
fn txt_rdata(value: &str) -> Vec<u8> {
    let bytes = value.as_bytes();
    let mut rdata = Vec::with_capacity(bytes.len() + bytes.len() / 255 + 1);
    if bytes.is_empty() {
        rdata.push(0);
    }
    for chunk in bytes.chunks(255) {
        rdata.push(chunk.len() as u8);
        rdata.extend_from_slice(chunk);
    }
    rdata
}

fn answer(query: &Query, state: &State) -> Vec<u8> {
    let arcount = u16::from(query.edns_payload.is_some());
    let Some(name) = &query.name else {
        return header(query, RCODE_FORMERR, [0, 0, 0, 0], false);
    };
    if query.flags & 0x7800 != 0 {
        let mut out = header(query, RCODE_NOTIMP, [1, 0, 0, 0], false);
        out.extend_from_slice(&query.question);
        return out;
    }
    let values = state.records.lock().unwrap().get(name).cloned();
    let (rcode, values) = match values {
        None => (RCODE_NXDOMAIN, Vec::new()),
        Some(_) if query.qtype != TYPE_TXT => (0, Vec::new()),
        Some(values) => (0, values),
    };
    let nscount = u16::from(values.is_empty());
    let mut out = header(query, rcode, [1, values.len() as u16, nscount, arcount], false);
    out.extend_from_slice(&query.question);
    for value in &values {
        out.extend_from_slice(&[0xC0, 12]); // pointer to the question name
        out.extend_from_slice(&TYPE_TXT.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes()); // TTL 0: `set` takes effect at once
        let rdata = txt_rdata(value);
        out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        out.extend_from_slice(&rdata);
    }
    if values.is_empty() {
        soa_record(&mut out);
    }
    if query.edns_payload.is_some() {
        opt_record(&mut out);
    }
    out
}

fn truncated(query: &Query) -> Vec<u8> {
    let arcount = u16::from(query.edns_payload.is_some());
    let mut out = header(query, 0, [1, 0, 0, arcount], true);
    out.extend_from_slice(&query.question);
    if query.edns_payload.is_some() {
        opt_record(&mut out);
    }
    out
}
