use super::Invalid;

/// A language a person reads notices in: a lowercase ISO 639 language code, optionally with
/// an uppercase ISO 3166 region (`en`, `de`, `pt-BR`), as in BCP 47 language tags.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Locale(String);

impl Locale {
    /// The language every notice template exists in, and the fallback of every other.
    pub const ENGLISH: &'static str = "en";

    pub fn english() -> Self {
        Self(Self::ENGLISH.to_owned())
    }

    /// Accepts `de`, `DE`, `pt-br` or `pt_BR`, stored as `de` and `pt-BR`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new("Enter a language code like en, de or pt-BR.");
        let raw = raw.trim().replace('_', "-");
        let (language, region) = match raw.split_once('-') {
            Some((language, region)) => (language, Some(region)),
            None => (raw.as_str(), None),
        };
        if !(2..=3).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic())
        {
            return Err(invalid());
        }
        let mut tag = language.to_ascii_lowercase();
        if let Some(region) = region {
            if region.len() != 2 || !region.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(invalid());
            }
            tag.push('-');
            tag.push_str(&region.to_ascii_uppercase());
        }
        Ok(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_english(&self) -> bool {
        self.0 == Self::ENGLISH
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_are_normalised() {
        assert_eq!(Locale::parse(" DE ").unwrap().as_str(), "de");
        assert_eq!(Locale::parse("pt_br").unwrap().as_str(), "pt-BR");
        assert!(Locale::parse("en").unwrap().is_english());
    }

    #[test]
    fn anything_but_a_language_code_is_refused() {
        for raw in [
            "", "e", "english", "de-", "de-DEU", "d3", "../en", "en-US-x",
        ] {
            assert!(Locale::parse(raw).is_err(), "{raw} was accepted");
        }
    }
}
