//! The `task-summary` example extension, run from its own directory's files
//! against a real HTTP server standing in for the webhook.

use std::path::Path;

use morph_testkit::{Reply, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_summary_summarises_and_posts_a_digest() {
    let server = TestServer::start(|_| Reply::json(202, &json!({"accepted": true})));
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/task-summary");
    let t = crate::support::host(None);
    let pkg = t.dir.path().join("task-summary");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::copy(example.join("main.py"), pkg.join("main.py")).unwrap();
    let manifest = std::fs::read_to_string(example.join("manifest.yaml"))
        .unwrap()
        .replace("127.0.0.1:8080", &server.host());
    std::fs::write(pkg.join("manifest.yaml"), manifest).unwrap();
    let id = t
        .host
        .load(&pkg, json!({"webhook": server.url("/digest")}))
        .await
        .unwrap();
    for (title, status) in [("Write docs", "open"), ("Ship", "done"), ("Review", "open")] {
        t.run(&id, "add", json!({"title": title, "status": status}))
            .await
            .unwrap();
    }
    let summary = t.run(&id, "summary", json!({})).await.unwrap();
    assert_eq!(summary["total"], 3);
    assert_eq!(summary["counts"], json!({"open": 2, "doing": 0, "done": 1}));
    assert!(
        summary["markdown"].as_str().unwrap().contains("- #2 Ship"),
        "{summary}"
    );
    let posted = t.run(&id, "post_digest", json!({})).await.unwrap();
    assert_eq!(posted, json!({"status": 202, "total": 3}));
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, "/digest");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&seen[0].body).unwrap(),
        json!({"counts": {"doing": 0, "done": 1, "open": 2}, "total": 3})
    );
}
