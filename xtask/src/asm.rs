//! `cargo xtask asm-check`: the disassembly check of the kernels.
//!
//! A SIMD kernel is fast only while its inner loop keeps its working set
//! (accumulators, constants, loaded operands) in vector registers. When the
//! compiler runs out of registers, or cannot prove that an array of vectors
//! never escapes, it keeps vectors on the stack and moves them to and from
//! memory on every trip: the results stay right, only the speed halves, and
//! no test notices. This check reads the machine code instead.
//!
//! It builds `xtask/asm-probe` (a binary that calls every public kernel for
//! `f32` and `f64`, so that every instruction-set path is in it whatever the
//! CPU it is built on) in release mode, disassembles it with `objdump`, and
//! in every function of the `kernels` crate (and every function a kernel was
//! inlined into) finds the innermost loops: the spans between a backward
//! jump and its target that contain no other such span. An innermost loop
//! that does packed floating-point arithmetic fails the check if it stores a
//! vector to the stack (a memory operand based on `%rsp` as the destination
//! of an instruction with an `xmm`, `ymm` or `zmm` register, scalar `ss`/`sd`
//! instructions excepted): then part of its working set lives in memory, and
//! every step pays a store and a reload. Each failure names the function,
//! the path (from the widest register the function uses) and every stack
//! move of the loop. Loops that only *read* the stack are not failures — a
//! buffer written before the loop, or a loop-invariant value spilled once
//! before it costs one load per use, like a constant from read-only data —
//! and the number of such reloads is printed.
//!
//! Findings on the AVX2 and AVX-512 paths fail the check; those on the
//! portable path (built for the x86-64 baseline) are listed only, and those
//! of the portable 16-lane test path (`Isa::Portable16`, whose vectors span
//! several registers by design) only counted.
//!
//! It also fails when a kernel function calls an intrinsic
//! (`core::core_arch::…`) instead of inlining it: that happens when the
//! intrinsic sits in a closure or helper compiled without the path's target
//! features, and costs more than a spill.
//!
//! `--fixture` builds the probe with a kernel that spills on purpose
//! (`kernels::asm_check_fixture`, 48 accumulators) and succeeds only if the
//! check rejects that kernel on the AVX2 and AVX-512 paths: the check is
//! shown able to fail.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// One instruction of the disassembly.
struct Insn {
    addr: u64,
    mnemonic: String,
    operands: String,
}

/// One function of the disassembly.
struct Function {
    name: String,
    insns: Vec<Insn>,
}

/// An innermost loop that moves vectors to or from the stack.
pub struct Finding {
    /// The demangled function name.
    pub function: String,
    /// `avx512`, `avx2` or `portable` (the widest vector register used).
    pub path: &'static str,
    /// The loop's first and last addresses.
    pub span: (u64, u64),
    /// The offending instructions, as `objdump` prints them.
    pub moves: Vec<String>,
}

/// What the check saw.
pub struct Report {
    /// Functions of the kernels crate (or with a kernel inlined) examined.
    pub functions: usize,
    /// Innermost vector loops examined, per path.
    pub loops: BTreeMap<&'static str, usize>,
    /// The loops that failed.
    pub findings: Vec<Finding>,
    /// Loads of loop-invariant values from stack slots in loops that store
    /// nothing to the stack (not failures; see [`check`]).
    pub invariant_reloads: usize,
    /// Calls from a kernel to an intrinsic compiled out of line (`function:
    /// instruction`); each fails the check (see [`check`]).
    pub intrinsic_calls: Vec<String>,
}

