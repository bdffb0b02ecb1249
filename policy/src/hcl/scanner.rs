//! The tokenizer of HCL 1 and of its JSON reader (hcl/scanner/scanner.go and
//! json/scanner/scanner.go). It reads one character at a time, may step back one, and
//! peeks without consuming, exactly as those do: the odd corners of numbers (`.5e3` is
//! the float `.5e` then the number `3`) and escapes follow from that.
//!
//! The scanner never stops: after an error it still returns tokens, so the highlighter
//! can use it on any text. The first error is kept.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Illegal,
    Eof,
    Comment,
    Ident,
    Number,
    Float,
    Bool,
    Str,
    Heredoc,
    /// JSON's `null`.
    Null,
    LBrack,
    RBrack,
    LBrace,
    RBrace,
    Comma,
    Period,
    Assign,
    Colon,
    Add,
    Sub,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Hcl,
    Json,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub offset: usize,
    pub message: String,
}

pub(crate) struct Scanner<'a> {
    src: &'a str,
    dialect: Dialect,
    /// Byte offset of the next character.
    pos: usize,
    /// Byte length of the character `next` returned last (0 at the end).
    last_len: usize,
    /// Go's scanners read a NUL as the end of the text; the highlighter wants to go on.
    nul_ends_text: bool,
    pub error: Option<ScanError>,
}

/// `None` is the end of the text, as Go's `eof` rune.
type Ch = Option<char>;

