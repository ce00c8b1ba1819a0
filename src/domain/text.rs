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

#[cfg(test)]
mod tests {
    use super::*;

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
