//! Checks on free text shared by every resource. Each returns the cleaned
//! value, or the description of what is wrong for the field violation.

/// Trims `value` and requires 1 to `max` characters.
pub fn required(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("is required".into());
    }
    optional(trimmed, max)
}

/// Trims `value` and allows 0 to `max` characters.
pub fn optional(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

/// The case fold text filters compare by: each character's Unicode lower
/// case, character by character (no context rules, so a substring folds as
/// it does inside its text), with final sigma as sigma. Searchable columns
/// store their text folded this way and patterns are folded the same.
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_lowers_every_script_character_by_character() {
        assert_eq!(fold("ÄPFEL GmbH"), "äpfel gmbh");
        assert_eq!(fold("ΟΔΟΣ"), "οδοσ");
        assert_eq!(fold("οδος"), "οδοσ");
        // İ lowers to i and a combining dot, in the column and the pattern alike.
        assert_eq!(fold("İstanbul"), "i\u{307}stanbul");
        assert_eq!(fold("客户"), "客户");
    }

    #[test]
    fn required_text_is_trimmed_and_bounded() {
        assert_eq!(required("  Acme  ", 10), Ok("Acme".to_owned()));
        assert_eq!(required("   ", 10), Err("is required".to_owned()));
        assert!(required("abcdefghijk", 10).is_err());
        // Characters, not bytes: ten Chinese characters fit in ten.
        assert!(required("客户关系管理系统服务", 10).is_ok());
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(optional("a\u{0}b", 10).is_err());
        assert!(optional("a\nb", 10).is_err());
    }
}
