//! How many values a YAML document stands for once its aliases are expanded. The YAML parser
//! (libyaml, through `serde_norway`) expands every alias in full, so `[&a [v, v, …], *a, *a,
//! …]` a few KB long stands for billions of strings, and building them exhausts memory. Go's
//! YAML decoder, which Vault's Kubernetes plugins use, refuses such a document ("excessive
//! aliasing"); here the values are counted as the parser hands them over, and the count
//! stops at a limit before anything is built. (A scan of the text for `&` and `*` would have
//! to agree with the parser on quotes, comments, tags and line breaks; this cannot disagree.)

use serde::de::{self, DeserializeSeed, Deserializer};
use std::cell::Cell;

/// Whether `text` stands for at most `most` values (scalars, lists and maps, each counted
/// where an alias repeats it). A text that does not parse counts as within: the caller's
/// own parse says where it is wrong.
pub fn within_values(text: &str, most: usize) -> bool {
    let left = Cell::new(most);
    let counted = ValueBudget(&left).deserialize(serde_norway::Deserializer::from_str(text));
    counted.is_ok() || left.get() > 0
}

/// Visits every value of a document, aliases expanded, spending one of `.0` on each.
struct ValueBudget<'a>(&'a Cell<usize>);

impl ValueBudget<'_> {
    fn spend<E: de::Error>(&self) -> Result<(), E> {
        match self.0.get() {
            0 => Err(E::custom("more values than Vaultdeck reads")),
            left => {
                self.0.set(left - 1);
                Ok(())
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

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.spend()
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
    use super::within_values;

    #[test]
    fn every_value_counts_and_aliases_count_again() {
        assert!(within_values("[a, b]", 3));
        assert!(!within_values("[a, b]", 2));
        assert!(within_values("{k: [&x [a, b], *x]}", 9));
        assert!(!within_values("{k: [&x [a, b], *x]}", 8));
        assert!(within_values("!!str tagged", 2));
    }

    #[test]
    fn a_text_that_does_not_parse_is_left_to_the_caller() {
        assert!(within_values("rules: [unclosed", 100));
    }

    #[test]
    fn an_alias_bomb_stops_at_the_limit() {
        let verbs = vec!["v"; 25_000].join(",");
        let aliases = vec!["*a"; 16_000].join(",");
        let bomb = format!("rules: [&a {{verbs: [{verbs}]}}, {aliases}]");
        assert!(!within_values(&bomb, 200_000));
    }
}
