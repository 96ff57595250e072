//! Where two JSON values differ, as lines a failing comparison can print: the
//! reference runtime's result (CPython's, Node's) against Morph's.

use std::collections::BTreeSet;

use serde_json::Value;

/// Appends a line per place where `actual` (Morph's) differs from `expected`
/// (`reference`'s, e.g. "Node"), by JSON path, with both values (long strings
/// shown around their first difference).
pub fn differences(
    reference: &str,
    path: &str,
    expected: &Value,
    actual: &Value,
    out: &mut Vec<String>,
) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for key in keys {
                let here = format!("{path}.{key}");
                match (e.get(key), a.get(key)) {
                    (Some(ev), Some(av)) => differences(reference, &here, ev, av, out),
                    (Some(ev), None) => {
                        out.push(format!("{here}: missing under Morph ({reference}: {ev})"))
                    }
                    (None, Some(av)) => out.push(format!("{here}: only under Morph ({av})")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!(
                    "{path}: {} items under {reference}, {} under Morph",
                    e.len(),
                    a.len()
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                differences(reference, &format!("{path}[{i}]"), ev, av, out);
            }
        }
        (Value::String(e), Value::String(a)) if e != a => {
            out.push(format!("{path}: {}", string_difference(reference, e, a)))
        }
        _ if expected != actual => {
            out.push(format!("{path}: {reference} {expected}, Morph {actual}"))
        }
        _ => {}
    }
}

/// Two strings that differ, shown around the first character that does.
fn string_difference(reference: &str, expected: &str, actual: &str) -> String {
    const CONTEXT: usize = 60;
    let e: Vec<char> = expected.chars().collect();
    let a: Vec<char> = actual.chars().collect();
    let at = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let start = at.saturating_sub(CONTEXT);
    let window = |s: &[char]| -> String {
        let end = (at + CONTEXT).min(s.len());
        let mut shown: String = s[start.min(s.len())..end].iter().collect();
        if start > 0 {
            shown.insert(0, '…');
        }
        if end < s.len() {
            shown.push('…');
        }
        format!("{shown:?}")
    };
    format!(
        "strings differ at char {at} (lengths {} and {}):\n      {reference:<7} {}\n      Morph   {}",
        e.len(),
        a.len(),
        window(&e),
        window(&a)
    )
}
