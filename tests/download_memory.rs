//! A 200 MB download from the dev server streams to disk with flat memory and reports its
//! progress (issue 23's bound: peak RSS growth under 32 MB, at least 10 reports, the last
//! one `total == done`). Its own binary, so no other test's allocations move the peak.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bosbase::{BosBase, DownloadOptions, FilePart};

const FILE_BYTES: u64 = 200 * 1024 * 1024;
const MAX_GROWTH_KB: u64 = 32 * 1024;

/// `VmRSS` or `VmHWM` (peak) of this process, in kB.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_200_mb_download_streams_in_bounded_memory_with_progress() {
    let admin = common::admin();
    let name = common::files::collection(&admin);
    let dir = std::env::temp_dir().join(format!("bosbase-dl-200mb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("source.bin");
    let file = std::fs::File::create(&source).unwrap();
    file.set_len(FILE_BYTES).unwrap(); // sparse: zeros without using the disk
    drop(file);
    let pb = BosBase::builder(&common::url()).timeout(Duration::from_secs(120)).build().unwrap();
    let record = common::files::record(&pb, &name, vec![FilePart::path("doc", &source)]);
    std::fs::remove_file(&source).unwrap();
    let stored = record["doc"].as_str().unwrap().to_owned();
    let stored = stored.as_str();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let options = DownloadOptions::new().on_progress(move |d, t| s.lock().unwrap().push((d, t)));
    let target = dir.join("big.bin");
    // Resets the peak (VmHWM) to the current RSS: the upload's buffers do not count.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_kb("VmRSS:");
    let started = std::time::Instant::now();
    let result = pb.files().download(record, stored, target.as_path(), options).wait().unwrap();
    let elapsed = started.elapsed();
    let peak = status_kb("VmHWM:");
    assert_eq!(result["bytes"], FILE_BYTES);
    assert_eq!(std::fs::metadata(&target).unwrap().len(), FILE_BYTES);
    std::fs::remove_dir_all(&dir).unwrap();

    let seen = seen.lock().unwrap();
    let growth = peak.saturating_sub(before);
    println!(
        "200 MB download: {:?}, RSS before {before} kB, peak {peak} kB, growth {growth} kB, {} progress reports",
        elapsed,
        seen.len()
    );
    assert!(growth < MAX_GROWTH_KB, "RSS grew by {growth} kB during a {FILE_BYTES}-byte download");
    assert!(seen.len() >= 10, "{} reports", seen.len());
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(*seen.last().unwrap(), (FILE_BYTES, FILE_BYTES));
}
