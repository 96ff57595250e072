//! A conservative nesting check on guest source before Boa parses it.
//!
//! Boa's parser and bytecompiler recurse on the native stack without a depth
//! limit, at up to ~250 KiB of stack per bracket level (measured with Boa
//! 0.22: `[`×100 overflows an 8 MiB stack), so a few kilobytes of `((((` or
//! `!!!!` would abort the whole host. Before the entry module, an `eval`
//! string or a `Function` body is parsed, this scan estimates the nesting
//! cost (brackets, plus chains of prefix operators, `?`, `=>` and
//! statement keywords that recurse without brackets) and refuses sources
//! over [`MAX_NESTING_COST`]; the worker's stack
//! ([`crate::runtime::WORKER_STACK`]) is sized so that anything accepted
//! fits with room to spare. Strings, template text and comments are skipped;
//! regular-expression literals are not recognised and count (conservatively).

/// The most nesting cost a source may have (one unit ≈ 50 KiB of parser
/// stack at worst; a bracket costs `BRACKET_COST` units).
pub const MAX_NESTING_COST: usize = 1500;
/// Units one open bracket costs.
const BRACKET_COST: usize = 5;

/// Why a source was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// The estimated cost reached.
    pub cost: usize,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the source nests too deeply to parse safely (nesting cost over {MAX_NESTING_COST})"
        )
    }
}

/// Checks `src` (UTF-8 or UTF-16 code units given as chars).
///
/// # Errors
/// [`TooDeep`] when the estimated nesting cost passes [`MAX_NESTING_COST`].
pub fn check(src: impl Iterator<Item = char>) -> Result<(), TooDeep> {
    let mut scan = Scan::default();
    let mut chars = src.peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for c in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
            }
            '"' | '\'' => {
                let mut escaped = false;
                for s in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if s == '\\' {
                        escaped = true;
                    } else if s == c || s == '\n' {
                        break;
                    }
                }
            }
            '`' => {
                // Template text is skipped; `${` opens a nesting level that
                // the matching `}` closes (nested templates count as text,
                // conservatively ignored beyond the first level).
                let mut escaped = false;
                let mut prev = ' ';
                for s in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if s == '\\' {
                        escaped = true;
                    } else if s == '`' {
                        break;
                    } else if prev == '$' && s == '{' {
                        scan.open()?;
                    } else if s == '}' {
                        scan.close();
                    }
                    prev = s;
                }
            }
            '(' | '[' | '{' => scan.open()?,
            ')' | ']' | '}' => scan.close(),
            ';' | ',' => scan.reset_run(),
            '!' | '~' | '?' | '+' | '-' | '=' => scan.step()?,
            c if c.is_alphabetic() => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '$' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if matches!(
                    word.as_str(),
                    "if" | "else"
                        | "while"
                        | "for"
                        | "do"
                        | "with"
                        | "new"
                        | "typeof"
                        | "void"
                        | "delete"
                        | "await"
                        | "yield"
                        | "return"
                        | "throw"
                ) {
                    scan.step()?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[derive(Default)]
struct Scan {
    /// Runs of recursion-prone tokens of each enclosing bracket level.
    levels: Vec<usize>,
    /// Cost of the enclosing levels.
    base: usize,
    /// The current level's run.
    run: usize,
}

impl Scan {
    fn cost(&self) -> usize {
        self.base + self.run
    }

    fn verdict(&self) -> Result<(), TooDeep> {
        if self.cost() > MAX_NESTING_COST {
            Err(TooDeep { cost: self.cost() })
        } else {
            Ok(())
        }
    }

    fn open(&mut self) -> Result<(), TooDeep> {
        self.levels.push(self.run);
        self.base += self.run + BRACKET_COST;
        self.run = 0;
        self.verdict()
    }

    fn close(&mut self) {
        if let Some(run) = self.levels.pop() {
            self.base = self.base.saturating_sub(run + BRACKET_COST);
            self.run = run;
        }
    }

    fn step(&mut self) -> Result<(), TooDeep> {
        self.run += 1;
        self.verdict()
    }

    fn reset_run(&mut self) {
        self.run = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> bool {
        check(s.chars()).is_ok()
    }

    #[test]
    fn ordinary_code_passes() {
        assert!(ok(
            "export function execute(a, p) { if (a === 'x') { return [1, {b: (2 + 3)}]; } }"
        ));
        assert!(ok(&"f(a, b);\n".repeat(100_000)));
        assert!(ok(
            "const s = '(((((((((((((((((('; // ((((((((((\n /* [[[[[[[[ */ `${1}`"
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        assert!(!ok(&"[".repeat(400)));
        assert!(!ok(&format!("{}1", "!".repeat(2000))));
        assert!(!ok(&format!("{}1", "1?1:".repeat(2000))));
        assert!(!ok(&format!("{}1", "x=>".repeat(2000))));
        assert!(!ok(&format!("{}1;", "if(1)".repeat(2000))));
    }
}