impl<'a> Scanner<'a> {
    pub fn new(src: &'a str, dialect: Dialect) -> Scanner<'a> {
        Scanner {
            src,
            dialect,
            pos: 0,
            last_len: 0,
            nul_ends_text: true,
            error: None,
        }
    }

    /// A scanner that treats NUL as an illegal character instead of the end of the text.
    pub fn for_highlighting(src: &'a str, dialect: Dialect) -> Scanner<'a> {
        Scanner {
            nul_ends_text: false,
            ..Scanner::new(src, dialect)
        }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn err(&mut self, offset: usize, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(ScanError {
                offset,
                message: message.into(),
            });
        }
    }

    fn next(&mut self) -> Ch {
        let Some(ch) = self.src[self.pos..].chars().next() else {
            self.last_len = 0;
            return None;
        };
        self.last_len = ch.len_utf8();
        self.pos += self.last_len;
        match ch {
            '\0' if self.nul_ends_text => {
                if self.dialect == Dialect::Hcl {
                    self.err(self.pos - 1, "unexpected NUL character");
                }
                None
            }
            // HCL 1 reserves this code point for itself and refuses it anywhere.
            '\u{E123}' if self.dialect == Dialect::Hcl => {
                self.err(self.pos - 3, "the character U+E123 is reserved");
                Some(char::REPLACEMENT_CHARACTER)
            }
            _ => Some(ch),
        }
    }

    fn unread(&mut self) {
        self.pos -= self.last_len;
    }

    fn peek(&self) -> Ch {
        self.src[self.pos..].chars().next()
    }

    /// The offset of the character `next` returned last.
    fn here(&self) -> usize {
        self.pos - self.last_len
    }

    pub fn scan(&mut self) -> Token {
        let mut ch = self.next();
        while matches!(ch, Some(' ' | '\t' | '\n' | '\r')) {
            ch = self.next();
        }
        let start = self.here();
        let kind = match self.dialect {
            Dialect::Hcl => self.scan_hcl(ch, start),
            Dialect::Json => self.scan_json(ch, start),
        };
        Token {
            kind,
            start,
            end: self.pos,
        }
    }

    fn scan_hcl(&mut self, ch: Ch, start: usize) -> Tok {
        let Some(c) = ch else { return Tok::Eof };
        if is_letter(c) {
            return match self.scan_identifier(start, true) {
                "true" | "false" => Tok::Bool,
                _ => Tok::Ident,
            };
        }
        if c.is_ascii_digit() {
            return self.scan_hcl_number(c, start);
        }
        match c {
            '"' => self.scan_string(start, Dialect::Hcl),
            '#' | '/' => self.scan_comment(c, start),
            '.' => self.scan_period(),
            '<' => self.scan_heredoc(start),
            '[' => Tok::LBrack,
            ']' => Tok::RBrack,
            '{' => Tok::LBrace,
            '}' => Tok::RBrace,
            ',' => Tok::Comma,
            '=' => Tok::Assign,
            '+' => Tok::Add,
            '-' => match self.peek() {
                Some(d) if d.is_ascii_digit() => {
                    let first = self.next();
                    self.scan_hcl_number(first.unwrap_or('0'), start)
                }
                _ => Tok::Sub,
            },
            other => self.illegal(other, start),
        }
    }

    fn scan_json(&mut self, ch: Ch, start: usize) -> Tok {
        let Some(c) = ch else { return Tok::Eof };
        if is_letter(c) {
            return match self.scan_identifier(start, false) {
                "true" | "false" => Tok::Bool,
                "null" => Tok::Null,
                _ => {
                    self.err(start, "illegal word: JSON has only true, false and null");
                    Tok::Illegal
                }
            };
        }
        if c.is_ascii_digit() {
            return self.scan_json_number(c, start);
        }
        match c {
            '"' => self.scan_string(start, Dialect::Json),
            '.' => self.scan_period(),
            '[' => Tok::LBrack,
            ']' => Tok::RBrack,
            '{' => Tok::LBrace,
            '}' => Tok::RBrace,
            ',' => Tok::Comma,
            ':' => Tok::Colon,
            '-' => match self.peek() {
                Some(d) if d.is_ascii_digit() => {
                    let first = self.next();
                    self.scan_json_number(first.unwrap_or('0'), start)
                }
                _ => self.illegal('-', start),
            },
            other => self.illegal(other, start),
        }
    }

    fn illegal(&mut self, c: char, at: usize) -> Tok {
        self.err(at, format!("illegal character {c:?}"));
        Tok::Illegal
    }

    /// Letters, then letters, digits and `-` (and `.` in HCL).
    fn scan_identifier(&mut self, start: usize, dots: bool) -> &'a str {
        let mut ch = self.next();
        while let Some(c) = ch {
            if !(is_letter(c) || is_digit(c) || c == '-' || (dots && c == '.')) {
                break;
            }
            ch = self.next();
        }
        if ch.is_some() {
            self.unread();
        }
        &self.src[start..self.pos]
    }

    /// `.` alone, or a float such as `.5`.
    fn scan_period(&mut self) -> Tok {
        match self.peek() {
            Some(d) if d.is_ascii_digit() => {
                let ch = self.scan_mantissa(Some(d));
                self.scan_exponent(ch);
                Tok::Float
            }
            _ => Tok::Period,
        }
    }

    fn scan_hcl_number(&mut self, first: char, start: usize) -> Tok {
        if first != '0' {
            self.scan_mantissa(Some(first));
            return self.scan_number_tail();
        }
        let mut ch = self.next();
        if matches!(ch, Some('x' | 'X')) {
            return self.scan_hex(start);
        }
        // 0755 is octal; 0159 is only wrong if no fraction follows (0159.23 is fine).
        let mut illegal_octal = false;
        while is_decimal(ch) {
            ch = self.next();
            illegal_octal |= matches!(ch, Some('8' | '9'));
        }
        if matches!(ch, Some('e' | 'E')) {
            self.scan_exponent(ch);
            return Tok::Float;
        }
        if ch == Some('.') {
            self.scan_fraction_and_exponent();
            return Tok::Float;
        }
        if illegal_octal {
            self.err(start, "illegal octal number");
        }
        if ch.is_some() {
            self.unread();
        }
        Tok::Number
    }

    fn scan_hex(&mut self, start: usize) -> Tok {
        let mut ch = self.next();
        let mut found = false;
        while matches!(ch, Some(c) if c.is_ascii_hexdigit()) {
            ch = self.next();
            found = true;
        }
        if !found {
            self.err(start, "illegal hexadecimal number");
        }
        if ch.is_some() {
            self.unread();
        }
        Tok::Number
    }

    /// After the integer part: an exponent or a fraction makes a float.
    fn scan_number_tail(&mut self) -> Tok {
        let ch = self.next();
        if matches!(ch, Some('e' | 'E')) {
            self.scan_exponent(ch);
            return Tok::Float;
        }
        if ch == Some('.') {
            self.scan_fraction_and_exponent();
            return Tok::Float;
        }
        if ch.is_some() {
            self.unread();
        }
        Tok::Number
    }

    fn scan_fraction_and_exponent(&mut self) {
        let ch = self.scan_mantissa(self.peek());
        if matches!(ch, Some('e' | 'E')) {
            let e = self.next();
            self.scan_exponent(e);
        }
    }

    fn scan_json_number(&mut self, first: char, start: usize) -> Tok {
        let after_first = self.pos;
        self.scan_mantissa(Some(first));
        let ch = self.next();
        if matches!(ch, Some('e' | 'E')) {
            self.scan_exponent(ch);
            return Tok::Float;
        }
        if ch == Some('.') {
            self.scan_fraction_and_exponent();
            return Tok::Float;
        }
        if ch.is_some() {
            self.unread();
        }
        if first == '0' && self.pos != after_first {
            self.err(start, "numbers cannot start with 0");
        }
        Tok::Number
    }

    /// Reads decimal digits starting with `ch` (already read, or peeked); returns the first
    /// character after them, stepping back onto it.
    fn scan_mantissa(&mut self, mut ch: Ch) -> Ch {
        let mut scanned = false;
        while is_decimal(ch) {
            ch = self.next();
            scanned = true;
        }
        if scanned && ch.is_some() {
            self.unread();
        }
        ch
    }

    fn scan_exponent(&mut self, ch: Ch) -> Ch {
        if !matches!(ch, Some('e' | 'E')) {
            return ch;
        }
        let mut ch = self.next();
        if matches!(ch, Some('-' | '+')) {
            ch = self.next();
        }
        self.scan_mantissa(ch)
    }

    fn scan_comment(&mut self, first: char, start: usize) -> Tok {
        if first == '#' || self.peek() != Some('*') {
            if first == '/' && self.peek() != Some('/') {
                self.err(start, "expected '/' for a // comment");
                return Tok::Comment;
            }
            let mut ch = self.next();
            while ch.is_some() && ch != Some('\n') {
                ch = self.next();
            }
            if ch.is_some() {
                self.unread();
            }
            return Tok::Comment;
        }
        self.next();
        let mut ch = self.next();
        loop {
            if ch.is_none() {
                self.err(start, "comment not terminated: /* needs a closing */");
                break;
            }
            let previous = ch;
            ch = self.next();
            if previous == Some('*') && ch == Some('/') {
                break;
            }
        }
        Tok::Comment
    }

    fn scan_string(&mut self, start: usize, dialect: Dialect) -> Tok {
        // Inside "${ … }" (HCL 1 interpolation) quotes and newlines do not end the string.
        let mut braces = 0usize;
        loop {
            let ch = self.next();
            let interpolating = braces > 0 && dialect == Dialect::Hcl;
            if ch.is_none() || (ch == Some('\n') && !interpolating) {
                self.err(start, "string not terminated: a closing \" is missing");
                return Tok::Str;
            }
            if ch == Some('"') && !interpolating {
                return Tok::Str;
            }
            if braces == 0 && ch == Some('$') && self.peek() == Some('{') {
                braces += 1;
                self.next();
            } else if braces > 0 && ch == Some('{') {
                braces += 1;
            }
            if braces > 0 && ch == Some('}') {
                braces -= 1;
            }
            if ch == Some('\\') {
                self.scan_escape(dialect);
            }
        }
    }

    fn scan_escape(&mut self, dialect: Dialect) {
        let at = self.here();
        let ch = self.next();
        let ok = match ch {
            Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' | '"') => true,
            Some(c @ '0'..='7') => self.scan_digits(Some(c), 8, 3, dialect),
            Some('x') => {
                let first = self.next();
                self.scan_digits(first, 16, 2, dialect)
            }
            Some('u') => {
                let first = self.next();
                self.scan_digits(first, 16, 4, dialect)
            }
            Some('U') => {
                let first = self.next();
                self.scan_digits(first, 16, 8, dialect)
            }
            _ => false,
        };
        if !ok {
            self.err(at, "invalid escape sequence in a string");
        }
    }

    /// Reads `count` digits of `base`, the first being `ch`; steps back onto what follows.
    fn scan_digits(&mut self, mut ch: Ch, base: u32, count: usize, dialect: Dialect) -> bool {
        let mut left = count;
        while left > 0 && ch.is_some_and(|c| c.is_digit(base)) {
            ch = self.next();
            if ch.is_none() && dialect == Dialect::Hcl {
                break;
            }
            left -= 1;
        }
        let read_any = left != count;
        if (dialect == Dialect::Json || read_any) && ch.is_some() {
            self.unread();
        }
        left == 0
    }

    fn scan_heredoc(&mut self, start: usize) -> Tok {
        if self.next() != Some('<') {
            self.err(start, "expected a second '<' to start a heredoc (<<EOF)");
            return Tok::Heredoc;
        }
        let anchor_start = self.pos;
        let mut ch = self.next();
        if ch == Some('-') {
            ch = self.next();
        }
        while matches!(ch, Some(c) if is_letter(c) || is_digit(c)) {
            ch = self.next();
        }
        match ch {
            None => {
                self.err(start, "heredoc not terminated");
                return Tok::Heredoc;
            }
            Some('\r') if self.peek() == Some('\n') => ch = self.next(),
            _ => {}
        }
        if ch != Some('\n') {
            self.err(start, "invalid characters after the heredoc's name");
            return Tok::Heredoc;
        }
        let anchor = &self.src[anchor_start..self.here()];
        if anchor.is_empty() || anchor == "-" {
            self.err(start, "a heredoc needs a name: <<EOF");
            return Tok::Heredoc;
        }
        self.scan_heredoc_body(anchor, start)
    }

    /// Reads lines until one is the anchor, optionally indented, followed by a newline.
    fn scan_heredoc_body(&mut self, anchor: &'a str, start: usize) -> Tok {
        let name = anchor.trim_start_matches('-');
        let mut line_start = self.pos;
        loop {
            match self.next() {
                Some('\n') => {
                    let line = &self.src[line_start..self.here()];
                    if line.len() >= anchor.len() && is_heredoc_end(line, name) {
                        return Tok::Heredoc;
                    }
                    line_start = self.pos;
                }
                None => {
                    self.err(
                        start,
                        format!("heredoc not terminated: a line {name} followed by a newline is missing"),
                    );
                    return Tok::Heredoc;
                }
                Some(_) => {}
            }
        }
    }
}

/// Whether a heredoc line closes it: `^[[:space:]]*NAME\r*$`.
fn is_heredoc_end(line: &str, name: &str) -> bool {
    let rest = line.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    rest.strip_prefix(name)
        .is_some_and(|tail| tail.chars().all(|c| c == '\r'))
}

fn is_decimal(ch: Ch) -> bool {
    ch.is_some_and(|c| c.is_ascii_digit())
}

/// Go's `isLetter`: ASCII letters, `_`, and Unicode letters.
pub(crate) fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, dialect: Dialect) -> Vec<(Tok, &str)> {
        let mut scanner = Scanner::new(text, dialect);
        let mut out = Vec::new();
        loop {
            let token = scanner.scan();
            if token.kind == Tok::Eof {
                return out;
            }
            out.push((token.kind, &text[token.start..token.end]));
        }
    }

    #[test]
    fn policy_tokens() {
        assert_eq!(
            kinds(
                "path \"a/*\" { capabilities = [\"read\",] } # done",
                Dialect::Hcl
            ),
            vec![
                (Tok::Ident, "path"),
                (Tok::Str, "\"a/*\""),
                (Tok::LBrace, "{"),
                (Tok::Ident, "capabilities"),
                (Tok::Assign, "="),
                (Tok::LBrack, "["),
                (Tok::Str, "\"read\""),
                (Tok::Comma, ","),
                (Tok::RBrack, "]"),
                (Tok::RBrace, "}"),
                (Tok::Comment, "# done"),
            ]
        );
    }

    #[test]
    fn numbers_follow_hcl_1() {
        assert_eq!(
            kinds("1 0x1F 0755 1.5 1e3 -2 .5e3", Dialect::Hcl),
            vec![
                (Tok::Number, "1"),
                (Tok::Number, "0x1F"),
                (Tok::Number, "0755"),
                (Tok::Float, "1.5"),
                (Tok::Float, "1e3"),
                (Tok::Number, "-2"),
                // Go's scanner reads the exponent's "e" a second time and stops there.
                (Tok::Float, ".5e"),
                (Tok::Number, "3"),
            ]
        );
    }

    #[test]
    fn comments_of_every_kind() {
        assert_eq!(
            kinds("# a\n// b\n/* c\n d */ x", Dialect::Hcl),
            vec![
                (Tok::Comment, "# a"),
                (Tok::Comment, "// b"),
                (Tok::Comment, "/* c\n d */"),
                (Tok::Ident, "x"),
            ]
        );
    }

    #[test]
    fn heredocs_end_at_their_name_on_a_line_of_its_own() {
        let text = "x = <<EOF\nread\n  EOF\ny";
        assert_eq!(
            kinds(text, Dialect::Hcl)[2],
            (Tok::Heredoc, "<<EOF\nread\n  EOF\n")
        );
        let mut scanner = Scanner::new("x = <<EOF\nread\nEOF", Dialect::Hcl);
        while scanner.scan().kind != Tok::Eof {}
        assert!(scanner.error.is_some(), "no newline after the closing name");
    }

    #[test]
    fn errors_are_kept_and_scanning_goes_on() {
        let mut scanner = Scanner::new("a \"open\nb ~ c", Dialect::Hcl);
        while scanner.scan().kind != Tok::Eof {}
        let error = scanner.error.unwrap();
        assert_eq!(error.offset, 2);
        assert!(
            error.message.contains("not terminated"),
            "{}",
            error.message
        );
    }

    #[test]
    fn json_words_and_numbers() {
        assert_eq!(
            kinds("{\"a\": [true, null, -1.5, 2]}", Dialect::Json),
            vec![
                (Tok::LBrace, "{"),
                (Tok::Str, "\"a\""),
                (Tok::Colon, ":"),
                (Tok::LBrack, "["),
                (Tok::Bool, "true"),
                (Tok::Comma, ","),
                (Tok::Null, "null"),
                (Tok::Comma, ","),
                (Tok::Float, "-1.5"),
                (Tok::Comma, ","),
                (Tok::Number, "2"),
                (Tok::RBrack, "]"),
                (Tok::RBrace, "}"),
            ]
        );
        let mut scanner = Scanner::new("{\"a\": 01}", Dialect::Json);
        while scanner.scan().kind != Tok::Eof {}
        assert!(scanner.error.is_some());
    }
}
