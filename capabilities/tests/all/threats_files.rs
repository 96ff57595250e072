//! THREATS.md, "Bypassing the broker's checks", files: a directory swapped
//! for a symlink to the outside while the guest's calls are in flight (a
//! race, not a static link) never leads a read, write, list or delete out of
//! the extension's root. The defence is structural: every path is resolved
//! beneath the root's descriptor by cap-std (`openat2(RESOLVE_BENEATH)`),
//! so the swap can only make a call fail.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use morph_capabilities::Permission;
use serde_json::json;

use crate::support::{Fixture, call, ctx};

const FS: [Permission; 2] = [Permission::FsRead, Permission::FsWrite];
const INSIDE_TEXT: &str = "INSIDE";
const OUTSIDE_TEXT: &str = "OUTSIDE-SECRET-CONTENT";
const ROUNDS: usize = 400;

/// Swaps `dir` between the real directory (parked at `dir.real`) and a
/// symlink to `outside` until `stop`; counts the swaps. A directory the
/// broker re-creates at `dir` in a gap is thrown away (it is inside).
fn swap_until(dir: &Path, outside: &Path, stop: &AtomicBool, swaps: &AtomicUsize) {
    let parked = dir.with_extension("real");
    while !stop.load(Ordering::Relaxed) {
        std::fs::rename(dir, &parked).unwrap();
        while std::os::unix::fs::symlink(outside, dir).is_err() {
            let _ = std::fs::remove_dir_all(dir);
        }
        std::thread::yield_now();
        std::fs::remove_file(dir).unwrap();
        while std::fs::rename(&parked, dir).is_err() {
            let _ = std::fs::remove_dir_all(dir);
        }
        swaps.fetch_add(1, Ordering::Relaxed);
        std::thread::yield_now();
    }
}

/// THREATS.md, "Bypassing the broker's checks": files, directory swaps in
/// a race: a directory inside the root replaced by a symlink out while
/// reads, writes, lists and deletes run through the broker never reaches
/// the outside directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_a_directory_swapped_for_a_link_out_mid_call_never_leads_outside() {
    let f = Fixture::new();
    let a = ctx("ext-a", &FS);
    call(
        &f,
        &a,
        "fs.write",
        json!({"path": "d/secret.txt", "content": INSIDE_TEXT}),
    )
    .await
    .0
    .unwrap();
    let inside = f.dir.path().join("files").join("ext-a").join("d");
    assert!(inside.is_dir());

    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), OUTSIDE_TEXT).unwrap();
    std::fs::write(outside.path().join("victim.txt"), OUTSIDE_TEXT).unwrap();
    std::fs::write(outside.path().join("outside-only.txt"), OUTSIDE_TEXT).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicUsize::new(0));
    let swapper = {
        let (inside, outside) = (inside.clone(), outside.path().to_owned());
        let (stop, swaps) = (stop.clone(), swaps.clone());
        std::thread::spawn(move || swap_until(&inside, &outside, &stop, &swaps))
    };

    let mut read_inside = 0;
    for i in 0..ROUNDS {
        let (r, _) = call(&f, &a, "fs.read", json!({"path": "d/secret.txt"})).await;
        if let Ok(v) = r {
            assert_eq!(v["content"], INSIDE_TEXT, "round {i}: read {v}");
            read_inside += 1;
        }
        // Writes and deletes may fail while `d` is a link; they must
        // never act on the outside.
        let (_written, _) = call(
            &f,
            &a,
            "fs.write",
            json!({"path": "d/planted.txt", "content": "pwned"}),
        )
        .await;
        let (l, _) = call(&f, &a, "fs.list", json!({"path": "d"})).await;
        if let Ok(v) = l {
            assert!(
                !v.to_string().contains("outside-only"),
                "round {i}: listed the outside: {v}"
            );
        }
        let (_deleted, _) = call(&f, &a, "fs.delete", json!({"path": "d/victim.txt"})).await;
        assert!(
            !outside.path().join("planted.txt").exists(),
            "round {i}: a write landed outside"
        );
        assert!(
            outside.path().join("victim.txt").exists(),
            "round {i}: a delete reached outside"
        );
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();

    assert!(swaps.load(Ordering::Relaxed) > 0, "the swapper never ran");
    assert!(
        read_inside > 0,
        "no read ever succeeded: the test proves nothing"
    );
    for name in ["secret.txt", "victim.txt", "outside-only.txt"] {
        assert_eq!(
            std::fs::read_to_string(outside.path().join(name)).unwrap(),
            OUTSIDE_TEXT,
            "{name} changed"
        );
    }
    let mut names: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["outside-only.txt", "secret.txt", "victim.txt"]);
}
