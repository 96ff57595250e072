//! `SPEC.md` is generated from the cases; this test keeps them in step.

#[test]
fn spec_md_describes_the_cases() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/SPEC.md");
    let want = morph_conformance::spec_markdown();
    if std::env::var_os("UPDATE_SPEC").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "conformance/SPEC.md is stale: run `UPDATE_SPEC=1 cargo test -p morph-conformance`"
    );
}
