fn main() {
    println!("Hello WebAssembly in Docker!");
}