pub fn main(root: &Path, args: &[String]) -> Result<(), String> {
    let mut fixture = false;
    for a in args {
        match a.as_str() {
            "--fixture" => fixture = true,
            "-h" | "--help" => {
                println!(
                    "usage: cargo xtask asm-check [--fixture]\n\n\
                     Fails when an inner loop of a kernel moves vectors to or from the stack,\n\
                     or a kernel calls an intrinsic out of line.\n\
                     --fixture  link a kernel that spills on purpose and expect the check to catch it"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let bin = build_probe(root, fixture)?;
    let text = objdump(&bin)?;
    let report = check(&text);
    print_report(&report);
    let (fixture_hits, others): (Vec<&Finding>, Vec<&Finding>) = report
        .findings
        .iter()
        .partition(|f| f.function.contains("fixture::Spill"));
    if fixture {
        let mut caught: Vec<&str> = fixture_hits.iter().map(|f| f.path).collect();
        caught.sort_unstable();
        caught.dedup();
        for &path in ENFORCED {
            if !caught.contains(&path) {
                return Err(format!(
                    "the deliberately spilling kernel was not caught on the {path} path"
                ));
            }
        }
        println!(
            "the deliberately spilling kernel was caught on the enforced paths ({})",
            caught.join(", ")
        );
    }
    if !report.intrinsic_calls.is_empty() {
        return Err(format!(
            "{} call(s) from the kernels to intrinsics compiled out of line (listed above)",
            report.intrinsic_calls.len()
        ));
    }
    let (enforced, portable): (Vec<&Finding>, Vec<&Finding>) =
        others.iter().partition(|f| ENFORCED.contains(&f.path));
    let (wide, portable): (Vec<&Finding>, Vec<&Finding>) =
        portable.iter().partition(|f| f.path == "portable16");
    if !portable.is_empty() {
        println!(
            "\nnote: {} loop(s) of the portable path (built for the x86-64 baseline, SSE2 \
             without FMA) keep vectors on the stack; listed, not enforced",
            portable.len()
        );
    }
    if !wide.is_empty() {
        println!(
            "note: {} loop(s) of the portable16 test path (a vector of 16 f32 spans four \
             SSE registers) keep vectors on the stack by design; counted, not listed",
            wide.len()
        );
    }
    if enforced.is_empty() {
        println!(
            "asm-check: no inner loop of the {} kernels stores vectors to the stack",
            ENFORCED.join(" and ")
        );
        Ok(())
    } else {
        Err(format!(
            "{} inner loop(s) of the {} kernels store vectors to the stack (listed above)",
            enforced.len(),
            ENFORCED.join(" and ")
        ))
    }
}

/// The paths whose findings fail the check. The portable path is built for
/// the x86-64 baseline, whose 16 SSE registers and missing FMA the
/// autovectorised lane loops of that path do not always fit; its findings
/// are listed but do not fail the check.
const ENFORCED: &[&str] = &["avx2", "avx512"];

/// Builds the probe in release mode in its own target directory (v0 symbol
/// mangling, so that generic instantiations are named with their types) and
/// returns the executable's path.
fn build_probe(root: &Path, fixture: bool) -> Result<std::path::PathBuf, String> {
    let target = root.join("target").join("asm-check");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root)
        .env("RUSTFLAGS", "-C symbol-mangling-version=v0")
        .args([
            "build",
            "--release",
            "-p",
            "asm-probe",
            "--message-format=json",
        ])
        .arg("--target-dir")
        .arg(&target);
    if fixture {
        cmd.args(["--features", "spill-fixture"]);
    }
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run cargo build: {e}"))?;
    if !out.status.success() {
        return Err(format!("building the probe failed ({})", out.status));
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] == "compiler-artifact"
            && v["target"]["name"] == "asm-probe"
            && let Some(exe) = v["executable"].as_str()
        {
            return Ok(exe.into());
        }
    }
    Err("cargo did not report the probe's executable".into())
}

fn objdump(bin: &Path) -> Result<String, String> {
    let out = Command::new("objdump")
        .args(["-d", "--no-show-raw-insn", "-C"])
        .arg(bin)
        .output()
        .map_err(|e| format!("could not run objdump ({e}); it is in Debian's binutils"))?;
    if !out.status.success() {
        return Err(format!("objdump failed ({})", out.status));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("objdump printed non-UTF-8: {e}"))
}

/// Splits `objdump -d` output into functions.
fn parse(text: &str) -> Vec<Function> {
    let mut funcs: Vec<Function> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_suffix(">:")
            && let Some((addr, name)) = rest.split_once(" <")
            && u64::from_str_radix(addr, 16).is_ok()
        {
            funcs.push(Function {
                name: name.to_string(),
                insns: Vec::new(),
            });
            continue;
        }
        let Some(f) = funcs.last_mut() else { continue };
        let Some((addr, insn)) = line.trim_start().split_once(":\t") else {
            continue;
        };
        let Ok(addr) = u64::from_str_radix(addr.trim(), 16) else {
            continue;
        };
        let insn = insn.trim();
        let (mnemonic, operands) = insn.split_once(char::is_whitespace).unwrap_or((insn, ""));
        f.insns.push(Insn {
            addr,
            mnemonic: mnemonic.to_string(),
            operands: operands.trim().to_string(),
        });
    }
    funcs
}

/// The target of a jump, when it is a direct one.
fn jump_target(i: &Insn) -> Option<u64> {
    if !i.mnemonic.starts_with('j') {
        return None;
    }
    let hex = i.operands.split_whitespace().next()?;
    u64::from_str_radix(hex, 16).ok()
}

/// Whether the code at `addr` reaches a `ret` before any jump: the
/// function's exit, not the head of a loop.
fn returns_straight(f: &Function, addr: u64) -> bool {
    for i in f.insns.iter().skip_while(|i| i.addr < addr) {
        if i.mnemonic.starts_with("ret") {
            return true;
        }
        if i.mnemonic.starts_with('j') {
            return false;
        }
    }
    false
}

fn has_vector_register(s: &str) -> bool {
    ["%xmm", "%ymm", "%zmm"].iter().any(|r| s.contains(r))
}

/// A scalar floating-point instruction (`ss`/`sd` suffix) or a move of a
/// general-purpose value through a vector register: not a vector.
fn is_scalar(m: &str) -> bool {
    m.ends_with("ss")
        || m.ends_with("sd")
        || matches!(m, "movd" | "movq" | "vmovd" | "vmovq")
        || m.contains("cvtsi2")
}

/// Packed floating-point arithmetic (`ps`/`pd` suffix: multiply-adds, adds,
/// multiplies, maxima…) on vector registers. Moves, shuffles and bitwise
/// operations alone do not make a compute loop: a loop that only copies a
/// buffer is not a kernel's inner loop.
fn is_packed_arithmetic(i: &Insn) -> bool {
    let m = i.mnemonic.as_str();
    (m.ends_with("ps") || m.ends_with("pd"))
        && [
            "fmadd", "fmsub", "fnmadd", "fnmsub", "add", "sub", "mul", "div", "max", "min",
            "scalef", "sqrt", "rcp", "rsqrt",
        ]
        .iter()
        .any(|op| m.contains(op))
        && has_vector_register(&i.operands)
}

/// How an instruction touches the stack with a vector.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StackUse {
    /// A load from a fixed slot, `disp(%rsp)`: how the register allocator
    /// reloads a value it has no register for.
    SlotLoad,
    /// A store to a fixed slot: a spill.
    SlotStore,
    /// A load from an array on the stack indexed by a register,
    /// `disp(%rsp,%reg,scale)`.
    ArrayLoad,
    /// A store into such an array.
    ArrayStore,
}

