//! `make bench` (realtime): latency from the server writing an event to the subscriber's
//! callback, over 1,000 events, against a canned local event-stream server in the same run.
//!
//! * Baseline: a hand-written reader on a plain TCP socket that timestamps each event as soon
//!   as its blank line arrives (no HTTP library, no threads in between).
//! * The Rust API (`RealtimeService::subscribe`, a closure per event) and the C ABI
//!   (`bosbase_realtime_subscribe`, the event JSON handed to a C callback), which add the
//!   SSE parser, routing, the per-subscription queue and the hop to the dispatch thread.
//!
//! Events are written one at a time, at least 300 µs apart, so the figure is latency, not
//! queueing.

use std::ffi::{c_void, CStr, CString};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::raw::c_char;
use std::ptr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use bosbase::{ffi, BosBase, RealtimeEvent, SubscribeOptions};

const EVENTS: usize = 1000;
const GAP: Duration = Duration::from_micros(300);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

/// Write time of each event of the current run, and the latencies measured.
struct Run {
    written: Vec<AtomicU64>,
    latencies: Vec<AtomicU64>,
    received: AtomicUsize,
}

impl Run {
    fn new() -> Arc<Self> {
        Arc::new(Run {
            written: (0..EVENTS).map(|_| AtomicU64::new(0)).collect(),
            latencies: (0..EVENTS).map(|_| AtomicU64::new(0)).collect(),
            received: AtomicUsize::new(0),
        })
    }

    fn receive(&self, i: usize) {
        let w = self.written[i].load(Ordering::SeqCst);
        self.latencies[i].store(now_ns().saturating_sub(w), Ordering::SeqCst);
        self.received.fetch_add(1, Ordering::SeqCst);
    }

    fn wait_all(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.received.load(Ordering::SeqCst) < EVENTS {
            assert!(Instant::now() < deadline, "only {} events arrived", self.received.load(Ordering::SeqCst));
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// (median, p99) in microseconds.
    fn figures(&self) -> (f64, f64) {
        let mut v: Vec<u64> = self.latencies.iter().map(|l| l.load(Ordering::SeqCst)).collect();
        v.sort_unstable();
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
        (at(0.5), at(0.99))
    }
}

/// Serves `GET /api/realtime` (waits for the subscription POST first) and `GET /raw` (streams
/// at once) with PB_CONNECT then the run's events on topic `bench`; POST answers 204.
fn serve(run: Arc<std::sync::Mutex<Arc<Run>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let posted = Arc::new(AtomicUsize::new(0));
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (run, posted) = (Arc::clone(&run), Arc::clone(&posted));
            thread::spawn(move || connection(stream, &run, &posted));
        }
    });
    url
}

fn connection(stream: TcpStream, run: &std::sync::Mutex<Arc<Run>>, posted: &AtomicUsize) {
    stream.set_nodelay(true).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        if request.starts_with("POST") {
            posted.fetch_add(1, Ordering::SeqCst);
            stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
            continue;
        }
        let before = posted.load(Ordering::SeqCst);
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(b"id:c1\nevent:PB_CONNECT\ndata:{\"clientId\":\"c1\"}\n\n").unwrap();
        if request.contains("/api/realtime") {
            while posted.load(Ordering::SeqCst) == before {
                thread::sleep(Duration::from_millis(1));
            }
            thread::sleep(Duration::from_millis(50));
        }
        let run = Arc::clone(&run.lock().unwrap());
        for i in 0..EVENTS {
            // Sleep, not spin: on a small machine a spinning server would take the core the
            // client's threads need.
            thread::sleep(GAP);
            let event = format!("event:bench\ndata:{{\"i\":{i}}}\n\n");
            run.written[i].store(now_ns(), Ordering::SeqCst);
            if stream.write_all(event.as_bytes()).is_err() {
                return;
            }
        }
        thread::sleep(Duration::from_secs(5));
        return;
    }
}

fn index(data: &str) -> usize {
    let start = data.find("\"i\":").unwrap() + 4;
    data[start..].trim_end_matches(['}', ' ']).split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

fn baseline(url: &str) {
    let mut s = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(b"GET /raw HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n").unwrap();
    let run = CURRENT.get().unwrap().lock().unwrap().clone();
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    while run.received.load(Ordering::SeqCst) < EVENTS {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(data) = line.strip_prefix("data:") {
            if data.contains("\"i\"") {
                run.receive(index(data.trim_end()));
            }
        }
    }
}

static CURRENT: OnceLock<Arc<std::sync::Mutex<Arc<Run>>>> = OnceLock::new();

unsafe extern "C" fn on_event(user_data: *mut c_void, _kind: ffi::BosbaseEventKind, _seq: u64, json: *const c_char) {
    let run = &*(user_data as *const Run);
    let json = CStr::from_ptr(json).to_str().unwrap();
    if json.contains("\"i\"") {
        run.receive(index(json));
    }
}

fn main() {
    epoch();
    let current = CURRENT.get_or_init(|| Arc::new(std::sync::Mutex::new(Run::new())));
    let url = serve(Arc::clone(current));
    let fresh = || {
        let run = Run::new();
        *current.lock().unwrap() = Arc::clone(&run);
        run
    };

    // Baseline: plain socket.
    let raw = fresh();
    baseline(&url);
    raw.wait_all();

    // Rust API.
    let rust = fresh();
    let pb = BosBase::new(&url);
    let r = Arc::clone(&rust);
    let sub = pb
        .realtime()
        .subscribe("bench", SubscribeOptions::default(), move |e: &RealtimeEvent| {
            if let RealtimeEvent::Message { data, .. } = e {
                r.receive(data["i"].as_u64().unwrap() as usize);
            }
        })
        .wait()
        .unwrap();
    rust.wait_all();
    drop(sub);
    pb.close();

    // C ABI.
    let c = fresh();
    let (curl, topic) = (CString::new(url.as_str()).unwrap(), CString::new("bench").unwrap());
    unsafe {
        let mut client = ptr::null_mut();
        assert_eq!(
            ffi::bosbase_client_new(curl.as_ptr(), ptr::null(), &mut client, ptr::null_mut()),
            ffi::BosbaseStatus::Ok
        );
        let mut sub = ptr::null_mut();
        let status = ffi::bosbase_realtime_subscribe(
            client,
            topic.as_ptr(),
            ptr::null(),
            Some(on_event),
            None,
            Arc::as_ptr(&c) as *mut c_void,
            &mut sub,
            ptr::null_mut(),
        );
        assert_eq!(status, ffi::BosbaseStatus::Ok);
        c.wait_all();
        ffi::bosbase_subscription_free(sub);
        ffi::bosbase_client_free(client);
    }

    let (raw_median, raw_p99) = raw.figures();
    println!("realtime event latency, server write -> callback, {EVENTS} events {GAP:?} apart (µs):");
    println!("  {:<34} {:>9} {:>9}", "", "median", "p99");
    for (name, run) in
        [("plain socket reader (baseline)", &raw), ("Rust API closure", &rust), ("C ABI callback (JSON)", &c)]
    {
        let (m, p) = run.figures();
        println!("  {name:<34} {m:>9.1} {p:>9.1}");
    }
    let (c_median, c_p99) = c.figures();
    println!(
        "ratio C ABI / baseline: median {:.2}x, p99 {:.2}x (absolute overhead {:.1} µs median)",
        c_median / raw_median,
        c_p99 / raw_p99,
        c_median - raw_median
    );
}
