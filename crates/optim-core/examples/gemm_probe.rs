use optim_core::linalg::{gemm, zeros};
use std::time::Instant;
fn main() {
    let shapes = [
        (1000usize, 784usize, 128usize, "W1 X (fwd)"),
        (1000, 1000, 128, "W2 A1 (fwd)"),
        (1000, 128, 784, "dZ1 X^T (dW1)"),
        (1000, 128, 1000, "dZ2 A1^T"),
        (1000, 1000, 128, "W2^T dZ2 (t)"),
    ];
    for &(m, k, n, name) in &shapes {
        let a = zeros(m, k) + 0.5;
        let b = zeros(k, n) + 0.25;
        let mut c = zeros(m, n);
        let reps = 200;
        let t = Instant::now();
        for _ in 0..reps {
            if name.contains("^T dZ") {
                gemm(0.0, &mut c.view_mut(), 1.0, &a.t(), &b.view());
            } else if name.contains("X^T") || name.contains("A1^T") {
                let bt = zeros(n, k) + 0.25;
                let _ = bt;
                gemm(0.0, &mut c.view_mut(), 1.0, &a.view(), &b.view());
            } else {
                gemm(0.0, &mut c.view_mut(), 1.0, &a.view(), &b.view());
            }
        }
        let s = t.elapsed().as_secs_f64() / reps as f64;
        println!(
            "{name:16} {m}x{k}x{n}: {:.3} ms {:.1} GFLOP/s",
            s * 1e3,
            2.0 * (m * k * n) as f64 / s / 1e9
        );
    }
}
