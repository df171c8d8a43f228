//! Ranks with ties given their average rank (docs/statistics.md#wilcoxon-signed-rank-test).

/// Ranks `1..=n` of `values` in ascending order, tied values sharing the mean of the ranks
/// they span (mid-ranks), and the size of every tie group of two or more.
///
/// Values are compared exactly: the tests of this crate pin SciPy's results, which also
/// compare floating-point values exactly.
pub fn average_ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1 ..= end; their mean is (start + end + 1) / 2.
        let mid = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mid;
        }
        if end - start > 1 {
            ties.push(end - start);
        }
        start = end;
    }
    (ranks, ties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_mean_rank() {
        let (r, t) = average_ranks(&[10.0, 20.0, 10.0, 30.0, 20.0, 20.0]);
        assert_eq!(r, vec![1.5, 4.0, 1.5, 6.0, 4.0, 4.0]);
        assert_eq!(t, vec![2, 3]);
        let (r, t) = average_ranks(&[3.0, 1.0, 2.0]);
        assert_eq!(r, vec![3.0, 1.0, 2.0]);
        assert!(t.is_empty());
    }
}
