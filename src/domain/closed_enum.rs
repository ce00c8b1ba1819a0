//! Closed sets of named values (tiers, kinds, stages) with stable integer
//! codes. The codes equal the protobuf enum numbers, are what the store keeps
//! and what list ordering sorts by; a test in `grpc` checks the names match.

/// A closed set of named values with stable codes.
pub trait ClosedEnum: Sized + Copy + 'static {
    /// Every value: its name in filters and in the API, and its code.
    const ALL: &'static [(&'static str, i32)];
    fn code(self) -> i32;
    fn from_code(code: i32) -> Option<Self>;

    fn name(self) -> &'static str {
        let code = self.code();
        Self::ALL
            .iter()
            .find(|(_, c)| *c == code)
            .map_or("", |(name, _)| name)
    }
}

/// Declares an enum with `Variant = code => "NAME"` entries and implements
/// [`ClosedEnum`] and serde for it (serde by name, for stored JSON).
macro_rules! closed_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $crate::domain::ClosedEnum for $name {
            const ALL: &'static [(&'static str, i32)] = &[$(($text, $code)),+];
            fn code(self) -> i32 {
                match self { $(Self::$variant => $code),+ }
            }
            fn from_code(code: i32) -> Option<Self> {
                match code { $($code => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}
