//! Demo data: a plausible small water utility, generated deterministically.
