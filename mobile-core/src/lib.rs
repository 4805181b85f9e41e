//! `fieldline-core`: the one Rust core that runs on handhelds and inside the server, so every
//! rule is written once. The default build has no I/O: model, documents, rules, status.
