//! Addresses: the parts a place search needs (city, postal code) and whether an address is specific
//! enough to go to.

/// City and postal code read from a one-line address such as
/// `"3186 Pullman St, Costa Mesa, CA 92626, USA"` or `"Orange County, CA, USA"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressParts {
    /// City, town or area (the part before the state).
    pub city: Option<String>,
    /// Postal code, when it follows the state as in US and Canadian addresses.
    pub postal_code: Option<String>,
    /// State or province code ("CA", "ON", "NSW").
    pub state: Option<String>,
}

const COUNTRIES: [&str; 8] = [
    "usa",
    "us",
    "united states",
    "united states of america",
    "canada",
    "uk",
    "united kingdom",
    "mexico",
];

/// Reads city and postal code from a formatted address (North American style; other styles give
/// what can be read, possibly nothing).
pub fn parse_formatted_address(address: &str) -> AddressParts {
    let mut parts: Vec<&str> = address
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts
        .last()
        .is_some_and(|p| COUNTRIES.contains(&p.to_lowercase().as_str()))
    {
        parts.pop();
    }
    let mut result = AddressParts::default();
    if let Some(last) = parts.last()
        && let Some(postal) = state_and_postal(last)
    {
        result.postal_code = postal;
        result.state = last.split(' ').next().map(str::to_string);
        parts.pop();
    }
    if parts.len() >= 2
        || parts
            .first()
            .is_some_and(|p| !p.chars().any(|c| c.is_ascii_digit()))
    {
        result.city = parts.last().map(|c| (*c).to_string());
    }
    result
}

/// `Some(postal)` if `part` is a state/province code, optionally followed by a postal code
/// ("CA", "CA 92626", "DE 19971-1234", "ON M5V 2T6").
fn state_and_postal(part: &str) -> Option<Option<String>> {
    let (state, rest) = match part.split_once(' ') {
        Some((s, r)) => (s, r.trim()),
        None => (part, ""),
    };
    let is_state = (2..=3).contains(&state.len()) && state.chars().all(|c| c.is_ascii_uppercase());
    if !is_state {
        return None;
    }
    if rest.is_empty() {
        return Some(None);
    }
    let plausible_postal = rest.len() <= 10
        && rest.chars().any(|c| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ');
    plausible_postal.then(|| Some(rest.to_string()))
}

/// Whether a one-line address names a specific place (a street address) rather than an area: its
/// first part has a house number, or it has four or more parts.
pub fn looks_specific(formatted_address: &str) -> bool {
    let parts: Vec<&str> = formatted_address
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    parts
        .first()
        .is_some_and(|p| p.chars().any(|c| c.is_ascii_digit()))
        || parts.len() >= 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn street_address() {
        let parts = parse_formatted_address("3186 Pullman St, Costa Mesa, CA 92626, USA");
        assert_eq!(parts.city.as_deref(), Some("Costa Mesa"));
        assert_eq!(parts.postal_code.as_deref(), Some("92626"));
        assert!(looks_specific("3186 Pullman St, Costa Mesa, CA 92626, USA"));
    }

    #[test]
    fn approximate_area() {
        let parts = parse_formatted_address("Orange County, CA, USA");
        assert_eq!(parts.city.as_deref(), Some("Orange County"));
        assert_eq!(parts.postal_code, None);
        assert!(!looks_specific("Orange County, CA, USA"));
        assert!(!looks_specific("Chicago, IL 60641, USA"));
    }

    #[test]
    fn odd_addresses_do_not_panic() {
        assert_eq!(parse_formatted_address(""), AddressParts::default());
        assert_eq!(parse_formatted_address(",,,"), AddressParts::default());
        let p = parse_formatted_address("12 Rue de Rivoli");
        assert_eq!(p.city, None);
        let p = parse_formatted_address("Brighton");
        assert_eq!(p.city.as_deref(), Some("Brighton"));
        assert!(!looks_specific(""));
    }
}
