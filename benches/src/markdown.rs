//! Regenerating the tables of `BENCHMARKS.md` in place: each generated
//! table sits between `<!-- table:NAME -->` and `<!-- /table:NAME -->`, and
//! only the text between a pair of markers is replaced.

use std::collections::BTreeMap;

/// `text` with the body of every marked table named in `tables` replaced,
/// and the names found in `text` that `tables` has no body for (those keep
/// their old body).
pub fn update(text: &str, tables: &BTreeMap<String, String>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut kept = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!-- table:") {
        let Some(open_len) = rest[start..].find("-->").map(|i| i + 3) else {
            break;
        };
        let name = rest[start + "<!-- table:".len()..start + open_len - 3].trim();
        let close = format!("<!-- /table:{name} -->");
        let body_start = start + open_len;
        let Some(body_len) = rest[body_start..].find(&close) else {
            // An opener without its closer (prose quoting the syntax): text.
            out.push_str(&rest[..body_start]);
            rest = &rest[body_start..];
            continue;
        };
        out.push_str(&rest[..body_start]);
        match tables.get(name) {
            Some(body) => {
                out.push('\n');
                out.push_str(body.trim_end());
                out.push('\n');
            }
            None => {
                kept.push(name.to_owned());
                out.push_str(&rest[body_start..body_start + body_len]);
            }
        }
        out.push_str(&close);
        rest = &rest[body_start + body_len + close.len()..];
    }
    out.push_str(rest);
    (out, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_marked_bodies_change() {
        let text = "# T\n<!-- table:a -->\nold a\n<!-- /table:a -->\nmiddle\n<!-- table:b -->\nold b\n<!-- /table:b -->\nend\n";
        let tables = BTreeMap::from([("a".to_owned(), "new a\n".to_owned())]);
        let (out, kept) = update(text, &tables);
        assert_eq!(
            out,
            "# T\n<!-- table:a -->\nnew a\n<!-- /table:a -->\nmiddle\n<!-- table:b -->\nold b\n<!-- /table:b -->\nend\n"
        );
        assert_eq!(kept, ["b"]);
        assert_eq!(update("no markers\n", &tables).0, "no markers\n");
        // Prose quoting the marker syntax does not stop the tables after it.
        let quoted = format!("see `<!-- table:NAME -->`\n{text}");
        assert_eq!(
            update(&quoted, &tables).0,
            format!("see `<!-- table:NAME -->`\n{out}")
        );
    }
}
