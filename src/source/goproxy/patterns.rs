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
/// `[a-z]` / `[^a-z]` a class (never `/`), `\\c` the character `c`.
///
/// The pattern is a list of chunks, each a run of one-character items led by any number of
/// stars. A chunk is placed at the first spot where it fits that its stars can reach (they
/// cannot cross a `/`); the last chunk must end the name, so it takes the last spot instead.
/// Taking the first spot never loses a match (a later chunk fits at least wherever it fitted
/// after a later spot, since chunks have fixed lengths), so no choice is ever revisited:
/// matching takes at most (pattern length × name length) steps, where trying every way of
/// sharing the name among the stars took 27 s for 32 stars (docs/security.md).
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let chunks = parse(pattern)?;
    let name: Vec<char> = name.chars().collect();
    let mut rest = &name[..];
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        if chunk.star && chunk.items.is_empty() {
            // Only at the end: the stars take what is left, if it holds no separator.
            return Ok(!rest.contains(&'/'));
        }
        // How far the stars may skip: up to the next separator.
        let reach = if chunk.star {
            rest.iter().position(|&c| c == '/').unwrap_or(rest.len())
        } else {
            0
        };
        let fits = |skip: usize| chunk.fits(&rest[skip..]);
        let spot = if last {
            // Must end the name: only one spot can, if the stars reach it.
            let n = chunk.items.len();
            rest.len()
                .checked_sub(n)
                .filter(|&skip| skip <= reach && fits(skip))
        } else {
            (0..=reach).find(|&skip| fits(skip))
        };
        match spot {
            Some(skip) => rest = &rest[skip + chunk.items.len()..],
            None => return Ok(false),
        }
    }
    Ok(rest.is_empty())
}

/// A run of one-character items, and whether stars lead it.
struct Chunk {
    star: bool,
    items: Vec<Item>,
}

impl Chunk {
    /// Whether the items match the start of `name`.
    fn fits(&self, name: &[char]) -> bool {
        name.len() >= self.items.len() && self.items.iter().zip(name).all(|(i, &c)| i.matches(c))
    }
}

/// One character's worth of pattern.
enum Item {
    Any,
    Literal(char),
    Class(Class),
}

impl Item {
    fn matches(&self, c: char) -> bool {
        match self {
            Item::Any => c != '/',
            Item::Literal(l) => *l == c,
            Item::Class(class) => c != '/' && class.contains(c),
        }
    }
}

/// The whole pattern as chunks, or [`BadPattern`] wherever it is malformed (as Go reports
/// a malformed pattern whether or not matching got that far).
fn parse(pattern: &str) -> Result<Vec<Chunk>, BadPattern> {
    let p: Vec<char> = pattern.chars().collect();
    let mut p = &p[..];
    let mut chunks = Vec::new();
    while !p.is_empty() {
        let mut star = false;
        while p.first() == Some(&'*') {
            star = true;
            p = &p[1..];
        }
        let mut items = Vec::new();
        while let Some(&c) = p.first() {
            let (item, rest) = match c {
                '*' => break,
                '?' => (Item::Any, &p[1..]),
                '\\' => (Item::Literal(*p.get(1).ok_or(BadPattern)?), &p[2..]),
                '[' => {
                    let (class, rest) = parse_class(&p[1..])?;
                    (Item::Class(class), rest)
                }
                literal => (Item::Literal(literal), &p[1..]),
            };
            items.push(item);
            p = rest;
        }
        chunks.push(Chunk { star, items });
    }
    Ok(chunks)
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
    fn many_stars_match_without_backtracking() {
        // Backtracking over every way to share the name among the stars took 27 s for 32
        // stars and this name; 60 never finished.
        let stars = "*".repeat(60);
        let name = "a".repeat(60);
        assert_eq!(path_match(&format!("{stars}x"), &name), Ok(false));
        assert_eq!(path_match(&format!("{stars}a"), &name), Ok(true));
        assert_eq!(path_match(&format!("a{stars}a{stars}b"), &name), Ok(false));
        let globs = format!("{stars}x,{}", "*a".repeat(61));
        assert!(!match_prefix_patterns(&globs, &name));
        assert!(match_prefix_patterns(
            &format!("{stars}a"),
            &format!("{name}/rest")
        ));
    }

    /// Every way of sharing the name among the stars, tried one after another: right by
    /// definition, exponential, and only for small cases (patterns without classes).
    fn backtracking(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len())
                .take_while(|&i| i == 0 || n[i - 1] != '/')
                .any(|i| backtracking(rest, &n[i..])),
            Some(('?', rest)) => {
                n.first().is_some_and(|&c| c != '/') && backtracking(rest, &n[1..])
            }
            Some((&c, rest)) => n.first() == Some(&c) && backtracking(rest, &n[1..]),
        }
    }

    #[test]
    fn taking_the_first_spot_finds_every_match() {
        // Every pattern of up to 5 items over `*?a/` against every name of up to 5 characters
        // over `ab/`: the same answers as trying every way.
        fn all(alphabet: &[char], max: usize) -> Vec<Vec<char>> {
            let mut out = vec![vec![]];
            let mut last = vec![vec![]];
            for _ in 0..max {
                last = last
                    .iter()
                    .flat_map(|w: &Vec<char>| {
                        alphabet.iter().map(move |&c| [&w[..], &[c]].concat())
                    })
                    .collect();
                out.extend(last.iter().cloned());
            }
            out
        }
        let names = all(&['a', 'b', '/'], 5);
        for pattern in all(&['*', '?', 'a', '/'], 5) {
            let text: String = pattern.iter().collect();
            for name in &names {
                let want = backtracking(&pattern, name);
                let name: String = name.iter().collect();
                assert_eq!(path_match(&text, &name), Ok(want), "{text} {name}");
            }
        }
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
