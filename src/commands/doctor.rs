use std::process::ExitCode;

use anyhow::Result;

use super::{Context, print_json};
use crate::cli::DoctorArgs;
use crate::doctor::{self, Inputs};
use crate::resolve;
use crate::ui;

pub fn run(ctx: &Context, args: DoctorArgs) -> Result<ExitCode> {
    if args.fix {
        for done in crate::objects::fix(&ctx.store)? {
            ui::note(&format!("fixed: {done}"));
        }
    }
    let cwd = resolve::cwd();
    let env = |name: &str| std::env::var_os(name);
    let checks = doctor::run(
        &ctx.config,
        &ctx.store,
        &Inputs {
            cwd: &cwd,
            env: &env,
        },
    );
    let problems = checks.iter().filter(|c| !c.ok).count();
    if args.json {
        print_json(&checks);
    } else {
        for check in &checks {
            if check.ok && !check.warning && ui::is_quiet() {
                // `doctor -q`: problems (and warnings) only.
                continue;
            }
            if check.warning {
                println!(
                    "{} {}: {}",
                    ui::paint_out("warning", "33"),
                    check.name,
                    ui::redacted(&check.detail)
                );
                if let Some(advice) = &check.fix {
                    println!("        advice: {}", ui::redacted(advice));
                }
            } else if check.ok {
                println!(
                    "{} {}: {}",
                    ui::paint_out("ok     ", "32"),
                    check.name,
                    ui::redacted(&check.detail)
                );
            } else {
                println!(
                    "{} {}: {}",
                    ui::paint_out("PROBLEM", "31"),
                    check.name,
                    ui::redacted(&check.detail)
                );
                if let Some(fix) = &check.fix {
                    println!("        fix: {}", ui::redacted(fix));
                }
            }
        }
        if problems > 0 {
            println!("{problems} problem(s) found");
        }
    }
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
