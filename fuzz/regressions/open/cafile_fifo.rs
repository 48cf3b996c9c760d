//! Reproducer for the owner of src/client.rs (seen while writing the `cabi` target, which
//! therefore never passes `caFile`; not compiled here: copy it to tests/ with the fix).
//! `ClientBuilder::ca_file` (and `bosbase_client_new` with `{"caFile": ...}`) reads the
//! path with `std::fs::read`: a FIFO without a writer blocks client creation forever (no
//! deadline applies), and `/dev/zero` reads until memory runs out. Fix: open it, refuse
//! anything but a regular file (as for file parts, issue 20 item 1, without blocking on
//! the open: O_NONBLOCK), and read at most a bounded size.

#[test]
fn ca_file_on_a_fifo_is_refused_promptly() {
    let path = std::env::temp_dir().join(format!("bosbase-fifo-{}", std::process::id()));
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let (tx, rx) = std::sync::mpsc::channel();
    let p = path.clone();
    std::thread::spawn(move || {
        let r = bosbase::BosBase::builder("http://127.0.0.1:1").ca_file(&p).build().map(|_| ());
        let _ = tx.send(r.map_err(|e| e.kind()));
    });
    let got = rx.recv_timeout(std::time::Duration::from_secs(2));
    // Unblock the thread either way: open the FIFO for writing, then remove it.
    let _ = std::fs::OpenOptions::new().write(true).open(&path);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(got.expect("ca_file on a FIFO still blocked after 2 s"), Err(bosbase::ErrorKind::InvalidArgument));
}
