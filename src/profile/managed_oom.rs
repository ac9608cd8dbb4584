//! The values of ManagedOOMMemoryPressure= and ManagedOOMPreference=, systemd-oomd's
//! settings for a unit.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ManagedOOMMode {
    Auto,
    Kill,
}

/// From tight to loose, the order loosen.rs compares them in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum ManagedOOMPreference {
    #[default]
    None,
    Avoid,
    Omit,
}

impl ManagedOOMMode {
    pub fn parse(v: &str) -> Option<ManagedOOMMode> {
        match v {
            "auto" => Some(ManagedOOMMode::Auto),
            "kill" => Some(ManagedOOMMode::Kill),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ManagedOOMMode::Auto => "auto",
            ManagedOOMMode::Kill => "kill",
        }
    }
}

impl ManagedOOMPreference {
    pub fn parse(v: &str) -> Option<ManagedOOMPreference> {
        match v {
            "none" => Some(ManagedOOMPreference::None),
            "avoid" => Some(ManagedOOMPreference::Avoid),
            "omit" => Some(ManagedOOMPreference::Omit),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ManagedOOMPreference::None => "none",
            ManagedOOMPreference::Avoid => "avoid",
            ManagedOOMPreference::Omit => "omit",
        }
    }
}
