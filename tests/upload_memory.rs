//! Uploading a 200 MB file from a path keeps the process's memory flat: the multipart body
//! is streamed from disk with its exact Content-Length. The receiving end is a local
//! listener that counts and discards what it reads (a fault/bench-style server, not a
//! mock of BosBase: only the client's memory is under test). Its own binary, so no other
//! test's allocations move the process's peak RSS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use bosbase::{BosBase, FilePart, SendOptions};
use serde_json::json;

const FILE_BYTES: u64 = 200 * 1024 * 1024;
const MAX_GROWTH_KB: u64 = 32 * 1024;

/// `VmRSS` or `VmHWM` (peak) of this process, in kB.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Accepts one request, reads exactly its Content-Length, answers with what it counted.
fn discard_server() -> (String, std::thread::JoinHandle<(u64, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let (mut length, mut head) = (0u64, String::new());
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            head.push_str(&line);
        }
        let mut body = reader.take(length);
        let mut first = vec![0u8; 512];
        let n = body.read(&mut first).unwrap();
        let start = String::from_utf8_lossy(&first[..n]).to_string();
        let rest = std::io::copy(&mut body, &mut std::io::sink()).unwrap();
        let answer = json!({"received": n as u64 + rest}).to_string();
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        )
        .unwrap();
        (n as u64 + rest, format!("{head}\r\n{start}"))
    });
    (url, handle)
}

#[test]
fn a_200_mb_upload_from_a_path_streams_in_bounded_memory() {
    let path = std::env::temp_dir().join(format!("bosbase-200mb-{}.bin", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(FILE_BYTES).unwrap(); // sparse: zeros without using the disk
    drop(file);

    let (url, server) = discard_server();
    let pb = BosBase::builder(&url).timeout(std::time::Duration::from_secs(120)).build().unwrap();
    let options = SendOptions::default().file(FilePart::path("attachment", &path));
    let before = status_kb("VmRSS:");
    let answer = pb.collection("posts").create(json!({"title": "big"}), options).wait();
    let peak = status_kb("VmHWM:");
    std::fs::remove_file(&path).unwrap();

    let (received, start) = server.join().unwrap();
    let answer = answer.unwrap();
    assert_eq!(answer["received"].as_u64(), Some(received));
    assert!(received > FILE_BYTES && received < FILE_BYTES + 4096, "{received}");
    assert!(start.contains("content-length:") || start.contains("Content-Length:"), "{start}");
    assert!(!start.to_ascii_lowercase().contains("transfer-encoding"), "sent with a length, not chunked");
    assert!(start.contains("name=\"@jsonPayload\""), "{start}");
    let growth = peak.saturating_sub(before);
    println!("200 MB upload: RSS before {before} kB, peak {peak} kB, growth {growth} kB");
    assert!(growth < MAX_GROWTH_KB, "RSS grew by {growth} kB during a {FILE_BYTES}-byte upload");
}
