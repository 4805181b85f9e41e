//! One test binary for all end-to-end tests (one link step on CI's two cores).
