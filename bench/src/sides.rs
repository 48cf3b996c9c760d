//! Comparisons whose sides each run in a process of their own (so peak threads and RSS
//! are each side's alone): this binary re-run as `measure SIDE URL`, printing three numbers.

use std::process::Command;

/// Runs every side `rounds` times, alternating which goes first so warm-up and machine
/// noise land on both; returns each side's `[a, b, c]` per round, in `sides` order.
pub fn interleaved(sides: &[&str; 2], url: &str, rounds: usize) -> Vec<Vec<[f64; 3]>> {
    let me = std::env::current_exe().unwrap();
    let mut results: Vec<Vec<[f64; 3]>> = vec![Vec::new(), Vec::new()];
    for round in 0..rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let out = Command::new(&me).args(["measure", sides[side], url]).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let text = String::from_utf8(out.stdout).unwrap();
            let v: Vec<f64> = text.split_whitespace().map(|x| x.parse().unwrap()).collect();
            results[side].push([v[0], v[1], v[2]]);
        }
    }
    results
}

/// The median of column `i` of one side's rounds.
pub fn column(rounds: &[[f64; 3]], i: usize) -> f64 {
    let mut v: Vec<f64> = rounds.iter().map(|r| r[i]).collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
