//! The glob lists of `GONOSUMDB`, `GONOPROXY` and `GOPRIVATE`, matched as `go` matches them
//! (`module.MatchPrefixPatterns` over `path.Match`): a comma-separated list of patterns, each
//! matched against the module path cut to as many `/`-separated elements as the pattern has,
//! so `golang.org` and `golang.*` match `golang.org/toolchain`, `*/toolchain` matches it too,
//! and `golang.org/toolchain/x` does not.

/// A malformed pattern (an unclosed `[`, a trailing `\`): Go's `path.ErrBadPattern`. Such a
/// pattern matches nothing, as in `go`.
#[derive(Debug, PartialEq, Eq)]
pub struct BadPattern;

/// Whether any pattern of the comma-separated `globs` matches a prefix of `target`.
pub fn match_prefix_patterns(globs: &str, target: &str) -> bool {
    globs.split(',').any(|glob| {
        let glob = glob.strip_suffix('/').unwrap_or(glob);
        if glob.is_empty() {
            return false;
        }
        let elements = glob.matches('/').count() + 1;
        let mut parts = target.splitn(elements + 1, '/');
        let taken: Vec<&str> = parts.by_ref().take(elements).collect();
        if taken.len() < elements {
            return false;
        }
        path_match(glob, &taken.join("/")).unwrap_or(false)
    })
}

/// Go's `path.Match`: `*` is any run of characters but `/`, `?` one character but `/`,
/// `[a-z]` / `[^a-z]` a class (never `/`), `\c` the character `c`.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let matched = match_from(&pattern, &name)?;
    // A pattern that failed early must still be well formed to its end, as in Go.
    check_syntax(&pattern)?;
    Ok(matched)
}

fn match_from(p: &[char], n: &[char]) -> Result<bool, BadPattern> {
    match p.first() {
        None => Ok(n.is_empty()),
        Some('*') => {
            // Any run of non-separators, shortest first.
            let mut i = 0;
            loop {
                if match_from(&p[1..], &n[i..])? {
                    return Ok(true);
                }
                if i == n.len() || n[i] == '/' {
                    return Ok(false);
                }
                i += 1;
            }
        }
        Some(_) => {
            let (matched, rest) = match_one(p, n.first().copied())?;
            Ok(matched && match_from(rest, &n[1..])?)
        }
    }
}

/// Matches one pattern item (not `*`) against one character; returns the pattern after it.
fn match_one(p: &[char], c: Option<char>) -> Result<(bool, &[char]), BadPattern> {
    match p[0] {
        '?' => Ok((c.is_some_and(|c| c != '/'), &p[1..])),
        '\\' => {
            let want = *p.get(1).ok_or(BadPattern)?;
            Ok((c == Some(want), &p[2..]))
        }
        '[' => {
            let (class, rest) = parse_class(&p[1..])?;
            Ok((c.is_some_and(|c| c != '/' && class.contains(c)), rest))
        }
        literal => Ok((c == Some(literal), &p[1..])),
    }
}

/// A `[…]` class, parsed from just after the `[`.
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

fn parse_class(mut p: &[char]) -> Result<(Class, &[char]), BadPattern> {
    let negated = p.first() == Some(&'^');
    if negated {
        p = &p[1..];
    }
    let mut ranges = Vec::new();
    loop {
        if p.first() == Some(&']') && !ranges.is_empty() {
            return Ok((Class { negated, ranges }, &p[1..]));
        }
        let (lo, rest) = class_char(p)?;
        p = rest;
        let mut hi = lo;
        if p.first() == Some(&'-') {
            let (h, rest) = class_char(&p[1..])?;
            hi = h;
            p = rest;
        }
        ranges.push((lo, hi));
    }
}

/// One character of a class: not `-` or `]` unescaped, and present.
fn class_char(p: &[char]) -> Result<(char, &[char]), BadPattern> {
    match p {
        [] | ['-' | ']', ..] => Err(BadPattern),
        ['\\', c, rest @ ..] => Ok((*c, rest)),
        ['\\'] => Err(BadPattern),
        [c, rest @ ..] => Ok((*c, rest)),
    }
}

/// Errors in the whole pattern, whether or not matching got that far.
fn check_syntax(mut p: &[char]) -> Result<(), BadPattern> {
    while !p.is_empty() {
        p = match p[0] {
            '*' => &p[1..],
            _ => match_one(p, None)?.1,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_match_as_go() {
        for (pattern, name, want) in [
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ab/c", false),
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("*x", "xxx", true),
            ("a?", "a/", false),
            ("[^/]", "/", false),
        ] {
            assert_eq!(path_match(pattern, name), Ok(want), "{pattern} {name}");
        }
        for bad in [
            "[", "[^", "[^bc", "a[", "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "*x\\",
        ] {
            assert_eq!(path_match(bad, "a"), Err(BadPattern), "{bad}");
        }
        // Go finds the error even after a match has failed.
        assert_eq!(path_match("x[", "y"), Err(BadPattern));
    }

    #[test]
    fn prefix_patterns_as_go() {
        let m = "golang.org/toolchain";
        for globs in [
            "golang.org",
            "golang.org/",
            "golang.*",
            "*.org",
            "golang.org/toolchain",
            "*/toolchain",
            "corp.example.com,golang.org",
            ",,golang.org",
            "*",
            "*/*",
        ] {
            assert!(match_prefix_patterns(globs, m), "{globs}");
        }
        for globs in [
            "",
            "golang",
            "golang.org/toolchain/x",
            "*/*/*",
            "golang.org/tool",
            "github.com/*",
            "golang.org[",
            "corp.example.com",
        ] {
            assert!(!match_prefix_patterns(globs, m), "{globs}");
        }
    }
}
