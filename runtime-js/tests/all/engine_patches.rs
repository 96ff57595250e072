//! Boa fixes Morph carries as `[patch]` entries (vendor/README.md): each test
//! names its patch and asserts what V8 gives (Node 20's output, recorded).

use serde_json::json;

use crate::support::{GuestOptions, load_guest};

/// `vendor/patches/boa_engine-regexp-source.diff` (boa-dev/boa#5535): a
/// regex's `source` parses back to the same pattern.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regexp_source_round_trips_as_in_v8() {
    let g = load_guest(GuestOptions::default()).await;
    let code = r#"
        const cases = [String.raw`a\/b`, "a/b", "[/]", String.raw`\\/`, String.raw`\\\/`,
            "\n", "\\\n", "[\\]/]", "", String.raw`https?:\/\/[^\s<]*[^\s<?!.,:*_~]`];
        const out = cases.map(c => {
            const r = new RegExp(c);
            return [r.source, new RegExp(r.source).source === r.source, String(r)];
        });
        out.push(new RegExp(/a\/b/.source).test("a/b"));
        out
    "#;
    let got = g.run("eval", json!({ "code": code })).await.expect("eval");
    // `node -e` on the same code (Node 20.x).
    let v8 = json!([
        ["a\\/b", true, "/a\\/b/"],
        ["a\\/b", true, "/a\\/b/"],
        ["[/]", true, "/[/]/"],
        ["\\\\\\/", true, "/\\\\\\//"],
        ["\\\\\\/", true, "/\\\\\\//"],
        ["\\n", true, "/\\n/"],
        ["\\n", true, "/\\n/"],
        ["[\\]/]", true, "/[\\]/]/"],
        ["(?:)", true, "/(?:)/"],
        [
            "https?:\\/\\/[^\\s<]*[^\\s<?!.,:*_~]",
            true,
            "/https?:\\/\\/[^\\s<]*[^\\s<?!.,:*_~]/"
        ],
        true
    ]);
    assert_eq!(got, v8);
}
