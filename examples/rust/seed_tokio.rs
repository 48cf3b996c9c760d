//! Seeds 002/004 under tokio. Run: `BOSBASE_URL=http://127.0.0.1:8090 cargo run --example seed_tokio`.

use std::error::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("BOSBASE_URL").unwrap_or_else(|_| "http://127.0.0.1:8090".to_owned());
    include!("seed.rs");
    println!("rust (tokio): token flow OK");
    Ok(())
}
