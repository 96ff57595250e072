//! The JS example extension (`examples/chart-js`) runs as shipped, and the
//! `morph new --lang js` template loads and answers.

use std::path::Path;

use serde_json::json;

use crate::support::test_host;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chart_example_renders_tasks_by_status() {
    let th = test_host(None);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/chart-js");
    let id = th.host.load(&dir, json!({})).await.unwrap();
    for (title, status) in [("a", "open"), ("b", "done"), ("c", "done"), ("d", "doing")] {
        let task = th
            .run(&id, "add", json!({"title": title, "status": status}))
            .await
            .unwrap();
        assert_eq!(task["status"], status, "{task}");
    }
    let chart = th
        .run(&id, "render", json!({"title": "Sprint <1>"}))
        .await
        .unwrap();
    assert_eq!(chart["total"], 4, "{chart}");
    assert_eq!(
        chart["bars"],
        json!([
            {"label": "open", "value": 1, "color": "#e4572e"},
            {"label": "doing", "value": 1, "color": "#f3a712"},
            {"label": "done", "value": 2, "color": "#29335c"},
        ])
    );
    let svg = chart["svg"].as_str().unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(
        svg.contains("Sprint &lt;1&gt;"),
        "titles are escaped: {svg}"
    );
    assert_eq!(svg.matches("<rect").count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_js_template_loads_and_greets() {
    let th = test_host(None);
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/src/templates/js");
    let render = |name: &str| {
        std::fs::read_to_string(templates.join(name))
            .unwrap()
            .replace("{{id}}", "hello-js")
            .replace("{{name}}", "hello-js")
    };
    let dir = th.dir.path().join("hello-js");
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["manifest.yaml", "index.js", "greeting.js"] {
        std::fs::write(dir.join(file), render(&format!("{file}.tmpl"))).unwrap();
    }
    let id = th.host.load(&dir, json!({})).await.unwrap();
    let out = th.run(&id, "greet", json!({"name": "Ada"})).await.unwrap();
    assert_eq!(out, json!({"greeting": "Hello, Ada!"}));
}
