// The seed's benchmark program: a deliberately naive recursive Fibonacci, so the
// run time is dominated by calls and integer arithmetic in the engine.
fn fibonacci(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fibonacci(n - 1) + fibonacci(n - 2)
    }
}

fn main() {
    println!("Starting");
    let n = 35;
    println!("Fibonacci({}) = {}", n, fibonacci(n));
    println!("Stopped");
}
