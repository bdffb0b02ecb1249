//! Syntax highlighting for the policy editor, from the same scanner the parser uses (HCL 1,
//! or its JSON reader for text that starts with `{`). It never fails: text the scanner
//! refuses still gets tokens, and whatever lies between tokens is plain.

use crate::hcl::scanner::{Dialect, Scanner, Tok};
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Comment,
    String,
    Number,
    /// `path`, `capabilities` and the other keys OpenBao knows.
    Keyword,
    Identifier,
    Punctuation,
    Plain,
}

impl TokenKind {
    pub fn class(self) -> &'static str {
        match self {
            TokenKind::Comment => "hl-comment",
            TokenKind::String => "hl-string",
            TokenKind::Number => "hl-number",
            TokenKind::Keyword => "hl-keyword",
            TokenKind::Identifier => "hl-ident",
            TokenKind::Punctuation => "hl-punct",
            TokenKind::Plain => "",
        }
    }
}

/// The tokens of `text`, covering it completely and in order.
pub fn tokens(text: &str) -> Vec<(TokenKind, Range<usize>)> {
    let dialect = if crate::hcl::is_json(text) {
        Dialect::Json
    } else {
        Dialect::Hcl
    };
    let mut scanner = Scanner::for_highlighting(text, dialect);
    let mut out: Vec<(TokenKind, Range<usize>)> = Vec::new();
    let mut covered = 0;
    loop {
        let token = scanner.scan();
        if token.start > covered {
            push(&mut out, TokenKind::Plain, covered..token.start);
        }
        if token.kind == Tok::Eof && scanner.at_end() {
            if token.end > token.start {
                push(&mut out, TokenKind::Plain, token.start..token.end);
            }
            return out;
        }
        push(
            &mut out,
            kind_of(token.kind, &text[token.start..token.end]),
            token.start..token.end,
        );
        covered = token.end;
    }
}

fn kind_of(kind: Tok, text: &str) -> TokenKind {
    match kind {
        Tok::Comment => TokenKind::Comment,
        Tok::Str | Tok::Heredoc => TokenKind::String,
        Tok::Number | Tok::Float => TokenKind::Number,
        Tok::Ident if is_keyword(text) => TokenKind::Keyword,
        Tok::Ident | Tok::Bool | Tok::Null => TokenKind::Identifier,
        Tok::LBrack
        | Tok::RBrack
        | Tok::LBrace
        | Tok::RBrace
        | Tok::Comma
        | Tok::Period
        | Tok::Assign
        | Tok::Colon
        | Tok::Add
        | Tok::Sub => TokenKind::Punctuation,
        Tok::Illegal | Tok::Eof => TokenKind::Plain,
    }
}

fn is_keyword(word: &str) -> bool {
    crate::decode::TOP_LEVEL_KEYS.contains(&word) || crate::parse::PATH_BLOCK_KEYS.contains(&word)
}

/// Appends a token, joining neighbouring plain ones.
fn push(out: &mut Vec<(TokenKind, Range<usize>)>, kind: TokenKind, range: Range<usize>) {
    if range.is_empty() {
        return;
    }
    match out.last_mut() {
        Some((TokenKind::Plain, last)) if kind == TokenKind::Plain && last.end == range.start => {
            last.end = range.end
        }
        _ => out.push((kind, range)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_text_and_classifies() {
        let text = "# read app one\npath \"kv/data/a\" {\n  capabilities = [\"read\"] // ok\n}\n";
        let tokens = tokens(text);
        let rebuilt: String = tokens.iter().map(|(_, r)| &text[r.clone()]).collect();
        assert_eq!(rebuilt, text);
        let kinds: Vec<_> = tokens
            .iter()
            .filter(|(k, _)| *k != TokenKind::Plain)
            .map(|(k, r)| (*k, &text[r.clone()]))
            .collect();
        assert_eq!(kinds[0], (TokenKind::Comment, "# read app one"));
        assert_eq!(kinds[1], (TokenKind::Keyword, "path"));
        assert_eq!(kinds[2], (TokenKind::String, "\"kv/data/a\""));
        assert!(kinds.contains(&(TokenKind::Comment, "// ok")));
    }

    fn classified(text: &str) -> Vec<(TokenKind, &str)> {
        tokens(text)
            .into_iter()
            .filter(|(k, _)| *k != TokenKind::Plain)
            .map(|(k, r)| (k, &text[r]))
            .collect()
    }

    #[test]
    fn heredocs_block_comments_and_openbao_keys() {
        let text = "/* a\n b */ path \"x\" { pagination_limit = 5\n comment = <<EOT\nhi\nEOT\n}";
        let kinds = classified(text);
        assert_eq!(kinds[0], (TokenKind::Comment, "/* a\n b */"));
        assert!(kinds.contains(&(TokenKind::Keyword, "pagination_limit")));
        assert!(kinds.contains(&(TokenKind::Number, "5")));
        assert!(kinds.contains(&(TokenKind::String, "<<EOT\nhi\nEOT\n")));
    }

    #[test]
    fn json_is_highlighted_with_its_own_rules() {
        let kinds = classified("{\"path\": {\"a\": {\"capabilities\": null}}}");
        assert_eq!(kinds[1], (TokenKind::String, "\"path\""));
        assert_eq!(kinds[2], (TokenKind::Punctuation, ":"));
        assert!(kinds.contains(&(TokenKind::Identifier, "null")));
    }

    #[test]
    fn unfinished_text_and_unicode_do_not_break_it() {
        for text in [
            "path \"unfinished",
            "/* open",
            "päth ü \"é\"",
            "\"",
            "a = <<EOF\nno end",
            "x\0y ~ '\u{feff}",
            "{\"a\": tru",
        ] {
            let rebuilt: String = tokens(text).iter().map(|(_, r)| &text[r.clone()]).collect();
            assert_eq!(rebuilt, text);
        }
    }
}
