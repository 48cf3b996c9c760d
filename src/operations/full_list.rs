//! `getFullList`: every page of a list, fetched as one call that is bounded as a whole.
//!
//! * **One deadline.** The call's deadline (`timeoutMs`, else the client's timeout) covers
//!   every page: each request gets what is left of it, and a list not complete by then
//!   fails with `timeout`. A per-page deadline let a server that always answers a full page
//!   keep one call going forever.
//! * **One size bound.** The pages' bodies together may hold at most [`FULL_LIST_ANSWERS`]
//!   times the client's `max_response_bytes` (10 × 10 MiB = 100 MiB by default); the page
//!   that crosses it fails the call with `json` (its 2xx status kept), as one answer over
//!   the limit does. A full list is handed over as one result, so it is bounded like an
//!   answer, with room for lists far larger than a page; a larger list needs a larger
//!   `max_response_bytes`, a filter, or `getList` page by page. The deadline alone would
//!   not do: a fast server fills memory at hundreds of MB per second.
//! * Paging stops at the first page shorter than `batch`. `skipTotal` is always sent (a
//!   count costs the server a query per page), so a server's totals never decide anything.
//! * A cancelled call stops between pages.
//!
//! Items cross once. The Rust API moves each page's items into the result. The C ABI's
//! result text is written item by item as each page arrives, one item parsed at a time,
//! so the list never exists as values and as text together. The text is exactly what
//! serialising the values would give (same key order and escapes as every other result).

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::call::Ticket;
use crate::client::RawAnswer;
use crate::{BosBase, Error, ErrorKind, Result, SendOptions};

/// How many answers' worth of JSON (`max_response_bytes` each) one full list may hold.
pub const FULL_LIST_ANSWERS: u64 = 10;

/// A list page as the executor reads it: its `items` and nothing else.
#[derive(Deserialize)]
struct Page<T> {
    items: Option<Vec<T>>,
}

/// The `items` of one page, each as `T` (a value, or its JSON text borrowed from the page).
fn items<'a, T: Deserialize<'a>>(answer: &'a RawAnswer) -> Result<Vec<T>> {
    let missing = || Error::new(ErrorKind::Json, &answer.url, "list answer without `items`").with_status(answer.status);
    // serde would also read a struct from a JSON array: only an object is a page.
    if answer.bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(missing());
    }
    let page: Page<T> = serde_json::from_slice(&answer.bytes).map_err(|e| answer.invalid_json(&e))?;
    page.items.ok_or_else(missing)
}

/// Every item, as values (the Rust API): each page's items are moved, never copied.
pub(crate) fn values(
    client: &BosBase,
    path: &str,
    batch: usize,
    options: SendOptions,
    ticket: &Ticket,
) -> Result<Value> {
    let mut all = Vec::new();
    each_page(client, path, batch, options, ticket, |answer| {
        let got: Vec<Value> = items(answer)?;
        let n = got.len();
        all.extend(got);
        Ok(n)
    })?;
    Ok(Value::Array(all))
}

/// Every item, as the JSON text of one array (the C ABI), written once.
pub(crate) fn text(
    client: &BosBase,
    path: &str,
    batch: usize,
    options: SendOptions,
    ticket: &Ticket,
) -> Result<String> {
    let mut out = b"[".to_vec();
    each_page(client, path, batch, options, ticket, |answer| {
        let got: Vec<&RawValue> = items(answer)?;
        for item in &got {
            if out.len() > 1 {
                out.push(b',');
            }
            // Through a value, one item at a time: the text is the one `Value` would give.
            let value: Value = serde_json::from_str(item.get()).map_err(|e| answer.invalid_json(&e))?;
            serde_json::to_writer(&mut out, &value).map_err(|_| Error::panic())?;
        }
        Ok(got.len())
    })?;
    out.push(b']');
    // serde_json writes UTF-8.
    String::from_utf8(out).map_err(|_| Error::panic())
}

/// Requests pages 1, 2, … of `path` and hands each to `take` (which returns its item
/// count) until a page is short, within the call's one deadline and size bound.
fn each_page(
    client: &BosBase,
    path: &str,
    batch: usize,
    options: SendOptions,
    ticket: &Ticket,
    mut take: impl FnMut(&RawAnswer) -> Result<usize>,
) -> Result<()> {
    let timeout = options.timeout_ms.map(Duration::from_millis).unwrap_or_else(|| client.timeout());
    let url = format!("{}{path}", client.base_url());
    // The deadline runs from when the call was started: time queued for a worker counts
    // (charged here once, so the pages' own requests are not charged again).
    let left = crate::call::charge_queue_wait(Some(timeout), timeout, &url)?.unwrap_or(timeout);
    // A deadline past what an Instant can hold is no deadline (a century is as good).
    let deadline = Instant::now().checked_add(left).unwrap_or_else(|| Instant::now() + Duration::from_secs(3 << 30));
    let limit = client.max_response_bytes().saturating_mul(FULL_LIST_ANSWERS);
    let mut read = 0u64;
    for page in 1u64.. {
        if ticket.is_cancelled() {
            return Err(Error::new(ErrorKind::Cancelled, &url, "the call was cancelled"));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let message = format!(
                "the full list was not complete within the call's {} ms deadline ({} pages read)",
                timeout.as_millis(),
                page - 1
            );
            return Err(Error::new(ErrorKind::Timeout, &url, message));
        }
        let mut this = options.clone();
        this.query.insert("page".to_owned(), json!(page));
        this.query.insert("perPage".to_owned(), json!(batch));
        this.query.insert("skipTotal".to_owned(), json!(1));
        this.timeout_ms = Some(u64::try_from(left.as_millis()).unwrap_or(u64::MAX).max(1));
        let answer = client.execute_raw(path, this)?;
        read = read.saturating_add(answer.bytes.len() as u64);
        if read > limit {
            let message = format!(
                "the full list is larger than its {limit}-byte limit ({FULL_LIST_ANSWERS} times maxResponseBytes) \
                 at page {page}: narrow it with a filter, raise maxResponseBytes, or page with getList"
            );
            return Err(Error::new(ErrorKind::Json, &url, message).with_status(answer.status));
        }
        if take(&answer)? < batch {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> RawAnswer {
        RawAnswer { url: "http://h/api/x".into(), status: 200, bytes: body.as_bytes().to_vec() }
    }

    #[test]
    fn a_page_is_an_object_with_an_items_array() {
        let page = answer(r#" {"page":1,"items":[{"b":1,"a":"<\u00e9>"},2],"totalItems":-1}"#);
        assert_eq!(items::<Value>(&page).unwrap(), vec![json!({"a": "<é>", "b": 1}), json!(2)]);
        let raw: Vec<&RawValue> = items(&page).unwrap();
        assert_eq!(raw.iter().map(|r| r.get()).collect::<Vec<_>>(), [r#"{"b":1,"a":"<\u00e9>"}"#, "2"]);
        for bad in
            ["", "[[1]]", "{}", r#"{"items":null}"#, r#"{"items":{}}"#, r#"{"items":[1,]}"#, "{\"items\":[\"\u{1}\"]}"]
        {
            let err = items::<&RawValue>(&answer(bad)).unwrap_err();
            assert_eq!((err.kind(), err.status()), (ErrorKind::Json, 200), "{bad:?}: {err}");
        }
    }
}