/// The last operand of an AT&T operand list (commas inside parentheses
/// belong to an address).
fn last_operand(ops: &str) -> &str {
    let mut depth = 0i32;
    let mut start = 0;
    for (k, c) in ops.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => start = k + 1,
            _ => {}
        }
    }
    &ops[start..]
}

/// A vector moved to or from the stack by `i`, if it does.
fn stack_use(i: &Insn) -> Option<StackUse> {
    if !has_vector_register(&i.operands) || is_scalar(&i.mnemonic) {
        return None;
    }
    // AT&T order: the destination is the last operand.
    let store = last_operand(&i.operands).contains("(%rsp");
    if i.operands.contains("(%rsp)") {
        return Some(if store {
            StackUse::SlotStore
        } else {
            StackUse::SlotLoad
        });
    }
    if i.operands.contains("(%rsp,") {
        return Some(if store {
            StackUse::ArrayStore
        } else {
            StackUse::ArrayLoad
        });
    }
    None
}

/// The path a function was compiled for: the portable 16-lane test path
/// by name (`Isa::Portable16`: its GEMM types and `simd::run_portable16`),
/// else from the widest register it uses.
fn path_of(f: &Function) -> &'static str {
    if f.name.contains("Portable16") || f.name.contains("run_portable16") {
        "portable16"
    } else if f.insns.iter().any(|i| i.operands.contains("%zmm")) {
        "avx512"
    } else if f.insns.iter().any(|i| i.operands.contains("%ymm")) {
        "avx2"
    } else {
        "portable"
    }
}

