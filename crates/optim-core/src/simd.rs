//! Run-time choice of the instruction set for element-wise kernels.
//!
//! The default build targets the architecture's baseline (SSE2 on x86-64) so that a binary
//! runs on any machine of that architecture. The matrix products choose their kernels at run
//! time inside faer; [`dispatch`] does the same for the element-wise loops (update rules,
//! bias and activation passes): the caller writes the loop once, as plain scalar code, and
//! [`dispatch`] runs a copy of it compiled with AVX2 and FMA enabled when the CPU has both.
//!
//! Both copies compute bit-identical results. Enabling FMA only makes the instruction
//! available: Rust never contracts `a * b + c` into a fused multiply-add on its own (only an
//! explicit `mul_add` would), and it never reorders floating-point sums, so the wider copy
//! does the same operations on eight lanes at a time instead of four.
//!
//! ```
//! use optim_core::simd;
//! let mut v = vec![1.0f32, 4.0, 9.0];
//! // `#[inline(always)]` lets the closure be compiled inside the AVX2 copy.
//! simd::dispatch(#[inline(always)] || v.iter_mut().for_each(|x| *x = x.sqrt()));
//! assert_eq!(v, [1.0, 2.0, 3.0]);
//! ```

/// The instruction sets [`dispatch`] chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstructionSet {
    /// What the binary was built for (on x86-64 by default: SSE2).
    Baseline,
    /// x86-64 with AVX2 and FMA (Haswell, Zen and later).
    Avx2Fma,
}

impl InstructionSet {
    /// The best instruction set this CPU offers for [`dispatch`]; detected once by the
    /// standard library and cached, so calling it per kernel costs one load.
    pub fn detected() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                return InstructionSet::Avx2Fma;
            }
        }
        InstructionSet::Baseline
    }

    /// A short name for logs and benchmark reports.
    pub fn name(self) -> &'static str {
        match self {
            InstructionSet::Baseline => "baseline",
            InstructionSet::Avx2Fma => "avx2+fma",
        }
    }
}

/// Runs `kernel` compiled for the best instruction set of this CPU.
///
/// Mark the closure `#[inline(always)]`: the wider copy exists only where the closure's body
/// is inlined into it. The kernel must not call `mul_add` if its results are to stay
/// identical across CPUs.
#[inline]
pub fn dispatch<R>(kernel: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if InstructionSet::detected() == InstructionSet::Avx2Fma {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { with_avx2_fma(kernel) };
        }
    }
    kernel()
}

/// Runs `kernel` as the build compiled it, whatever the CPU: the reference against which
/// tests hold the dispatched copy, and a way to measure what dispatch gains.
#[inline(never)]
pub fn baseline<R>(kernel: impl FnOnce() -> R) -> R {
    kernel()
}

/// `kernel` inlined into a function that may use AVX2 and FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn with_avx2_fma<R>(kernel: impl FnOnce() -> R) -> R {
    kernel()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_returns_the_kernel_result() {
        let data: Vec<f32> = (1..=100).map(|i| i as f32).collect();
        let sum = dispatch(
            #[inline(always)]
            || data.iter().sum::<f32>(),
        );
        assert_eq!(sum, 5050.0);
    }

    #[test]
    fn detection_agrees_with_the_standard_library() {
        #[cfg(target_arch = "x86_64")]
        {
            let both = std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma");
            assert_eq!(InstructionSet::detected() == InstructionSet::Avx2Fma, both);
        }
        #[cfg(not(target_arch = "x86_64"))]
        assert_eq!(InstructionSet::detected(), InstructionSet::Baseline);
    }
}
