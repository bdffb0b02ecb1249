//! How many values a YAML document stands for once its aliases are expanded. The YAML parser
//! (libyaml, through `serde_norway`) expands every alias in full, so `[&a [v, v, …], *a, *a,
//! …]` a few KB long stands for billions of strings, and building them exhausts memory. Go's
//! YAML decoder, which Vault's Kubernetes plugins use, refuses such a document ("excessive
//! aliasing"); here the values are counted as the parser hands them over, each with the bytes
//! of its text (an alias of a long string builds a long string each time), and the count
//! stops at a limit before anything is built. (A scan of the text for `&` and `*` would have
//! to agree with the parser on quotes, comments, tags and line breaks; this cannot disagree.)

use serde::de::{self, DeserializeSeed, Deserializer};
use std::cell::Cell;

/// Why a document's values were not all counted.
#[derive(Debug, PartialEq, Eq)]
pub enum NotCounted {
    /// More than the limit, aliases expanded.
    TooMany,
    /// The parser stopped the count: the text does not parse, or nests past its depth
    /// limit, or a value cannot be read (`!!int x`). Its words, with where. Such a text must
    /// not be parsed further: a parse that skips the part that stopped the count (an ignored
    /// field) would go on to expand whatever follows it.
    Unreadable(String),
}

/// Counts what `text` stands for once its aliases are expanded, stopping past `most`: one
/// for every value (scalars, lists and maps, each again where an alias repeats it), and the
/// bytes of every string and binary value on top. A text written out in full counts at most
/// twice its length.
pub fn count_values(text: &str, most: usize) -> Result<(), NotCounted> {
    let left = Cell::new(most);
    let budget = ValueBudget(&left);
    match budget.deserialize(serde_norway::Deserializer::from_str(text)) {
        Ok(()) => Ok(()),
        Err(_) if left.get() == 0 => Err(NotCounted::TooMany),
        Err(error) => Err(NotCounted::Unreadable(error.to_string())),
    }
}

/// Visits every value of a document, aliases expanded, spending from `.0` for each.
struct ValueBudget<'a>(&'a Cell<usize>);

impl ValueBudget<'_> {
    fn spend<E: de::Error>(&self) -> Result<(), E> {
        self.spend_for(1)
    }

    fn spend_for<E: de::Error>(&self, cost: usize) -> Result<(), E> {
        match self.0.get().checked_sub(cost) {
            Some(left) => {
                self.0.set(left);
                Ok(())
            }
            None => {
                self.0.set(0);
                Err(E::custom("more than Vaultdeck reads"))
            }
        }
    }
}

impl<'de> de::DeserializeSeed<'de> for ValueBudget<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for ValueBudget<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.spend()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.spend()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.spend()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.spend()
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.spend()
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.spend()
    }

    fn visit_char<E: de::Error>(self, _: char) -> Result<(), E> {
        self.spend()
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<(), E> {
        self.spend_for(1 + bytes.len())
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<(), D::Error> {
        self.spend()?;
        inner.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        self.spend_for(1 + text.len())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.spend()
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.spend()
    }

    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<(), D::Error> {
        self.spend()?;
        inner.deserialize_any(self)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        self.spend()?;
        while items.next_element_seed(ValueBudget(self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        self.spend()?;
        while entries.next_key_seed(ValueBudget(self.0))?.is_some() {
            entries.next_value_seed(ValueBudget(self.0))?;
        }
        Ok(())
    }

    /// A tagged value (`!name value`).
    fn visit_enum<A: de::EnumAccess<'de>>(self, tagged: A) -> Result<(), A::Error> {
        use de::VariantAccess;
        self.spend()?;
        let ((), value) = tagged.variant_seed(ValueBudget(self.0))?;
        value.newtype_variant_seed(ValueBudget(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::{count_values, NotCounted};

    fn within(text: &str, most: usize) -> bool {
        count_values(text, most).is_ok()
    }

    #[test]
    fn every_value_counts_and_aliases_count_again() {
        assert!(within("[a, b]", 5));
        assert_eq!(count_values("[a, b]", 4), Err(NotCounted::TooMany));
        assert!(within("{k: [&x [a, b], *x]}", 14));
        assert!(!within("{k: [&x [a, b], *x]}", 13));
        assert!(within("!!str tagged", 7));
        assert!(!within("!!str tagged", 6));
        assert!(within("x: 99999999999999999999999\nrules: []", 100));
    }

    /// Review, stop 29: an alias of one long string, repeated, built that string each time
    /// while counting as one value.
    #[test]
    fn a_long_string_counts_its_bytes_each_time_an_alias_repeats_it() {
        let long = "x".repeat(130_000);
        let aliases = vec!["*a"; 44_000].join(",");
        let bomb = format!("rules: [{{verbs: [&a \"{long}\", {aliases}]}}]");
        assert_eq!(count_values(&bomb, 600_000), Err(NotCounted::TooMany));
        assert!(within(&format!("k: \"{long}\""), 2 * 130_010));
    }

    #[test]
    fn a_text_that_does_not_parse_says_where() {
        let refused = count_values("rules: [unclosed", 100);
        assert!(
            matches!(&refused, Err(NotCounted::Unreadable(why)) if why.contains("line")),
            "{refused:?}"
        );
    }

    #[test]
    fn an_alias_bomb_stops_at_the_limit() {
        let verbs = vec!["v"; 25_000].join(",");
        let aliases = vec!["*a"; 16_000].join(",");
        let bomb = format!("rules: [&a {{verbs: [{verbs}]}}, {aliases}]");
        assert_eq!(count_values(&bomb, 200_000), Err(NotCounted::TooMany));
    }

    /// Review, stop 29: a count that stopped before the bomb, with budget left, let it by
    /// (a parse that ignores the field that stopped it goes on to the bomb).
    #[test]
    fn what_comes_before_a_bomb_cannot_end_the_count_quietly() {
        let aliases = vec!["*a"; 2_000].join(",");
        let bomb = format!("rules: [&a [{}], {aliases}]", vec!["v"; 2_000].join(","));
        for lead in [
            "x: 99999999999999999999999",
            "x: !!binary aGVsbG8=",
            "x: !custom {a: 1}",
            "x: !!int nope",
            &format!("x: {}{}", "[".repeat(200), "]".repeat(200)),
        ] {
            assert!(!within(&format!("{lead}\n{bomb}"), 100_000), "{lead}");
        }
    }
}