/// Runs the check on `objdump -d` output.
pub fn check(text: &str) -> Report {
    let mut report = Report {
        functions: 0,
        loops: BTreeMap::new(),
        findings: Vec::new(),
        invariant_reloads: 0,
        intrinsic_calls: Vec::new(),
    };
    for f in parse(text) {
        if !f.name.contains("kernels::") || f.insns.is_empty() {
            continue;
        }
        report.functions += 1;
        // An intrinsic is inlined only into code compiled with its target
        // feature. One called from a closure or helper that lacks the
        // feature (a closure does not inherit it from a plain
        // `#[inline(always)]` function) stays a real call, passing vectors
        // through memory: a kernel several times slower, results unchanged.
        for i in &f.insns {
            if i.mnemonic.starts_with("call") && i.operands.contains("core_arch::") {
                report
                    .intrinsic_calls
                    .push(format!("{}: {} {}", f.name, i.mnemonic, i.operands));
            }
        }
        let start = f.insns[0].addr;
        // A backward jump is a loop, unless it jumps to the function's
        // shared exit (code that runs straight into `ret`), which the
        // compiler sometimes places before the jumps to it.
        let loops: Vec<(u64, u64)> = f
            .insns
            .iter()
            .filter_map(|i| {
                jump_target(i)
                    .filter(|&t| t >= start && t <= i.addr && !returns_straight(&f, t))
                    .map(|t| (t, i.addr))
            })
            .collect();
        let inner = loops.iter().filter(|&&(t, e)| {
            !loops
                .iter()
                .any(|&(t2, e2)| (t2, e2) != (t, e) && t <= t2 && e2 <= e)
        });
        let path = path_of(&f);
        for &(t, e) in inner {
            let body: Vec<&Insn> = f
                .insns
                .iter()
                .filter(|i| t <= i.addr && i.addr <= e)
                .collect();
            if !body.iter().any(|i| is_packed_arithmetic(i)) {
                continue;
            }
            *report.loops.entry(path).or_default() += 1;
            let uses: Vec<(&Insn, StackUse)> = body
                .iter()
                .filter_map(|i| stack_use(i).map(|u| (*i, u)))
                .collect();
            // A loop that stores vectors to the stack keeps part of its
            // working set there: every step pays a store and a reload on
            // the dependency chain (accumulators spilled, or an array of
            // them that never reached registers). All its stack moves are
            // reported. A loop that only reads the stack reads either a
            // buffer filled before it (the write-back of a tile) or a
            // loop-invariant value spilled once before it: one load per use,
            // the same as a constant operand from read-only data, and
            // counted apart (`invariant_reloads`), not as a failure.
            let stores = uses
                .iter()
                .any(|&(_, u)| matches!(u, StackUse::SlotStore | StackUse::ArrayStore));
            if !stores {
                report.invariant_reloads += uses
                    .iter()
                    .filter(|&&(_, u)| u == StackUse::SlotLoad)
                    .count();
                continue;
            }
            let moves: Vec<String> = uses
                .iter()
                .map(|(i, _)| format!("{:x}: {} {}", i.addr, i.mnemonic, i.operands))
                .collect();
            if !moves.is_empty() {
                report.findings.push(Finding {
                    function: f.name.clone(),
                    path,
                    span: (t, e),
                    moves,
                });
            }
        }
    }
    report
}

