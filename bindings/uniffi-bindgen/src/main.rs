//! The in-workspace `uniffi-bindgen`: generates the Kotlin, Swift and Python
//! modules from the built library in library mode, with the exact uniffi version the library was
//! built with. `scripts/bindings` runs it.

fn main() {
    uniffi::uniffi_bindgen_main()
}
