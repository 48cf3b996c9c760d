//! Seeds 002/004 on a plain `block_on` (no runtime). Run: `cargo run --example seed_block_on`.

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("BOSBASE_URL").unwrap_or_else(|_| "http://127.0.0.1:8090".to_owned());
    futures_executor::block_on(async move {
        include!("seed.rs");
        println!("rust (block_on): token flow OK");
        Ok(())
    })
}