fn print_report(r: &Report) {
    let loops: Vec<String> = r.loops.iter().map(|(p, n)| format!("{n} on {p}")).collect();
    println!(
        "asm-check: {} kernel functions, innermost vector loops: {}; \
         loop-invariant reloads from the stack (not failures): {}",
        r.functions,
        loops.join(", "),
        r.invariant_reloads
    );
    for c in &r.intrinsic_calls {
        println!("\nintrinsic called out of line in {c}");
    }
    for f in r.findings.iter().filter(|f| f.path != "portable16") {
        println!(
            "\n[{}] {} — loop {:x}..{:x}: {} vector move(s) to or from the stack",
            f.path,
            f.function,
            f.span.0,
            f.span.1,
            f.moves.len()
        );
        for m in f.moves.iter().take(4) {
            println!("    {m}");
        }
        if f.moves.len() > 4 {
            println!("    …");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPILLING: &str = "\
0000000000001000 <kernels::simd::run_avx512::<f32, kernels::K<f32>>>:
    1000:\tvxorps %xmm0,%xmm0,%xmm0
    1004:\tvmovups (%rdi,%rax,4),%zmm1
    100b:\tvfmadd213ps 0x40(%rsp),%zmm0,%zmm1
    1012:\tvmovaps %zmm1,-0x40(%rsp)
    101a:\tadd    $0x40,%rax
    101e:\tjne    1004 <kernels::simd::run_avx512::<f32, kernels::K<f32>>+0x4>
    1020:\tvmovaps %zmm1,(%rsp)
    1027:\tret
";

    const CLEAN: &str = "\
0000000000002000 <kernels::gemm::avx2::dot_f32::<2, 5>>:
    2000:\tvmovups (%rdi,%rax,4),%ymm1
    2005:\tvfmadd231ps %ymm1,%ymm2,%ymm3
    200a:\tvmovss %xmm0,0x8(%rsp)
    2010:\tjne    2000 <kernels::gemm::avx2::dot_f32::<2, 5>>
    2012:\tvmovaps %ymm3,(%rsp)
    2017:\tret
0000000000003000 <other::function>:
    3000:\tvmovaps %zmm1,(%rsp)
    3005:\tvaddps %zmm1,%zmm1,%zmm1
    3009:\tjne    3000 <other::function>
";

    #[test]
    fn flags_vectors_moved_to_and_from_the_stack_inside_a_loop() {
        let r = check(SPILLING);
        assert_eq!(r.functions, 1);
        assert_eq!(r.findings.len(), 1);
        let f = &r.findings[0];
        assert_eq!(f.path, "avx512");
        assert_eq!(f.span, (0x1004, 0x101e));
        assert_eq!(f.moves.len(), 2, "{:?}", f.moves);
    }

    #[test]
    fn ignores_scalars_code_outside_loops_and_other_crates() {
        let r = check(CLEAN);
        assert_eq!(r.functions, 1);
        assert_eq!(r.loops.get("avx2"), Some(&1));
        assert!(r.findings.is_empty());
    }

    #[test]
    fn an_array_on_the_stack_fails_only_when_the_loop_writes_it() {
        let read_only = "\
0000000000005000 <kernels::g>:
    5000:\tvmulps (%rsp,%r8,4),%zmm7,%zmm10
    5007:\tvmovups %zmm10,(%rdi,%r8,4)
    500e:\tjne    5000 <kernels::g>
";
        assert!(check(read_only).findings.is_empty());
        let updated = "\
0000000000006000 <kernels::h>:
    6000:\tvfmadd213ps -0x80(%rsp,%rcx,1),%zmm0,%zmm1
    6008:\tvmovaps %zmm1,-0x80(%rsp,%rcx,1)
    6010:\tjne    6000 <kernels::h>
";
        let r = check(updated);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].moves.len(), 2);
    }

    #[test]
    fn the_portable16_test_path_is_told_apart_by_name() {
        let text = "\
000000000000a000 <kernels::simd::run_portable16::<f32, kernels::K<f32>>>:
    a000:\tmovaps %xmm1,0x10(%rsp)
    a005:\taddps %xmm1,%xmm2
    a009:\tjne    a000 <kernels::simd::run_portable16::<f32, kernels::K<f32>>>
000000000000b000 <<kernels::gemm::paths::Portable16F32 as kernels::gemm::kernel::Microkernel>::tile>:
    b000:\tmovaps %xmm1,0x10(%rsp)
    b005:\tmulps %xmm1,%xmm2
    b009:\tjne    b000 <<kernels::gemm::paths::Portable16F32 as kernels::gemm::kernel::Microkernel>::tile>
000000000000c000 <kernels::simd::dispatch::<f32, kernels::K<f32>>>:
    c000:\tmovaps %xmm1,0x10(%rsp)
    c005:\taddps %xmm1,%xmm2
    c009:\tjne    c000 <kernels::simd::dispatch::<f32, kernels::K<f32>>>
";
        let paths: Vec<&str> = check(text).findings.iter().map(|f| f.path).collect();
        assert_eq!(paths, ["portable16", "portable16", "portable"]);
    }

    #[test]
    fn a_loop_invariant_reload_is_counted_but_does_not_fail() {
        let reload = "\
0000000000007000 <kernels::k>:
    7000:\tvmovups %ymm0,0x20(%rsp)
    7006:\tvandps 0x20(%rsp),%ymm1,%ymm2
    700c:\tvaddps %ymm2,%ymm3,%ymm3
    7010:\tjne    7006 <kernels::k+0x6>
";
        let r = check(reload);
        assert!(r.findings.is_empty());
        assert_eq!(r.invariant_reloads, 1);
    }

    #[test]
    fn an_intrinsic_called_out_of_line_is_reported() {
        let text = "\
0000000000008000 <kernels::simd::avx512::reduce::{closure#0}>:
    8000:\tcall   9000 <core::core_arch::x86::avx512f::_mm512_castps_pd>
    8005:\tcall   9100 <kernels::simd::other>
    800a:\tret
0000000000009200 <other::caller>:
    9200:\tcall   9000 <core::core_arch::x86::avx512f::_mm512_castps_pd>
";
        let r = check(text);
        assert_eq!(r.intrinsic_calls.len(), 1, "{:?}", r.intrinsic_calls);
        assert!(r.intrinsic_calls[0].contains("_mm512_castps_pd"));
        assert!(check(CLEAN).intrinsic_calls.is_empty());
    }

    #[test]
    fn a_backward_jump_to_the_exit_is_not_a_loop() {
        // The shape the compiler gave a tile's write-back through a buffer:
        // the epilogue placed first, the buffer written after it, then a
        // jump back to the epilogue.
        let exit = "\
0000000000005000 <kernels::g>:
    5000:\tlea    -0x28(%rbp),%rsp
    5004:\tpop    %rbx
    5005:\tret
    5006:\tvmulpd %zmm6,%zmm5,%zmm5
    500c:\tvmovapd %zmm5,0x80(%rsp)
    5014:\ttest   %r8,%r8
    5017:\tjne    5030 <kernels::g+0x30>
    5019:\tjmp    5000 <kernels::g>
";
        let r = check(exit);
        assert!(r.findings.is_empty(), "{:?}", r.findings.len());
        // Without the `ret`, the same jump closes a loop that writes the
        // stack on every trip, and fails.
        let looping = exit.replace("    5005:\tret\n", "    5005:\tnop\n");
        let r = check(&looping);
        assert_eq!(r.findings.len(), 1);
    }

    #[test]
    fn only_innermost_loops_count() {
        let nested = "\
0000000000004000 <kernels::f>:
    4000:\tvmovaps %ymm0,(%rsp)
    4005:\tvaddps %ymm1,%ymm1,%ymm1
    400a:\tjne    4005 <kernels::f+0x5>
    400c:\tjne    4000 <kernels::f>
";
        let r = check(nested);
        assert!(r.findings.is_empty());
        assert_eq!(r.loops.get("avx2"), Some(&1));
    }
}
