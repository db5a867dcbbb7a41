//! The smallest useful WASI program: what a smoke test can check end to end.
//! Prints a fixed line, then each argument, then the GREETING environment variable if set.

fn main() {
    println!("Hello from wasm-build!");
    for (i, arg) in std::env::args().enumerate().skip(1) {
        println!("arg[{i}]={arg}");
    }
    if let Ok(greeting) = std::env::var("GREETING") {
        println!("GREETING={greeting}");
    }
}
