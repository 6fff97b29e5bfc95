use super::Invalid;

/// Back-office users run the business; customer users buy from it. Their tokens are never
/// interchangeable (a frontend application serves customers only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    Backoffice,
    Customer,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backoffice => "backoffice",
            Self::Customer => "customer",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "backoffice" => Ok(Self::Backoffice),
            "customer" => Ok(Self::Customer),
            _ => Err(Invalid::new("Choose back-office or customer.")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Backoffice => "Back-office",
            Self::Customer => "Customer",
        }
    }
}
