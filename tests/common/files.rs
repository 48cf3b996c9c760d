//! A throw-away collection with file fields for the download tests: `doc` (up to 250 MB),
//! `secret` (protected) and `image` (for thumbs); anyone may list and create, the signed-in may view (so the protected file needs a token).

use bosbase::{BosBase, FilePart, SendOptions};
use serde_json::{json, Value};

/// Creates the collection as the superuser; returns its name.
pub fn collection(admin: &BosBase) -> String {
    let name = format!("dl_{}", &super::token()[..10].to_lowercase().replace(['-', '_'], "x"));
    let fields = json!([
        {"name": "title", "type": "text"},
        {"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 250 << 20},
        {"name": "secret", "type": "file", "maxSelect": 1, "maxSize": 1 << 20, "protected": true},
        {"name": "image", "type": "file", "maxSelect": 1, "maxSize": 1 << 20},
    ]);
    let data = json!({"name": name, "type": "base", "fields": fields,
        "listRule": "", "viewRule": "@request.auth.id != ''", "createRule": ""});
    admin.collections().create(data, SendOptions::default()).wait().unwrap();
    name
}

/// A record of `collection` holding `parts`.
pub fn record(pb: &BosBase, collection: &str, parts: Vec<FilePart>) -> Value {
    let mut options = SendOptions::default();
    for p in parts {
        options = options.file(p);
    }
    pb.collection(collection).create(json!({"title": "t"}), options).wait().unwrap()
}

/// A valid `w`×`h` grey PNG (uncompressed deflate), for thumbs.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    fn crc(bytes: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0); // filter: none
        raw.extend((0..w).map(|x| ((x * 7 + y * 13) % 256) as u8));
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    let mut z = vec![0x78, 0x01, 0x01];
    z.extend((raw.len() as u16).to_le_bytes());
    z.extend((!(raw.len() as u16)).to_le_bytes());
    z.extend(&raw);
    z.extend(((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]); // 8-bit greyscale
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Names in `dir` (to prove no partial or temporary file is left).
pub fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// An empty scratch directory named for a test (removed first if a run left it).
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bosbase-dl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `n` bytes of a pattern that shows a shifted or truncated copy.
pub fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

/// A `Write` whose bytes the test reads afterwards (a download's writer target).
#[derive(Clone, Default)]
pub struct Shared(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
