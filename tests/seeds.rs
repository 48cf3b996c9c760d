//! Seeds 002/004 verbatim (but for the URL) under tokio and under a plain `block_on`.

mod common;

use std::error::Error;
use std::sync::Mutex;

/// Both tests bind the seed's fixed tokens; running them at once would race.
static SEED_TOKENS: Mutex<()> = Mutex::new(());

async fn seed(url: String) -> Result<(), Box<dyn Error>> {
    include!("../examples/rust/seed.rs");
    Ok(())
}

#[test]
fn seed_runs_under_tokio() {
    let _serial = SEED_TOKENS.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(seed(common::url())).unwrap();
}

#[test]
fn seed_runs_under_a_plain_block_on() {
    let _serial = SEED_TOKENS.lock().unwrap_or_else(|e| e.into_inner());
    futures_executor::block_on(seed(common::url())).unwrap();
}
